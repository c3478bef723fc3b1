"""The platform carries a task that is not seq2seq: a toy classifier with a streamed batch source,
a two-optimizer update of its own, the generic ``seqkit evaluate`` and a verb of its own."""

import json

import pytest
import torch
import toy_classifier
from click.testing import CliRunner

from seqkit import api, tasks
from seqkit.cli import main

RECIPE = """\
task: toy_classifier
seed: 3
data: {batch_size: 8, batches: 10, length: 6, valid: 64}
train: {optimizer: adam, lr: 0.05, epochs: 3, valid_every: 4, log_every: 2, metric: accuracy}
"""


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    monkeypatch.setitem(tasks.TASKS, "toy_classifier", tasks.TaskEntry(
        "toy_classifier:ToyClassifierTask", "toy_classifier_verbs"))


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def train(tmp_path, out: str, *sets: str):
    recipe = tmp_path / "toy.yaml"
    recipe.write_text(RECIPE)
    args = [a for s in sets for a in ("--set", s)]
    return seqkit("train", str(recipe), "--out", str(tmp_path / out), *args)


def test_a_streamed_two_optimizer_task_resumes_mid_epoch_exactly(tmp_path) -> None:
    assert train(tmp_path, "whole").exit_code == 0
    whole = torch.load(tmp_path / "whole" / "last.pt", weights_only=True)
    assert set(whole["optimizers"]) == {"encoder", "head"} == set(whole["schedulers"])

    assert train(tmp_path, "split", "train.max_steps=14").exit_code == 0  # epoch 2, batch 4
    cut = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    assert cut["stream"] == {"position": 4} and cut["progress"]["position"]["epoch"] == 1
    toy_classifier.DigitStream.drawn = 0
    result = seqkit("train", str(tmp_path / "toy.yaml"), "--out", str(tmp_path / "split"),
                    "--resume")
    assert result.exit_code == 0, result.output
    assert toy_classifier.DigitStream.drawn == 6 + 10  # the rest of epoch 2, then epoch 3 only
    resumed = torch.load(tmp_path / "split" / "last.pt", weights_only=True)
    for name, value in whole["model"].items():
        assert torch.equal(value, resumed["model"][name]), name
    for part in ("encoder", "head"):
        for key, slots in whole["optimizers"][part]["state"].items():
            for slot, value in slots.items():
                assert torch.equal(torch.as_tensor(value), torch.as_tensor(
                    resumed["optimizers"][part]["state"][key][slot])), (part, slot)


def test_generic_evaluate_and_the_tasks_own_verb(tmp_path) -> None:
    assert train(tmp_path, "run").exit_code == 0
    report = seqkit("evaluate", str(tmp_path / "run"))
    assert report.exit_code == 0 and "accuracy = " in report.output
    as_json = json.loads(seqkit("evaluate", str(tmp_path / "run"), "--json",
                                "--threshold", "0.5").output)
    task = api.load(tmp_path / "run", task="toy_classifier")
    assert as_json["metrics"] == task.evaluate("test").metrics
    assert as_json["metrics"]["accuracy"] > 0.8  # learned the rule
    wrong = seqkit("evaluate", str(tmp_path / "run"), "--beam", "5")
    assert wrong.exit_code == 1
    assert "a toy_classifier model; --beam is not an option of its evaluation" in wrong.output

    (tmp_path / "in.txt").write_text("999999\n000000\n")
    classified = seqkit("toy-classify", str(tmp_path / "run"), str(tmp_path / "in.txt"))
    labels = [line.split("\t") for line in classified.output.splitlines()]
    assert [label for label, _ in labels] == ["1", "0"] and all(0.5 < float(p) <= 1
                                                                for _, p in labels)
    other = seqkit("translate", str(tmp_path / "run"), str(tmp_path / "in.txt"))
    assert other.exit_code == 1
    assert other.output.strip().splitlines()[-1].endswith(
        "a toy_classifier model; `translate` needs a seq2seq model (toy_classifier models "
        "answer: toy-classify, evaluate)")


def test_verbs_are_listed_in_help_without_editing_the_cli() -> None:
    help_text = seqkit("--help").output
    assert "toy-classify" in help_text and "translate" in help_text
