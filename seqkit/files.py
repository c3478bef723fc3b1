"""File output: atomic writes (a reader sees the old file or the whole new one, never half of
one), and write failures as one line naming the path and the reason."""

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from seqkit.errors import SeqkitError


class OutputError(SeqkitError, OSError):
    """A file or folder that cannot be written: read-only, full disk, a file where a folder
    should be. The message names the path and the reason."""

    @classmethod
    def of(cls, error: BaseException, path: str | Path) -> "OutputError":
        """The error of failing to write ``path`` because of ``error`` (OSError or torch's
        RuntimeError from a full disk)."""
        return cls(f"{path}: cannot write ({_reason(error, Path(path))})")


def _reason(error: BaseException, path: Path) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower() if error.errno != errno.ENOSPC else "no space left on device"
    folder = next((p for p in (path.parent, *path.parents) if p.exists()), Path("."))
    if shutil.disk_usage(folder).free < 1 << 20:  # torch reports a full disk as "enforce fail"
        return "no space left on device"
    return str(error).strip().split("\n", 1)[0][:120]


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed onto ``path`` only if the block succeeds.

    A failure to write (read-only folder, full disk) is an :class:`OutputError` naming ``path``.

    >>> with atomic_path("model.pt") as tmp:   # doctest: +SKIP
    ...     torch.save(state, tmp)
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError.of(error, path) from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide the file from other users
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as error:
        if isinstance(error, SeqkitError):
            raise
        raise OutputError.of(error, path) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def check_writable(path: str | Path) -> None:
    """Raise :class:`OutputError` naming ``path`` unless files can be created there: its nearest
    existing folder must be a folder (not a file) that accepts a new file (not read-only).

    A trial file is created and removed, because root passes permission checks that the file
    system (read-only mount, no inodes) still refuses.
    """
    path = Path(path)
    nearest = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    try:
        with tempfile.TemporaryFile(dir=nearest):
            pass
    except OSError as error:
        raise OutputError.of(error, path) from None


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
