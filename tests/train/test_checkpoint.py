"""Checkpoints load without running code; bad files are refused with a one-line error."""

import pickle

import pytest
import torch

from seqkit.errors import CheckpointError
from seqkit.train.checkpoint import load_checkpoint, resolve, save_checkpoint


class Payload:
    """An arbitrary object: pickling it would run code on load."""


def test_round_trip_and_run_directory(tmp_path) -> None:
    save_checkpoint(tmp_path / "last.pt", {"model": {"w": torch.ones(2)}, "recipe": {"a": 1},
                                           "task": {}})
    assert resolve(tmp_path) == tmp_path / "last.pt"
    save_checkpoint(tmp_path / "best.pt", {"model": {"w": torch.zeros(2)}, "recipe": {},
                                           "task": {}})
    assert resolve(tmp_path) == tmp_path / "best.pt"  # best.pt is preferred
    loaded = load_checkpoint(tmp_path / "last.pt")
    assert torch.equal(loaded["model"]["w"], torch.ones(2)) and loaded["seqkit"]["format"] == 1


def test_truncated_checkpoint_is_refused(tmp_path) -> None:
    save_checkpoint(tmp_path / "c.pt", {"model": {"w": torch.randn(100)}, "recipe": {},
                                        "task": {}})
    data = (tmp_path / "c.pt").read_bytes()
    (tmp_path / "c.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"c\.pt: not a readable checkpoint \(truncated"):
        load_checkpoint(tmp_path / "c.pt")


def test_arbitrary_pickle_is_refused(tmp_path) -> None:
    torch.save({"seqkit": {"format": 1}, "model": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match=r"evil\.pt: refused: .*beyond tensors and plain "
                       r"data \(GLOBAL [\w.]*Payload\)$"):
        load_checkpoint(tmp_path / "evil.pt")
    (tmp_path / "raw.pt").write_bytes(pickle.dumps({"x": Payload()}))
    with pytest.raises(CheckpointError, match=r"raw\.pt"):
        load_checkpoint(tmp_path / "raw.pt")


@pytest.mark.parametrize("content", [
    b"hello\n", b"task: seq2seq\n", b"\x89PNG\r\n\x1a\n" + bytes(64), b""
], ids=["text", "yaml", "png", "empty"])
def test_files_that_are_not_checkpoints_are_one_line_errors(tmp_path, content) -> None:
    (tmp_path / "x.pt").write_bytes(content)
    with pytest.raises(CheckpointError, match=r"x\.pt: not a readable checkpoint") as caught:
        load_checkpoint(tmp_path / "x.pt")
    assert "\n" not in str(caught.value) and "weights_only" not in str(caught.value)


def test_missing_and_foreign_files(tmp_path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.pt: no such checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match=r"holds no best\.pt or last\.pt"):
        load_checkpoint(tmp_path)
    torch.save({"w": torch.ones(1)}, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match=r"plain\.pt: not a seqkit checkpoint"):
        load_checkpoint(tmp_path / "plain.pt")
    torch.save({"seqkit": {"format": 1}, "model": {}}, tmp_path / "partial.pt")
    with pytest.raises(CheckpointError, match=r"partial\.pt: not a seqkit checkpoint \(missing"):
        load_checkpoint(tmp_path / "partial.pt")
