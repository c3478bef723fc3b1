"""Updates beyond one loss and one optimizer: a task's own update over two named parts, and
gradient accumulation (k batches make one update on their union, weighted by targets)."""

import pytest
import torch
from fitting import assert_same_training_state, config, fit
from toy import UNEQUAL, PairToyTask, ToyTask

from seqkit.errors import ConfigError
from seqkit.train import Trainer, load_checkpoint, seed_everything


def test_accumulated_batches_equal_one_update_on_their_union(tmp_path) -> None:
    run = config(optimizer="sgd", lr=0.1, schedule="constant", schedule_options={},
                 clip_norm=None, accumulate=3, epochs=2, valid_every=0)
    trainer = fit(tmp_path, run, sizes=UNEQUAL, dropout=0.0)
    assert trainer.position.step == 4  # ⌊8 / 3⌋ updates an epoch: batches 6 and 7 are left out

    # The oracle: SGD on the mean squared error over the union of batches 3k, 3k+1, 3k+2, so a
    # batch of 9 weighs 9 times a batch of 1 (a mean of the batches' means would not).
    seed_everything(7)
    task = ToyTask(sizes=UNEQUAL, dropout=0.0)
    sgd = torch.optim.SGD(task.model.parameters(), lr=0.1)
    for epoch in range(2):
        batches = task.batches(epoch)
        for k in range(2):
            sgd.zero_grad()
            task.loss(task.model, torch.cat(batches[3 * k:3 * k + 3]))[0].backward()
            sgd.step()
    for name, value in task.model.state_dict().items():
        torch.testing.assert_close(trainer.task.model.state_dict()[name], value)


def test_two_parts_have_two_optimizers_and_schedulers_in_the_checkpoint(tmp_path) -> None:
    trainer = fit(tmp_path, config(max_steps=3, valid_every=0), make_task=PairToyTask)
    checkpoint = load_checkpoint(tmp_path / "last.pt")
    assert checkpoint["optimizers"].keys() == checkpoint["schedulers"].keys() == {"d", "g"}
    for name in ("d", "g"):
        assert checkpoint["schedulers"][name] == trainer.schedulers[name].state_dict()
        steps = [slots["step"] for slots in checkpoint["optimizers"][name]["state"].values()]
        assert len(steps) == 2 and all(int(step) == 3 for step in steps)  # weight and bias
    # each part moved, so each optimizer really stepped its own part
    untrained = PairToyTask().model.state_dict()
    assert all(not torch.equal(value, untrained[key]) for key, value in
               checkpoint["model"].items())


def test_a_task_with_its_own_update_resumes_exactly(tmp_path) -> None:
    # 5 batches an epoch: 8 updates stop inside epoch 1; z is drawn from the global generator
    fit(tmp_path / "split", config(max_steps=8, valid_every=8), make_task=PairToyTask)
    run = config(max_steps=16, valid_every=8)
    resumed = fit(tmp_path / "split", run, resume=True, make_task=PairToyTask)
    whole = fit(tmp_path / "whole", run, make_task=PairToyTask)
    assert resumed.position.step == 16
    assert_same_training_state(resumed, whole)


def test_accumulation_is_refused_for_a_task_with_its_own_update(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"^train\.accumulate: this task makes its own "
                       r"updates; expected 1, got 2$"):
        Trainer(PairToyTask(), config(accumulate=2), tmp_path, {})
