"""Data preparers by name: a recipe's ``data.prepare: dates`` writes its corpus before training.

A preparer is ``prepare(data, seed)``: it receives the recipe's whole ``data`` section (its
``dir``, and whatever else the preparer reads), writes the splits into ``data.dir`` unless they
are already complete there, and reports progress on stderr (:func:`seqkit.status.status`). A new
generated or packaged corpus is one more entry in :data:`PREPARERS`.
"""

import difflib
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seqkit.data import bible, dates
from seqkit.data.errors import DataError
from seqkit.files import write_text_atomic
from seqkit.status import status


def _dates(data: Any, seed: int) -> None:
    dates.prepare(Path(data.dir), seed)


def _bible(data: Any, seed: int) -> None:
    """The verse-aligned RV1909 / WEB / KJV corpus; its split is fixed, so ``seed`` is unused."""
    bible.prepare(Path(data.dir), progress=status)


Preparer = Callable[[Any, int], None]

# A preparer, or where to import it from ("module:function"): a task's preparer is imported only
# when a recipe asks for it.
PREPARERS: dict[str, Preparer | str] = {
    "bible": _bible,
    "dates": _dates,
    "names": "seqkit.tasks.language_model.data:names",
    "austen": "seqkit.tasks.language_model.data:austen",
    "pang_lee": "seqkit.tasks.classify.data:pang_lee",
    "tweets": "seqkit.tasks.classify.data:tweets",
    "ctc_digits": "seqkit.tasks.ctc.data:ctc_digits",
    "trigger_words": "seqkit.tasks.trigger_word.data:trigger_words",
    "english": "seqkit.tasks.word2vec.data:english",
}


def check_prepared(directory: str | Path, settings: dict[str, Any]) -> None:
    """Record the ``settings`` a folder's data is prepared with, on first use; refuse other
    settings later (a run never trains on data made for another recipe)."""
    record = Path(directory) / "prepared.json"
    if record.is_file():
        made = json.loads(record.read_text(encoding="utf-8"))
        if made != settings:
            raise DataError(f"{record}: this folder was prepared with {made}, not {settings}; "
                            f"set data.dir to another folder (or delete this one)")
        return
    record.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(record, json.dumps(settings) + "\n")


def prepare(name: str, data: Any, seed: int = 0) -> None:
    """Run the preparer registered as ``name`` on the recipe's ``data`` section; an unknown name
    is a DataError (a ValueError) naming the closest valid one."""
    if name not in PREPARERS:
        close = difflib.get_close_matches(str(name), list(PREPARERS), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(PREPARERS)}"
        raise DataError(f"data.prepare: unknown data preparer {name!r}; {hint}")
    preparer = PREPARERS[name]
    if isinstance(preparer, str):
        module, _, function = preparer.partition(":")
        preparer = getattr(importlib.import_module(module), function)
    preparer(data, seed)
