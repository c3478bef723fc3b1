"""The classify task on tiny labelled sentences: state round trip, k-fold splits, batches and loss
against torch, padding that changes no prediction, training through the CLI (resume equals one
run), evaluate, classify, cross-validate, and the errors."""

import json

import pytest
import torch
from click.testing import CliRunner
from torch.nn import functional as F

from seqkit import api
from seqkit.classify import read_fasttext
from seqkit.cli import main
from seqkit.config import from_dict
from seqkit.data import DataError, prepare
from seqkit.errors import ConfigError
from seqkit.tasks.classify.task import ClassifyRecipe, ClassifyTask, split_examples

POSITIVE = ["a good film", "good and fine", "very good acting", "a fine story", "fine fine film"]
NEGATIVE = ["a bad film", "bad and dull", "very bad acting", "a dull story", "dull dull film"]
LINES = [f"__label__pos {p}\n__label__neg {n}\n" for p, n in zip(POSITIVE, NEGATIVE, strict=True)]


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "all.txt").write_text("".join(LINES * 3))  # 30 sentences
    for split, n in (("train", 4), ("valid", 1), ("test", 1)):
        (folder / f"{split}.txt").write_text("".join(LINES * n))
    return folder


def recipe(data_dir, **data) -> ClassifyRecipe:
    return from_dict(ClassifyRecipe, {
        "data": {"dir": str(data_dir), "batch_size": 4, **data},
        "model": {"embedding_dim": 6, "hidden_size": 5}})


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_build_restore_round_trip_keeps_plain_state(data_dir) -> None:
    task = ClassifyTask.build(recipe(data_dir))
    state = task.state()
    torch.save(state, data_dir / "state.pt")
    assert torch.load(data_dir / "state.pt", weights_only=True) == state
    restored = ClassifyTask.restore(recipe(data_dir), state)
    restored.model.load_state_dict(task.model.state_dict())
    assert restored.classes == ["neg", "pos"] == task.classes
    assert restored.classify(POSITIVE + NEGATIVE) == task.classify(POSITIVE + NEGATIVE)


def test_folds_are_disjoint_and_every_sentence_is_tested_once(data_dir) -> None:
    data = recipe(data_dir, folds=5).data
    examples = read_fasttext(data_dir / "all.txt")
    tested = []
    for fold in range(5):
        data.fold = fold
        parts = {s: split_examples(data, s, seed=0) for s in ("train", "valid", "test")}
        assert [len(parts[s]) for s in ("train", "valid", "test")] == [18, 6, 6]
        data.fold = (fold + 1) % 5
        assert split_examples(data, "test", seed=0) == parts["valid"]  # the next fold's test
        tested += parts["test"]
    assert sorted(tested) == sorted(examples)


def test_batches_and_loss_equal_torch(data_dir) -> None:
    task = ClassifyTask.build(recipe(data_dir))
    batches = task.batches(0)
    assert [len(b.labels) for b in batches] == [4] * 10  # 40 training sentences
    assert [b.ids.tolist() for b in batches] == [b.ids.tolist() for b in task.batches(0)]
    assert [b.ids.tolist() for b in batches] != [b.ids.tolist() for b in task.batches(1)]
    batch = batches[0]
    assert batch.ids.shape == (4, int(batch.lengths.max()))  # (B, T)
    loss, count = task.loss(task.model, batch)
    expected = F.cross_entropy(task.model(batch.ids, batch.lengths), batch.labels)
    assert count == 4 and torch.allclose(loss, expected)


@pytest.mark.parametrize("kind", ["rnn", "average"])
def test_padding_changes_no_prediction(data_dir, kind: str) -> None:
    task = ClassifyTask.build(from_dict(ClassifyRecipe, {
        "data": {"dir": str(data_dir)}, "model": {"kind": kind, "embedding_dim": 6}}))
    alone = [task.classify([line])[0] for line in POSITIVE]
    padded = task.classify([*POSITIVE, "very good acting and a fine story fine film"])[:5]
    for a, b in zip(alone, padded, strict=True):
        assert a.label == b.label and a.probability == pytest.approx(b.probability, abs=1e-6)


def train(tmp_path, data_dir, out: str, *sets: str):
    path = tmp_path / "sentiment.yaml"
    path.write_text(f"task: classify\nseed: 2\ndata: {{dir: {data_dir}, batch_size: 4, "
                    "folds: 5, fold: 0}\nmodel: {embedding_dim: 6, hidden_size: 5, dropout: 0.2}\n"
                    "train: {epochs: 3, lr: 0.03, valid_every: 3, log_every: 3}\n")
    return seqkit("train", str(path), "--out", str(tmp_path / out),
                  *[a for s in sets for a in ("--set", s)])


