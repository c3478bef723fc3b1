"""The trainer on a toy regression task: resume equals an uninterrupted run, checkpoints, logs,
early stopping, interruption. The toy task shows the trainer needs nothing model-specific."""

import math
import signal

import pytest
import torch
from fitting import assert_same_training_state, config, fit, log
from toy import ToyTask, raising, signalling

from seqkit.errors import ConfigError, SeqkitError
from seqkit.train import Trainer, load_checkpoint
from seqkit.train.average import average_checkpoints


def test_resume_continues_exactly(tmp_path) -> None:
    # 10 steps stop mid-epoch (7 batches an epoch); 10 more after resuming must equal 20 in one go.
    fit(tmp_path / "split", config(max_steps=10, valid_every=10))
    resumed = fit(tmp_path / "split", config(max_steps=20, valid_every=10), resume=True)
    whole = fit(tmp_path / "whole", config(max_steps=20, valid_every=10))
    assert resumed.position.step == 20
    assert_same_training_state(resumed, whole)


@pytest.mark.parametrize(("interruption", "saved_step"), [
    ({9: raising(KeyboardInterrupt())}, 8),  # raised inside update 9: its update never ran
    ({6: signalling(signal.SIGINT)}, 6),  # Ctrl-C during update 6: it finishes, then training stops
])
def test_interrupted_run_saves_last_and_resumes_exactly(tmp_path, interruption, saved_step):
    with pytest.raises(KeyboardInterrupt):
        fit(tmp_path / "cut", config(max_steps=12), at=interruption)
    saved = load_checkpoint(tmp_path / "cut" / "last.pt")
    assert saved["progress"]["position"]["step"] == saved_step
    resumed = fit(tmp_path / "cut", config(max_steps=12), resume=True)
    whole = fit(tmp_path / "whole", config(max_steps=12))
    assert_same_training_state(resumed, whole)


def test_run_directory_contents(tmp_path) -> None:
    trainer = fit(tmp_path, config(max_steps=9, metric="neg_mse"))
    for name in ("best.pt", "last.pt", "recipe.yaml", "log.jsonl", "curves.png"):
        assert (tmp_path / name).exists(), name
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert best["task"] == {"kind": "toy"} and best["recipe"] == {"task": "toy"}
    assert best["progress"]["position"]["best"] == max(-r["valid"]["mse"] for r in log(tmp_path)
                                           if "valid" in r)
    records = log(tmp_path)
    assert [r["step"] for r in records if "loss" in r] == [3, 6, 9]
    assert [r["step"] for r in records if "valid" in r] == [4, 8, 9]  # and a last one at the end
    assert all(math.isfinite(r["tokens_per_s"]) for r in records if "loss" in r)
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert trainer.position.step == 9


def test_keep_checkpoints_keeps_the_newest_validations_models(tmp_path) -> None:
    trainer = fit(tmp_path, config(max_steps=12, valid_every=4, keep_checkpoints=2))
    kept = sorted(path.name for path in tmp_path.glob("step-*.pt"))
    assert kept == ["step-0000008.pt", "step-0000012.pt"]  # step 4's was deleted
    newest = load_checkpoint(tmp_path / "step-0000012.pt")
    assert "optimizers" not in newest and newest["progress"]["position"]["step"] == 12
    for name, tensor in trainer.task.model.state_dict().items():
        assert torch.equal(newest["model"][name], tensor), name
    eight = load_checkpoint(tmp_path / "step-0000008.pt")["model"]
    averaged = average_checkpoints(sorted(tmp_path.glob("step-*.pt")), tmp_path / "avg.pt")
    assert averaged.tensors == len(eight)
    for name, tensor in load_checkpoint(tmp_path / "avg.pt")["model"].items():
        torch.testing.assert_close(tensor, (eight[name] + newest["model"][name]) / 2)
    Trainer(ToyTask(), config(max_steps=1, valid_every=0), tmp_path,
            {"task": "toy"}).fit(overwrite=True)
    assert not list(tmp_path.glob("step-*.pt"))  # keep_checkpoints 0: none, and none stale


def test_progress_counts_in_the_tasks_unit(tmp_path, capsys) -> None:
    """A task's ``unit`` names the rate of its progress lines and log records."""

    class SentenceTask(ToyTask):
        unit = "sentences"

    fit(tmp_path, config(max_steps=6), make_task=SentenceTask)
    records = [r for r in log(tmp_path) if "loss" in r]
    assert records and all(r["sentences_per_s"] > 0 and "tokens_per_s" not in r for r in records)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("step ")]
    assert lines and all(" sentences/s | " in line for line in lines)


def test_early_stopping_after_patience(tmp_path) -> None:
    trainer = fit(tmp_path, config(patience=2), flat_validation=True)
    # validations at steps 4 (best), 8 and 12 (no better): stop at 12
    assert trainer.position.step == 12 and trainer.position.stale == 2


def test_epochs_limit_validates_each_epoch(tmp_path) -> None:
    trainer = fit(tmp_path, config(epochs=2, valid_every=0))
    assert trainer.position.step == 14 and trainer.position.epoch == 2
    assert [r["step"] for r in log(tmp_path) if "valid" in r] == [7, 14]


def test_unknown_metric_is_rejected(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"train\.metric: unknown metric 'bleu'.*mse, neg_mse"):
        Trainer(ToyTask(), config(metric="bleu"), tmp_path, {})


@pytest.mark.parametrize(("changes", "message"), [
    ({"optimizer": "adm"}, r"train\.optimizer: optimizer: unknown optimizer 'adm'"),
    ({"optimizer_options": {"bogus": 1.0}}, r"train\.optimizer: .*bogus"),
    ({"schedule_options": {"rate": 0.5}}, r"train\.schedule: schedule: 'exponential' takes"),
    ({"schedule": "cosine"}, r"train\.schedule: schedule: unknown schedule 'cosine'"),
    ({"lr": 0.0}, r"train\.lr: expected > 0, got 0\.0"),
    ({"epochs": 0}, r"train\.epochs: expected ≥ 1, got 0"),
    ({"max_steps": -5}, r"train\.max_steps: expected ≥ 1 or null, got -5"),
    ({"patience": 0}, r"train\.patience: expected ≥ 1 or null, got 0"),
    ({"log_every": 0}, r"train\.log_every: expected ≥ 1, got 0"),
    ({"keep_checkpoints": -1}, r"train\.keep_checkpoints: expected ≥ 0, got -1"),
    ({"clip_norm": 0.0}, r"train\.clip_norm: expected > 0 or null, got 0\.0"),
])
def test_settings_out_of_range_name_their_key(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config(**changes)


def test_diverging_loss_stops_with_a_clear_error(tmp_path) -> None:
    task = ToyTask()
    task.y[:] = float("nan")
    with pytest.raises(FloatingPointError, match="loss is nan at step 0"):
        Trainer(task, config(max_steps=3), tmp_path, {}).fit()


def test_a_kept_checkpoint_that_cannot_be_written_stops_with_its_name(tmp_path) -> None:
    blocked = tmp_path / "step-0000004.pt"
    blocked.mkdir(parents=True)  # a folder where the kept checkpoint goes
    with pytest.raises(SeqkitError, match=rf"{blocked}: cannot write"):
        fit(tmp_path, config(max_steps=8, valid_every=4, keep_checkpoints=1))
    assert load_checkpoint(tmp_path / "last.pt")["progress"]["position"]["step"] == 4
    assert not list(tmp_path.glob(".*.tmp"))
