"""The word2vec task on a tiny corpus: state round trip, batches and the linear decay, the update
against the reference loss, training through the CLI (resume equals one run), evaluate, the
``seqkit embed`` verbs, and the errors."""

import copy
import json

import pytest
import torch
from click.testing import CliRunner
from embedding_corpus import PAIRS, recipe_file, write_corpus

from seqkit import api
from seqkit.cli import main
from seqkit.data.errors import DataError
from seqkit.embeddings import linear_lr, load_word2vec, sequential_sgd_step
from seqkit.errors import ConfigError
from seqkit.tasks import load_recipe
from seqkit.tasks.word2vec.task import Word2VecTask

MODEL = {"dim": 8, "negative": 3}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("w2v"))


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args))


def task_of(corpus, **sections) -> Word2VecTask:
    sections.setdefault("model", MODEL)
    return Word2VecTask.build(load_recipe(recipe_file(corpus, "word2vec", **sections)))


def test_build_restore_round_trip_keeps_plain_state(corpus, tmp_path) -> None:
    task = task_of(corpus)
    assert task.vocab.words[:2] and "rareword" not in task.vocab  # min_count 2
    torch.save(task.state(), tmp_path / "state.pt")
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    restored = Word2VecTask.restore(task.recipe, state)
    assert restored.vocab.words == task.vocab.words
    assert torch.equal(restored.vocab.counts, task.vocab.counts)
    assert restored.model.embedding.shape == (len(task.vocab), 8)


