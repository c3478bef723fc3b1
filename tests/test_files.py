"""Atomic file output: all or nothing, with the mode a plain open() would give."""

import os

import pytest

from seqkit.files import atomic_path, write_text_atomic


def test_failed_write_keeps_the_old_file(tmp_path) -> None:
    target = tmp_path / "out.txt"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_atomic_files_get_the_mode_open_gives(tmp_path) -> None:
    previous = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "atomic.txt", "x")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(previous)
    mode = (tmp_path / "atomic.txt").stat().st_mode & 0o777
    assert mode == 0o644 == (tmp_path / "plain.txt").stat().st_mode & 0o777
