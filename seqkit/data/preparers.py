"""Data preparers by name: a recipe's ``data.prepare: dates`` writes its corpus before training.

A preparer is ``prepare(directory, seed)``: it writes ``{train,valid,test}.{src,tgt}`` into
``directory`` unless they are already complete there. A new generated or downloaded corpus is one
more entry in :data:`PREPARERS`.
"""

import difflib
from collections.abc import Callable
from pathlib import Path

from seqkit.data import dates
from seqkit.data.errors import DataError

PREPARERS: dict[str, Callable[[Path, int], None]] = {"dates": dates.prepare}


def prepare(name: str, directory: str | Path, seed: int = 0) -> None:
    """Run the preparer registered as ``name`` on ``directory``; an unknown name is a DataError
    (a ValueError) naming the closest valid one."""
    if name not in PREPARERS:
        close = difflib.get_close_matches(str(name), list(PREPARERS), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(PREPARERS)}"
        raise DataError(f"prepare: unknown data preparer {name!r}; {hint}")
    PREPARERS[name](Path(directory), seed)
