"""Checkpoints: tensors and plain data only, written atomically, loaded without running code.

A checkpoint is one ``torch.save`` file holding a dict::

    {"seqkit": {"format": 2, "version": "0.1.0", "workdir": "/where/it/trained"},
     "recipe": {...},            # the resolved recipe, plain data
     "task": {...},              # what the task needs for inference (vocabularies, tokenizers)
     "model": state_dict,
     "optimizers": {name: ...}, "schedulers": {name: ...}, "scaler": ...,   # for --resume
     "progress": {...}, "rng": {...}, "stream": ... or None}

It is loaded with ``torch.load(weights_only=True)``, so a file carrying arbitrary pickled objects
is refused instead of executed.
"""

import os
import re
import warnings
from pathlib import Path
from typing import Any

import torch

from seqkit import __version__
from seqkit.errors import CheckpointError
from seqkit.files import OutputError, atomic_path

FORMAT = 2
READABLE = (1, 2)  # formats whose model loads for inference; --resume needs FORMAT
BEST, LAST = "best.pt", "last.pt"
REQUIRED = ("recipe", "task", "model")  # what inference needs; --resume reads the rest


def save_checkpoint(path: str | Path, checkpoint: dict[str, Any]) -> None:
    """Write ``checkpoint`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as tmp:
        header = {"format": FORMAT, "version": __version__, "workdir": os.getcwd()}
        try:
            torch.save({"seqkit": header, **checkpoint}, tmp)
        except RuntimeError as error:  # torch reports a full disk as "[enforce fail at …]"
            raise OutputError.of(error, path) from None


def resolve(path: str | Path) -> Path:
    """The checkpoint file meant by ``path``: the file itself, or a run directory's best.pt
    (last.pt when no validation has run)."""
    path = Path(path)
    if path.is_dir():
        for name in (BEST, LAST):
            if (path / name).is_file():
                return path / name
        raise CheckpointError(f"{path}: run directory holds no {BEST} or {LAST}")
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file or run directory")
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a seqkit checkpoint (file or run directory) on the CPU, refusing anything else.

    Every failure is one :class:`CheckpointError` line naming the file; a pickle that would
    construct an arbitrary object is refused by name (``GLOBAL module.Name``), never loaded.
    """
    file = resolve(path)
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols on stderr
            warnings.simplefilter("ignore")
            checkpoint = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load raises many types for a file that is no checkpoint
        unsafe = re.search(r"GLOBAL ([\w.]+)", str(error))
        if unsafe:
            raise CheckpointError(f"{file}: refused: the file carries objects beyond tensors "
                                  f"and plain data (GLOBAL {unsafe.group(1)})") from None
        raise CheckpointError(f"{file}: not a readable checkpoint (truncated, corrupt, or not a "
                              f"torch file){_detail(error)}") from None
    header = checkpoint.get("seqkit") if isinstance(checkpoint, dict) else None
    if not isinstance(header, dict):
        raise CheckpointError(f"{file}: not a seqkit checkpoint (no 'seqkit' header)")
    if header.get("format") not in READABLE:
        raise CheckpointError(f"{file}: checkpoint format {header.get('format')}, expected one of "
                              f"{', '.join(map(str, READABLE))}")
    for key in REQUIRED:
        if key not in checkpoint:
            raise CheckpointError(f"{file}: not a seqkit checkpoint (missing {key!r})")
    return checkpoint


def load_model_state(model: torch.nn.Module, state: dict[str, Any], file: str | Path) -> None:
    """``model.load_state_dict(state)``, or one line naming ``file`` and the first mismatch
    (a checkpoint whose tensors do not fit its recipe: another hidden size, cell, a missing
    parameter)."""
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError) as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        detail = lines[1] if len(lines) > 1 else (lines[0] if lines else type(error).__name__)
        raise CheckpointError(f"{file}: the model does not match the checkpoint's recipe: "
                              f"{detail}") from None


def _detail(error: Exception) -> str:
    """``": <first sentence of error>"`` when the error describes the file, else ``""``.

    torch's file readers raise RuntimeError or OSError saying what is wrong ("PytorchStreamReader
    failed reading zip archive: failed finding central directory"); its unpickler's KeyError '101'
    or IndexError say nothing to a user, and its UnpicklingError opens with advice to load with
    weights_only=False, which seqkit never gives.
    """
    if isinstance(error, OSError):
        return f": {error.strerror}" if error.strerror else ""
    first = str(error).strip().split("\n", 1)[0].split(". ", 1)[0].rstrip(".")
    informative = isinstance(error, RuntimeError) and 0 < len(first) <= 100
    return f": {first}" if informative and "weights_only" not in first else ""
