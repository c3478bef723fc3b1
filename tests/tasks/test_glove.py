"""The GloVe task on a tiny corpus: counts against the library's, the cache, batches covering
every X_ij, the update as glove.c's AdaGrad step, training through the CLI (resume
equals one run), evaluate and the embed verbs on a GloVe model."""

import json

import pytest
import torch
from click.testing import CliRunner
from embedding_corpus import recipe_file, write_corpus

from seqkit import api
from seqkit.cli import main
from seqkit.embeddings import cooccurrence
from seqkit.embeddings.glove import adagrad_step
from seqkit.tasks import load_recipe
from seqkit.tasks.word2vec.glove import GloVeTask

SECTIONS = {"model": {"dim": 6, "batch_size": 64}, "train": {"lr": 0.05}}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("glove"))


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args))


def test_counts_match_the_library_and_are_cached(corpus) -> None:
    task = GloVeTask.build(load_recipe(recipe_file(corpus, "glove", **SECTIONS)))
    lines = (corpus / "train.txt").read_text().splitlines()
    X = cooccurrence([task.vocab.encode(line.split()) for line in lines], len(task.vocab), 2)
    i, j, x = task.entries
    assert torch.equal(torch.stack([i, j]), X.indices())
    torch.testing.assert_close(x, X.values().float())
    assert len(list((corpus / ".cache").glob("glove-cooccurrence-*.pt"))) == 1
    again = GloVeTask.restore(task.recipe, task.state())
    assert all(torch.equal(a, b) for a, b in zip(again.entries, task.entries, strict=True))


def test_batches_cover_every_entry_once_per_epoch_in_an_order_of_the_epoch(corpus) -> None:
    task = GloVeTask.build(load_recipe(recipe_file(corpus, "glove", **SECTIONS)))
    epoch0, epoch1 = task.batches(0), task.batches(1)
    assert all(b.numel() <= 64 for b in epoch0)
    assert torch.equal(torch.cat(epoch0).sort().values, torch.arange(task.entries[2].numel()))
    assert not torch.equal(torch.cat(epoch0), torch.cat(epoch1))
    assert all(torch.equal(a, b) for a, b in zip(epoch0, task.batches(0), strict=True))


def test_update_is_glove_c_adagrad_step_with_train_lr(corpus) -> None:
    task = GloVeTask.build(load_recipe(recipe_file(corpus, "glove", **SECTIONS)))
    reference = GloVeTask.restore(task.recipe, task.state()).model
    reference.load_state_dict(task.model.state_dict())
    batch = task.batches(0)[0]
    loss, n = task.update({"model": task.model}, batch, optimize=None)
    i, j, x = (t[batch] for t in task.entries)
    J = adagrad_step(reference, i, j, x, lr=0.05)
    assert n == batch.numel() and loss == pytest.approx(J.item() / n)
    for name, tensor in reference.state_dict().items():
        assert torch.equal(task.model.state_dict()[name], tensor), name
    assert not torch.equal(task.model.G_w, torch.ones_like(task.model.G_w))


def test_cli_train_resume_equals_one_run_then_evaluate_and_similar(corpus, tmp_path) -> None:
    path = str(recipe_file(corpus, "glove", **SECTIONS))
    whole, split = str(tmp_path / "whole"), str(tmp_path / "split")
    assert seqkit("train", path, "--out", whole).exit_code == 0
    assert seqkit("train", path, "--out", split, "--set", "train.max_steps=2").exit_code == 0
    assert seqkit("train", path, "--out", split, "--resume").exit_code == 0
    a, b = (torch.load(f"{run}/last.pt", weights_only=True)["model"] for run in (whole, split))
    for name in a:
        assert torch.equal(a[name], b[name]), name
    task = api.load(whole, task="glove")
    torch.testing.assert_close(task.vectors().vectors, task.model.w + task.model.w_tilde)
    report = json.loads(seqkit("evaluate", whole, "--json").output)
    assert report["metrics"] == pytest.approx(task.evaluate().metrics, nan_ok=True)
    assert "GloVe x_max=100" in report["title"]
    similar = seqkit("embed", "similar", whole, "queen", "-n", "2").output.splitlines()
    assert [line.split("\t")[0] for line in similar] == [
        n.word for n in task.vectors().most_similar("queen", 2)]
