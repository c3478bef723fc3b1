"""The language_model task on tiny texts: state round trip, batches, loss and perplexity against a
per-text loop, clipping by value, training through the CLI (resume equals one run), evaluate,
sample, and the errors."""

import json
import math

import pytest
import torch
from click.testing import CliRunner
from torch.nn import functional as F

from seqkit import api
from seqkit.cli import main
from seqkit.config import from_dict
from seqkit.data import DataError, Vocabulary, prepare
from seqkit.errors import ConfigError
from seqkit.lm import KneserNey
from seqkit.tasks.language_model.task import LanguageModelRecipe, LanguageModelTask

NAMES = ["anna", "anne", "hanna", "jan", "jana", "nan", "ann", "hans", "johanna", "jon"]
TINY = {"model": {"embedding_dim": 8, "hidden_size": 12}}


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for split, n in (("train", 60), ("valid", 10), ("test", 10)):
        (folder / f"{split}.txt").write_text("".join(NAMES[i % 10] + "\n" for i in range(n)))
    return folder


def recipe(data_dir, **sections) -> LanguageModelRecipe:
    data = {"dir": str(data_dir), "tokenizer": "char", "max_tokens": 40,
            **sections.pop("data", {})}
    return from_dict(LanguageModelRecipe, {**TINY, "data": data, **sections})


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_build_restore_round_trip_keeps_plain_state(data_dir) -> None:
    task = LanguageModelTask.build(recipe(data_dir))
    state = task.state()
    torch.save(state, data_dir / "state.pt")
    assert torch.load(data_dir / "state.pt", weights_only=True) == state
    restored = LanguageModelTask.restore(recipe(data_dir), state)
    for name in NAMES:
        assert restored.encode(name) == task.encode(name)
        assert Vocabulary.UNK not in task.encode(name)
        assert restored.decode(task.encode(name)) == name
    assert len(task.vocab) == 4 + len(set("".join(NAMES)))  # specials + the letters


def test_word_tokens_and_max_vocab(data_dir) -> None:
    (data_dir / "train.txt").write_text("the cat sat\nthe dog sat\nthe cat ran\n")
    task = LanguageModelTask.build(recipe(data_dir, data={"tokenizer": "word", "max_vocab": 2}))
    assert [task.vocab[i] for i in range(4, len(task.vocab))] == ["the", "cat"]
    assert task.encode("the dog") == [4, Vocabulary.UNK]


def test_batches_are_a_function_of_the_epoch_within_budget(data_dir) -> None:
    task = LanguageModelTask.build(recipe(data_dir))
    first, again, other = task.batches(0), task.batches(0), task.batches(1)
    assert all(torch.equal(a.inputs, b.inputs) for a, b in zip(first, again, strict=True))
    assert [b.inputs.shape for b in first] != [b.inputs.shape for b in other]
    texts = []
    for batch in first:
        B, T = batch.inputs.shape  # (B, T): <s> y<1> … y<T_y>, then <pad>
        assert batch.targets.shape == (B, T) and B * T <= 40
        for inputs, targets, length in zip(batch.inputs, batch.targets, batch.lengths,
                                           strict=True):
            ids = inputs[1:length].tolist()
            assert inputs[0] == Vocabulary.BOS and targets[:length].tolist() == [*ids, 3]
            texts.append(task.decode(ids))
    assert sorted(texts) == sorted(NAMES * 6)  # every training text once


def test_loss_and_validation_perplexity_equal_a_per_text_loop(data_dir) -> None:
    task = LanguageModelTask.build(recipe(data_dir))
    model = task.model.double().eval()
    nll, n = 0.0, 0
    for ids in task.held_out("valid"):  # one text at a time: no padding at all
        x = torch.tensor([[Vocabulary.BOS, *ids]])
        logits = model(x).logits[0]  # (T_y + 1, V)
        nll += F.cross_entropy(logits, torch.tensor([*ids, Vocabulary.EOS]), reduction="sum").item()
        n += len(ids) + 1
    scores = task.validate(model)
    assert scores["loss"] == pytest.approx(nll / n, rel=1e-10)
    assert scores["perplexity"] == pytest.approx(math.exp(nll / n), rel=1e-10)
    batch = next(iter(task.batches(0)))
    loss, tokens = task.loss(model, batch)
    assert tokens == int((batch.targets != Vocabulary.PAD).sum()) and loss.shape == ()


def test_clip_value_clamps_every_gradient_entry_before_the_step(data_dir) -> None:
    task = LanguageModelTask.build(recipe(data_dir, clip_value=0.01))
    batch = next(iter(task.batches(0)))
    reference = LanguageModelTask.build(recipe(data_dir))
    reference.model.load_state_dict(task.model.state_dict())
    reference.loss(reference.model, batch)[0].backward()
    seen = {}

    def optimize(name: str, loss: torch.Tensor) -> None:  # the trainer's: backward, then step
        loss.backward()
        seen.update({k: p.grad.clone() for k, p in task.model.named_parameters()})

    task.update({"model": task.model}, batch, optimize)
    for name, p in reference.model.named_parameters():
        assert torch.equal(seen[name], p.grad.clamp(-0.01, 0.01)), name
    assert any(p.grad.abs().max() > 0.01 for p in reference.model.parameters())  # it clipped
    assert not hasattr(reference, "update")  # without clip_value: the trainer's own update


