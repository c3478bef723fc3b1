"""A run directory: created with clear errors, locked against a second writer, cleared by
``--overwrite``, and rid of temporary files a killed run left behind."""

import errno
import fcntl
import os
from pathlib import Path

from seqkit.errors import SeqkitError
from seqkit.files import OutputError

LOCK = ".lock"
_HELD: set[int] = set()  # lock descriptors of this process's open run directories


def _close_held_locks_in_child() -> None:
    """A forked child (a DataLoader worker) drops its copies of the lock descriptors: a flock
    lasts while any descriptor of it is open, so a worker that outlived a killed trainer would
    keep the run locked."""
    for fd in _HELD:
        os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_held_locks_in_child)
RUN_FILES = ("best.pt", "last.pt", "recipe.yaml", "log.jsonl", "curves.png")  # what a run writes
STEP_PREFIX = "step-"  # and, with train.keep_checkpoints, step-NNNNNNN.pt


class RunDirectory:
    """``path`` opened for one training process: :meth:`open` creates and locks it.

    The lock is an ``flock`` on ``path/.lock``: the kernel drops it when the process ends, however
    it ends (kill -9 included), so a stale lock never blocks a later run.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def open(self) -> None:
        """Create the directory if needed and take its lock, or raise a one-line error."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise OutputError.of(error, self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise self._busy() from None
            raise OutputError.of(error, self.path / LOCK) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        _HELD.add(fd)
        self.remove_stale_temporaries()

    def check_free(self) -> None:
        """Refuse at once if another process holds the lock, without taking it or writing
        anything (a shared lock on a read-only descriptor, released on close)."""
        try:
            fd = os.open(self.path / LOCK, os.O_RDONLY)
        except OSError:
            return  # no lock file: no run has trained here
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise self._busy() from None
        finally:
            os.close(fd)

    def _busy(self) -> SeqkitError:
        try:
            holder = (self.path / LOCK).read_text(errors="replace").strip() or "?"
        except OSError:
            holder = "?"
        return SeqkitError(f"{self.path}: another seqkit train (pid {holder}) is writing this "
                           "run; wait for it or choose another --out")

    def close(self) -> None:
        if self._fd is not None:
            _HELD.discard(self._fd)
            os.close(self._fd)  # closing the file releases the flock
            self._fd = None

    def clear(self) -> None:
        """Remove what an earlier run wrote (``--overwrite``), so nothing of it outlives the new
        run's start; other files in the directory are left alone."""
        for path in [self.path / name for name in RUN_FILES] + self.kept():
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                raise OutputError.of(error, path) from None

    def kept(self) -> list[Path]:
        """The ``step-NNNNNNN.pt`` checkpoints of ``train.keep_checkpoints``, oldest first."""
        return sorted(self.path.glob(f"{STEP_PREFIX}[0-9]*.pt"))

    def remove_stale_temporaries(self) -> None:
        """Delete ``.NAME.*.tmp`` files of atomic writes cut short (kill -9, power loss): while
        this process holds the lock, no other writes here."""
        for tmp in self.path.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