def test_cli_train_resume_evaluate_classify_and_cross_validate(tmp_path, data_dir) -> None:
    assert train(tmp_path, data_dir, "whole").exit_code == 0
    assert train(tmp_path, data_dir, "split", "train.max_steps=7").exit_code == 0
    resumed = seqkit("train", str(tmp_path / "sentiment.yaml"), "--out", str(tmp_path / "split"),
                     "--resume")
    assert resumed.exit_code == 0, resumed.output
    whole, split = (torch.load(tmp_path / run / "last.pt", weights_only=True)
                    for run in ("whole", "split"))
    for name, value in whole["model"].items():
        assert torch.equal(value, split["model"][name]), name

    run = str(tmp_path / "whole")
    task = api.load(run, task="classify")
    report = json.loads(seqkit("evaluate", run, "--json").output)
    assert report["metrics"] == task.evaluate("test").metrics
    assert report["metrics"]["total"] == 6 and report["settings"]["fold"] == 0
    assert "(fold 0 of 5, 6 sentences, rnn lstm)" in seqkit("evaluate", run).output

    (tmp_path / "in.txt").write_text("a good film\n\nzzz qqq\n")
    lines = seqkit("classify", run, str(tmp_path / "in.txt")).output.split("\n")
    assert lines[1] == "" and len(lines) == 4  # a blank line gives a blank line
    for line, guess in zip(lines[:3], task.classify(["a good film", "", "zzz qqq"]),
                               strict=True):
        assert line == ("" if guess is None else f"{guess.label}\t{guess.probability:.4f}")
    assert 0.5 <= float(lines[0].split("\t")[1]) <= 1  # the argmax of two classes

    fold1 = train(tmp_path, data_dir, "fold1", "data.fold=1", "train.max_steps=2")
    assert fold1.exit_code == 0
    folds = seqkit("cross-validate", run, str(tmp_path / "fold1")).output.splitlines()
    scores = [api.load(r, task="classify").score("test") for r in (run, tmp_path / "fold1")]
    correct = sum(s.correct for s in scores)
    assert folds[-1] == (f"5-fold cross-validation: accuracy {100 * correct / 12:.2f}% "
                         f"({correct}/12, argmax of ŷ), partial: 2 of 5 folds")
    assert train(tmp_path, data_dir, "other", "data.fold=2", "seed=5",
                 "train.max_steps=1").exit_code == 0
    differs = CliRunner().invoke(main, ["cross-validate", run, str(tmp_path / "other")])
    assert differs.exit_code == 1 and "its recipe differs from" in differs.output
    again = CliRunner().invoke(main, ["cross-validate", run, run])
    assert again.exit_code == 1 and "fold 0 again" in again.output
    other = CliRunner().invoke(main, ["sample", run])
    assert other.exit_code == 1 and "a classify model; `sample` needs a language_model model " \
        "(classify models answer: classify, cross-validate, evaluate)" in other.output


def test_recipe_and_data_errors_name_the_key_or_file(data_dir, tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"data\.fold: expected in \[0, 5\)"):
        recipe(data_dir, folds=5, fold=5)
    with pytest.raises(ConfigError, match=r"data\.folds: expected 0 or ≥ 3"):
        recipe(data_dir, folds=2)
    with pytest.raises(DataError, match=r"missing/train\.txt: no such file"):
        ClassifyTask.build(recipe(tmp_path / "missing"))
    (data_dir / "train.txt").write_text("__label__pos good\n__label__pos fine\n")
    with pytest.raises(DataError, match=r"the training split has one label \(pos\)"):
        ClassifyTask.build(recipe(data_dir))
    (data_dir / "train.txt").write_text("".join(LINES))
    (data_dir / "valid.txt").write_text("__label__meh so so\n")
    with pytest.raises(DataError, match=r"valid split: .*label 'meh'; expected one of neg, pos"):
        ClassifyTask.build(recipe(data_dir))
    (data_dir / "all.txt").write_text("no label here\n")
    with pytest.raises(DataError, match=r"all\.txt:1: expected one leading __label__LABEL"):
        ClassifyTask.build(recipe(data_dir, folds=3))


def test_pang_lee_preparer_writes_gensims_200_sentences_once(tmp_path) -> None:
    data = recipe(tmp_path / "pl", folds=10).data
    prepare("pang_lee", data, 0)
    examples = read_fasttext(tmp_path / "pl" / "all.txt")
    assert len(examples) == 200 and {e.label for e in examples} == {"neg", "pos"}
    (tmp_path / "pl" / "all.txt").write_text("__label__pos kept\n")
    prepare("pang_lee", data, 0)
    assert read_fasttext(tmp_path / "pl" / "all.txt") == [("pos", "kept")]
