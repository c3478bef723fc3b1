"""Checkpoints load without running code; bad files are refused with a one-line error."""

import pickle
from pathlib import Path

import pytest
import torch

from seqkit.errors import CheckpointError
from seqkit.train.checkpoint import FORMAT, load_checkpoint, resolve, save_checkpoint


class Payload:
    """An arbitrary object: pickling it would run code on load."""


def assert_refused(path: Path, match: str) -> None:
    """``load_checkpoint(path)`` fails with one line naming the file, with no unsafe advice."""
    with pytest.raises(CheckpointError, match=match) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert path.name in message and "\n" not in message and "weights_only" not in message


def test_round_trip_and_run_directory(tmp_path) -> None:
    save_checkpoint(tmp_path / "last.pt", {"model": {"w": torch.ones(2)}, "recipe": {"a": 1},
                                           "task": {}})
    assert resolve(tmp_path) == tmp_path / "last.pt"
    save_checkpoint(tmp_path / "best.pt", {"model": {"w": torch.zeros(2)}, "recipe": {},
                                           "task": {}})
    assert resolve(tmp_path) == tmp_path / "best.pt"  # best.pt is preferred
    loaded = load_checkpoint(tmp_path / "last.pt")
    assert torch.equal(loaded["model"]["w"], torch.ones(2)) and loaded["seqkit"]["format"] == FORMAT


def test_truncated_checkpoint_is_refused(tmp_path) -> None:
    save_checkpoint(tmp_path / "c.pt", {"model": {"w": torch.randn(100)}, "recipe": {},
                                        "task": {}})
    data = (tmp_path / "c.pt").read_bytes()
    (tmp_path / "c.pt").write_bytes(data[: len(data) // 2])
    assert_refused(tmp_path / "c.pt", r"c\.pt: not a readable checkpoint \(truncated, corrupt, "
                   r"or not a torch file\): PytorchStreamReader failed reading zip archive")


def test_arbitrary_pickle_is_refused(tmp_path) -> None:
    torch.save({"seqkit": {"format": 1}, "model": Payload()}, tmp_path / "evil.pt")
    assert_refused(tmp_path / "evil.pt", r"evil\.pt: refused: the file carries objects beyond "
                   r"tensors and plain data \(GLOBAL [\w.]*test_checkpoint\.Payload\)$")
    # a bare pickle (no torch wrapper) is read as torch's legacy format and refused the same way
    (tmp_path / "raw.pt").write_bytes(pickle.dumps({"x": Payload()}, protocol=2))
    assert_refused(tmp_path / "raw.pt", r"raw\.pt: refused: .*\(GLOBAL [\w.]*Payload\)$")


@pytest.mark.parametrize("content", [
    b"hello\n", b"task: seq2seq\nmodel:\n  cell: lstm\n", b"\x89PNG\r\n\x1a\n" + bytes(64), b""
], ids=["text", "yaml", "png", "empty"])
def test_files_that_are_not_checkpoints_are_one_line_errors(tmp_path, content) -> None:
    (tmp_path / "x.pt").write_bytes(content)
    assert_refused(tmp_path / "x.pt", r"x\.pt: not a readable checkpoint \(truncated, corrupt, "
                   r"or not a torch file\)$")


def test_missing_and_foreign_files(tmp_path) -> None:
    assert_refused(tmp_path / "nope.pt", r"nope\.pt: no such checkpoint")
    with pytest.raises(CheckpointError, match=r"holds no best\.pt or last\.pt"):
        load_checkpoint(tmp_path)
    torch.save({"w": torch.ones(1)}, tmp_path / "plain.pt")
    assert_refused(tmp_path / "plain.pt", r"plain\.pt: not a seqkit checkpoint \(no 'seqkit'")
    torch.save({"seqkit": {"format": 3}, "recipe": {}, "task": {}, "model": {}},
               tmp_path / "future.pt")
    assert_refused(tmp_path / "future.pt", r"future\.pt: checkpoint format 3, expected one of 1, 2")


@pytest.mark.parametrize("missing", ["recipe", "task", "model"])
def test_a_header_without_the_required_keys_is_refused(tmp_path, missing) -> None:
    checkpoint = {"seqkit": {"format": 1}, "recipe": {}, "task": {}, "model": {}}
    del checkpoint[missing]
    torch.save(checkpoint, tmp_path / "partial.pt")
    assert_refused(tmp_path / "partial.pt",
                   rf"partial\.pt: not a seqkit checkpoint \(missing '{missing}'\)$")
