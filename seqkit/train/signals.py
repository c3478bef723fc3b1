"""Ctrl-C (SIGINT) and SIGTERM during training: finish the update, save, stop.

torchrun, job schedulers and ``timeout`` send SIGTERM; a person presses Ctrl-C. Both are handled
alike: the first one only raises a flag that the trainer reads between updates, so the saved
``last.pt`` never holds half an update; a second one interrupts at once.
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Training stopped by a signal; the command exits with 128 + the signal's number."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class StopFlag:
    """The signals received while :func:`deferred_signals` is active (first one first)."""

    def __init__(self) -> None:
        self.received: list[int] = []

    def __bool__(self) -> bool:
        return bool(self.received)

    @property
    def signum(self) -> int:
        return self.received[0] if self.received else signal.SIGINT


@contextmanager
def deferred_signals() -> Iterator[StopFlag]:
    """While active, a first SIGINT or SIGTERM sets the yielded flag; a second one raises
    :class:`Interrupted` wherever the main thread is."""
    flag = StopFlag()

    def handler(signum: int, frame: object) -> None:
        flag.received.append(signum)
        if len(flag.received) > 1:
            raise Interrupted(signum)

    if threading.current_thread() is not threading.main_thread():  # signals reach main only
        yield flag
        return
    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield flag
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