def train(tmp_path, data_dir, out: str, *sets: str):
    path = tmp_path / "lm.yaml"
    path.write_text(f"task: language_model\nseed: 1\ndata: {{dir: {data_dir}, max_tokens: 40}}\n"
                    "model: {embedding_dim: 8, hidden_size: 12, dropout: 0.1}\n"
                    "train: {epochs: 2, lr: 0.01, valid_every: 5, log_every: 5}\n")
    return seqkit("train", str(path), "--out", str(tmp_path / out),
                  *[a for s in sets for a in ("--set", s)])


def test_cli_train_resume_equals_one_run_then_evaluate_and_sample(tmp_path, data_dir) -> None:
    assert train(tmp_path, data_dir, "whole").exit_code == 0
    assert train(tmp_path, data_dir, "split", "train.max_steps=7").exit_code == 0
    resumed = seqkit("train", str(tmp_path / "lm.yaml"), "--out", str(tmp_path / "split"),
                     "--resume")
    assert resumed.exit_code == 0, resumed.output
    whole, split = (torch.load(tmp_path / run / "last.pt", weights_only=True)
                    for run in ("whole", "split"))
    for name, value in whole["model"].items():
        assert torch.equal(value, split["model"][name]), name

    run = str(tmp_path / "whole")
    report = json.loads(seqkit("evaluate", run, "--json", "--ngram-baseline", "2").output)
    task = api.load(run, task="language_model")
    assert report["metrics"]["perplexity"] == pytest.approx(task.evaluate("test").metrics[
        "perplexity"], rel=1e-6)
    train_ids = [task.encode(name) for name in NAMES for _ in range(6)]
    expected = KneserNey(order=2).fit(train_ids, len(task.vocab)).perplexity(
        task.held_out("test")).value
    assert report["metrics"]["kneser_ney_2_perplexity"] == pytest.approx(expected)
    printed = seqkit("evaluate", run, "--ngram-baseline", "2").output
    assert "</s> included" in printed and "2-gram interpolated Kneser–Ney" in printed

    once, twice = (seqkit("sample", run, "-n", "4", "--seed", "3").output for _ in range(2))
    assert once == twice and len(once.splitlines()) == 4
    greedy = seqkit("sample", run, "-n", "3", "--temperature", "0").output.splitlines()
    assert len(set(greedy)) == 1  # τ = 0: every sample is the one greedy sequence
    assert greedy[0] == task.sample(n=1, temperature=0.0)[0]
    prompted = seqkit("sample", run, "--prompt", "jo", "--prompt", "ha", "--seed", "0").output
    assert [line[:2] for line in prompted.splitlines()] == ["jo", "ha"]
    unknown = CliRunner().invoke(main, ["sample", run, "--prompt", "xyz", "--seed", "0"])
    assert "warning: prompt 'xyz' has tokens outside the model's vocabulary" in unknown.output


def test_other_tasks_verbs_and_options_are_refused(tmp_path, data_dir) -> None:
    assert train(tmp_path, data_dir, "run", "train.max_steps=2").exit_code == 0
    run = str(tmp_path / "run")
    (tmp_path / "in.txt").write_text("anna\n")
    other = seqkit("translate", run, str(tmp_path / "in.txt"))
    assert other.exit_code == 1 and "a language_model model; `translate` needs a seq2seq model " \
        "(language_model models answer: sample, evaluate)" in other.output
    assert "--beam is not an option of its evaluation" in seqkit("evaluate", run, "--beam",
                                                                   "2").output


def test_recipe_and_data_errors_name_the_key_or_file(data_dir, tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"data\.tokenizer"):
        recipe(data_dir, data={"tokenizer": "bpe"})
    with pytest.raises(ConfigError, match=r"clip_value: expected > 0 or null, got -1.0"):
        recipe(data_dir, clip_value=-1.0)
    with pytest.raises(ConfigError, match=r"sample\.temperature: expected ≥ 0, got -0\.5"):
        recipe(data_dir, sample={"temperature": -0.5})
    (data_dir / "valid.txt").write_text("\n\n")
    with pytest.raises(DataError, match=r"valid.txt: the valid split has no text"):
        LanguageModelTask.build(recipe(data_dir))
    (data_dir / "train.txt").write_text("")
    with pytest.raises(DataError, match=r"train.txt: no training text"):
        LanguageModelTask.build(recipe(data_dir))
    with pytest.raises(DataError, match=r"no such file"):
        LanguageModelTask.build(recipe(tmp_path / "missing"))
    with pytest.raises(DataError, match="unknown data preparer 'name'; did you mean 'names'"):
        LanguageModelTask.build(recipe(data_dir, data={"prepare": "name"}))


def test_names_preparer_writes_the_splits_once(tmp_path) -> None:
    data = recipe(tmp_path / "names", data={"prepare": "names"}).data
    prepare("names", data, 0)
    splits = {s: (tmp_path / "names" / f"{s}.txt").read_text().splitlines()
              for s in ("train", "valid", "test")}
    assert not set(splits["train"]) & set(splits["test"])  # distinct names, shuffled apart
    assert len(splits["train"]) == round(0.8 * sum(map(len, splits.values())))
    (tmp_path / "names" / "train.txt").write_text("kept\n")
    prepare("names", data, 0)  # complete: left alone
    assert (tmp_path / "names" / "train.txt").read_text() == "kept\n"