@pytest.mark.parametrize("path", ["sequential", "banded"])
def test_batches_shapes_and_linear_decay_over_epochs(corpus, path) -> None:
    task = task_of(corpus, sgd={"block": 4, "min_lr": 0.001, "path": path}, train={"lr": 0.05})
    total = int(task.vocab.counts.sum())
    for epoch in range(2):
        done = 0
        for batch in task.batches(epoch):
            B = batch.windows.center.numel()
            assert batch.windows.context.shape == batch.windows.mask.shape == (B, 4)
            blocks = B if path == "sequential" else -(-B // 4)  # per center | per block of 4
            assert batch.noise.shape == (blocks, 4, 3)  # default 5 groups, at most 2W = 4
            assert batch.lr == pytest.approx(linear_lr(0.05, 0.001, (epoch * total + done)
                                                       / (2 * total)))
            done += batch.windows.words
        assert done == total  # every in-vocabulary corpus word counted once per epoch
    first = next(iter(task.batches(0)))
    assert first.lr == 0.05


@pytest.mark.parametrize(("arch", "groups", "g"), [("skipgram", 1, 1), ("skipgram", 4, 4),
                                                   ("cbow", 5, 16)])  # CBOW: g = L = 16
def test_banded_update_is_one_sgd_step_and_returns_the_loss_before_it(corpus, arch, groups,
                                                                     g) -> None:
    task = task_of(corpus, sgd={"noise_groups": groups, "path": "banded"},
                   model={**MODEL, "arch": arch})
    batch = next(iter(task.batches(0)))
    assert batch.noise.shape[1:] == (g, 3)
    with torch.no_grad():  # θ = 0 (word2vec's init) would make every noise word score the same
        task.model.theta.normal_(0, 0.5, generator=torch.Generator().manual_seed(0))
        expected, pairs = task.loss(task.model, batch)
    assert pairs == int(batch.windows.mask.sum())
    loss, words = task.update({"model": task.model}, batch, optimize=None)
    assert loss == pytest.approx(float(expected), rel=1e-5)
    assert words == batch.windows.words
    with torch.no_grad():
        assert float(task.loss(task.model, batch)[0]) < loss  # the step lowered the loss


@pytest.mark.parametrize(("arch", "g"), [("skipgram", 4), ("cbow", 1)])
def test_sequential_update_steps_example_after_example(corpus, arch, g) -> None:
    # each skip-gram pair its own k noise words (2W = 4 groups), whatever sgd.noise_groups says
    task = task_of(corpus, model={**MODEL, "arch": arch}, sgd={"noise_groups": 1})
    assert task.sequential()  # auto on the CPU
    batch = next(iter(task.batches(0)))
    assert batch.block is None and batch.noise.shape == (batch.windows.center.numel(), g, 3)
    with torch.no_grad():
        task.model.theta.normal_(0, 0.5, generator=torch.Generator().manual_seed(0))
        reference = copy.deepcopy(task.model)
        before = float(task.loss(task.model, batch)[0])
    expected = sequential_sgd_step(reference, batch.windows, batch.noise, batch.lr)
    loss, words = task.update({"model": task.model}, batch, optimize=None)
    assert loss == pytest.approx(float(expected)) and words == batch.windows.words
    for name, value in reference.state_dict().items():
        assert torch.equal(task.model.state_dict()[name], value), name
    with torch.no_grad():
        assert float(task.loss(task.model, batch)[0]) < before


def test_stream_resumes_mid_epoch_exactly(corpus) -> None:
    task = task_of(corpus)
    stream = task.batches(1)
    iterator = iter(stream)
    next(iterator)
    state = stream.state_dict()
    rest = list(iterator)
    again = task.batches(1)
    again.load_state_dict(state)
    for a, b in zip(rest, list(again), strict=True):
        assert torch.equal(a.windows.center, b.windows.center)
        assert torch.equal(a.noise, b.noise) and a.lr == b.lr


def test_cli_train_resume_equals_one_run_evaluate_and_verbs(corpus, tmp_path) -> None:
    path = str(recipe_file(corpus, "word2vec", model=MODEL))
    whole, split = str(tmp_path / "whole"), str(tmp_path / "split")
    assert seqkit("train", path, "--out", whole).exit_code == 0
    assert seqkit("train", path, "--out", split, "--set", "train.max_steps=3").exit_code == 0
    resumed = seqkit("train", path, "--out", split, "--resume")
    assert resumed.exit_code == 0, resumed.output
    a, b = (torch.load(f"{run}/last.pt", weights_only=True)["model"] for run in (whole, split))
    for name in a:
        assert torch.equal(a[name], b[name]), name

    report = json.loads(seqkit("evaluate", whole, "--json").output)
    task = api.load(whole, task="word2vec")
    assert report["metrics"] == pytest.approx(task.evaluate().metrics, nan_ok=True)
    assert report["metrics"]["ws353/oov"] == 1  # zebra
    assert report["metrics"]["analogy/oov"] == 0
    assert report["metrics"]["analogy/questions"] == len(PAIRS) * (len(PAIRS) - 1)
    printed = seqkit("embed", "evaluate", whole, "--restrict-vocab", "50").output
    assert "gender:" in printed and "1 OOV pairs skipped" in printed
    assert "restrict_vocab=50" in printed

    vectors = task.vectors()
    similar = seqkit("embed", "similar", whole, "king", "-n", "3").output.splitlines()
    assert [line.split("\t")[0] for line in similar] == [
        n.word for n in vectors.most_similar("king", 3)]
    answer = seqkit("embed", "analogy", whole, "man", "woman", "king", "-n", "1").output
    assert answer.split("\t")[0] == vectors.analogy("man", "woman", "king")[0].word

    for kind, binary in (("word2vec", False), ("word2vec-binary", True)):
        out = tmp_path / f"vectors.{kind}"
        assert seqkit("embed", "export", whole, "--format", kind, "--out", str(out)).exit_code == 0
        loaded = load_word2vec(out, binary=binary)
        assert loaded.words == vectors.words
        torch.testing.assert_close(loaded.vectors, vectors.vectors.float())

    debiased = seqkit("embed", "debias", whole, "--out", str(tmp_path / "debiased.txt"))
    assert debiased.exit_code == 0, debiased.output
    assert debiased.output.startswith("before: direct bias ")
    after = load_word2vec(tmp_path / "debiased.txt")
    assert "after: direct bias 0.0000" in debiased.output
    assert after.words == vectors.words


def test_unknown_words_and_other_tasks_models_are_one_line_errors(corpus, tmp_path) -> None:
    run = str(tmp_path / "run")
    path = str(recipe_file(corpus, "word2vec", model=MODEL))
    assert seqkit("train", path, "--out", run, "--set", "train.max_steps=1").exit_code == 0
    unknown = seqkit("embed", "similar", run, "kingg")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == (f"Error: 'kingg' is not in the vocabulary of "
                                      f"{len(api.load(run).vocab)} words; closest known: king")
    names = tmp_path / "names"
    names.mkdir()
    for split in ("train", "valid", "test"):
        (names / f"{split}.txt").write_text("anna\nhanna\njon\n")
    lm = tmp_path / "lm.yaml"
    lm.write_text(f"task: language_model\ndata: {{dir: {names}}}\nmodel: {{embedding_dim: 4, "
                  f"hidden_size: 4}}\ntrain: {{max_steps: 1}}\n")
    assert seqkit("train", str(lm), "--out", str(tmp_path / "lm")).exit_code == 0
    other = seqkit("embed", "similar", str(tmp_path / "lm"), "anna")
    assert other.exit_code == 1 and "a language_model model; `embed similar` needs a word2vec " \
        "or glove model (language_model models answer: sample, evaluate)" in other.output


def test_recipe_and_data_errors_name_the_key_or_file(corpus, tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"sgd\.min_lr: expected ≤ train\.lr = 0\.001, got "):
        task_of(corpus, sgd={"min_lr": 0.5})
    with pytest.raises(ConfigError, match=r"sgd\.path: expected one of auto, sequential, banded"):
        task_of(corpus, sgd={"path": "fast"})
    with pytest.raises(ConfigError, match=r"sgd\.path: expected auto or banded here \(sequential "
                       r"needs seqkit's compiled extension"):
        task = task_of(corpus, sgd={"path": "sequential"})
        task.model.double()  # float64: the banded path only
        task.sequential()
    with pytest.raises(ConfigError, match=r"model\.arch: expected one of skipgram, cbow"):
        task_of(corpus, model={"arch": "glove"})
    with pytest.raises(ConfigError, match=r"data\.sources"):
        task_of(corpus, data={"sources": ["wikipedia"]})
    with pytest.raises(DataError, match=r"train\.txt: no corpus; set data\.prepare: english"):
        task_of(corpus, data={"dir": str(tmp_path)})
    with pytest.raises(DataError, match="unknown data preparer 'englsh'; did you mean 'english'"):
        task_of(corpus, data={"prepare": "englsh"})
