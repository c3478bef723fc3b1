"""Checkpoints: tensors and plain data only, written atomically, loaded without running code.

A checkpoint is one ``torch.save`` file holding a dict::

    {"seqkit": {"format": 1, "version": "0.1.0"},
     "recipe": {...},            # the resolved recipe, plain data
     "task": {...},              # what the task needs for inference (vocabularies, tokenizers)
     "model": state_dict,
     "optimizer": ..., "scheduler": ..., "progress": {...}, "rng": {...}}   # for --resume

It is loaded with ``torch.load(weights_only=True)``, so a file carrying arbitrary pickled objects
is refused instead of executed.
"""

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from seqkit import __version__
from seqkit.errors import CheckpointError
from seqkit.files import atomic_path

FORMAT = 1
BEST, LAST = "best.pt", "last.pt"


def save_checkpoint(path: str | Path, checkpoint: dict[str, Any]) -> None:
    """Write ``checkpoint`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as tmp:
        torch.save({"seqkit": {"format": FORMAT, "version": __version__}, **checkpoint}, tmp)


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
    """Load a seqkit checkpoint (file or run directory) on the CPU, refusing anything else."""
    file = resolve(path)
    try:
        checkpoint = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "unsafe content"
        raise CheckpointError(
            f"{file}: refused: the file carries objects beyond tensors and plain data ({first})"
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{file}: not a readable checkpoint (truncated or corrupt: {first})")\
            from None
    if not isinstance(checkpoint, dict) or "seqkit" not in checkpoint:
        raise CheckpointError(f"{file}: not a seqkit checkpoint (no 'seqkit' header)")
    if checkpoint["seqkit"].get("format") != FORMAT:
        raise CheckpointError(
            f"{file}: checkpoint format {checkpoint['seqkit'].get('format')}, expected {FORMAT}")
    return checkpoint
