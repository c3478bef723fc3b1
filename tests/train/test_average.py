"""Checkpoint averaging: the mean of the model tensors against a float64 oracle, mismatched
checkpoints refused in one line, an inference checkpoint written atomically, the CLI verb."""

import pytest
import torch
from click.testing import CliRunner

from seqkit.cli import main
from seqkit.errors import CheckpointError
from seqkit.train.average import average_checkpoints
from seqkit.train.checkpoint import load_checkpoint, save_checkpoint

RECIPE = {"task": "seq2seq", "seed": 0, "model": {"hidden_size": 4, "cell": "gru"},
          "train": {"lr": 0.001}}


def write(path, seed: int, recipe: dict | None = None, task: dict | None = None,
          shape: tuple[int, ...] = (3, 4), extra: dict | None = None):
    generator = torch.Generator().manual_seed(seed)
    model = {"w": torch.randn(shape, generator=generator),
             "half": torch.randn(5, generator=generator).half(),
             "count": torch.tensor(seed), **(extra or {})}
    save_checkpoint(path, {"recipe": recipe or RECIPE, "task": task or {"vocab": ["a", "b"]},
                           "model": model, "optimizers": {"main": {"state": {}}},
                           "progress": {"step": seed}})
    return model


def test_the_mean_of_every_floating_tensor(tmp_path) -> None:
    models = [write(tmp_path / f"{i}.pt", seed=i) for i in range(3)]
    result = average_checkpoints([tmp_path / f"{i}.pt" for i in range(3)], tmp_path / "avg.pt")
    assert result.tensors == 2 and len(result.sources) == 3
    averaged = load_checkpoint(tmp_path / "avg.pt")
    for name in ("w", "half"):
        expected = torch.stack([m[name].double() for m in models]).mean(dim=0)
        assert averaged["model"][name].dtype == models[0][name].dtype
        torch.testing.assert_close(averaged["model"][name], expected.to(models[0][name].dtype))
    assert averaged["model"]["count"] == 2  # integers: the last checkpoint's
    assert averaged["recipe"] == RECIPE and averaged["task"] == {"vocab": ["a", "b"]}
    assert "optimizers" not in averaged and averaged["progress"] == {"step": 2}
    assert averaged["seqkit"]["averaged"] == [str(tmp_path / f"{i}.pt") for i in range(3)]


def test_one_checkpoint_averages_to_itself_and_run_directories_count(tmp_path) -> None:
    (tmp_path / "run").mkdir()
    model = write(tmp_path / "run" / "best.pt", seed=4)
    average_checkpoints([tmp_path / "run"], tmp_path / "avg.pt")
    assert torch.equal(load_checkpoint(tmp_path / "avg.pt")["model"]["w"], model["w"])


def test_other_training_settings_may_differ(tmp_path) -> None:
    write(tmp_path / "a.pt", 0)
    write(tmp_path / "b.pt", 1, recipe={**RECIPE, "train": {"lr": 0.5}})
    average_checkpoints([tmp_path / "a.pt", tmp_path / "b.pt"], tmp_path / "avg.pt")


@pytest.mark.parametrize(("changes", "message"), [
    ({"recipe": {**RECIPE, "model": {"hidden_size": 8, "cell": "gru"}}},
     r"model\.hidden_size 8 vs 4"),
    ({"recipe": {**RECIPE, "task": "language_model"}}, r"recipe task 'language_model' vs "
                                                      r"'seq2seq'"),
    ({"task": {"vocab": ["a", "c"]}}, r"another task state \(vocabularies or tokenizers\)"),
    ({"shape": (4, 3)}, r"tensor w of shape \(4, 3\) vs \(3, 4\)"),
    ({"extra": {"v": torch.ones(2)}}, r"tensor v is in one only"),
])
def test_mismatched_checkpoints_are_refused(tmp_path, changes: dict, message: str) -> None:
    write(tmp_path / "a.pt", 0)
    write(tmp_path / "b.pt", 1, **changes)
    with pytest.raises(CheckpointError, match=r"average: .*b\.pt does not match .*a\.pt: "
                                              + message):
        average_checkpoints([tmp_path / "a.pt", tmp_path / "b.pt"], tmp_path / "avg.pt")
    assert not (tmp_path / "avg.pt").exists()


def test_the_command_line(tmp_path) -> None:
    write(tmp_path / "a.pt", 0)
    write(tmp_path / "b.pt", 1)
    write(tmp_path / "c.pt", 2, shape=(2, 2))
    runner = CliRunner()
    done = runner.invoke(main, ["average", str(tmp_path / "a.pt"), str(tmp_path / "b.pt"),
                                "--out", str(tmp_path / "avg.pt")])
    assert done.exit_code == 0 and "averaged 2 tensors of 2 checkpoints into" in done.output
    refused = runner.invoke(main, ["average", str(tmp_path / "a.pt"), str(tmp_path / "c.pt"),
                                   "--out", str(tmp_path / "bad.pt")])
    assert refused.exit_code == 1 and refused.output.count("\n") == 1
    assert "tensor w of shape (2, 2) vs (3, 4)" in refused.output
    missing = runner.invoke(main, ["average", str(tmp_path / "nope.pt"), "--out", "x.pt"])
    assert missing.exit_code == 1 and "nope.pt: no such checkpoint file" in missing.output
    assert runner.invoke(main, ["average", "--out", "x.pt"]).exit_code == 2  # none given


def test_an_unwritable_output_is_one_line_and_leaves_nothing(tmp_path) -> None:
    write(tmp_path / "a.pt", 0)
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(main, ["average", str(tmp_path / "a.pt"), "--out",
                                       str(tmp_path / "file" / "avg.pt")])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "avg.pt" in result.output
