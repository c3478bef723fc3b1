"""Checkpoint averaging: the element-wise mean of the model weights of several checkpoints of one
recipe (Junczys-Dowmunt et al. 2016; Vaswani et al. 2017 average the last 5 or 20), a cheap
ensemble that usually scores a little above its best member.

    W̄ = (1/n) Σ_i W_i   for every floating-point tensor W of the model's state_dict

The mean is taken in float64 and stored in each tensor's own dtype; integer tensors (counters
such as batch norm's ``num_batches_tracked``) are the last checkpoint's. Checkpoints match when
their task, ``model`` section, task state (vocabularies, tokenizers) and tensor names and shapes
are equal; otherwise one :class:`CheckpointError` line names the two files and the first
difference. The result is an inference checkpoint (recipe, task state, averaged model; no
optimizer, so no ``--resume``), written atomically, that ``seqkit evaluate`` and the task's verbs
load like any other.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from seqkit import __version__
from seqkit.errors import CheckpointError
from seqkit.train.checkpoint import FORMAT, load_checkpoint, resolve, save_checkpoint


class Averaged(NamedTuple):
    out: Path  # the averaged checkpoint
    sources: list[Path]  # the checkpoint files averaged, in the order given
    tensors: int  # floating-point tensors averaged


def average_checkpoints(paths: Sequence[str | Path], out: str | Path) -> Averaged:
    """Average the models of ``paths`` (checkpoint files or run directories) into ``out``."""
    if not paths:
        raise CheckpointError("average: expected at least one checkpoint, got none")
    files = [resolve(path) for path in paths]
    checkpoints = [load_checkpoint(file) for file in files]
    for file, checkpoint in zip(files[1:], checkpoints[1:], strict=True):
        difference = _difference(checkpoints[0], checkpoint)
        if difference:
            raise CheckpointError(f"average: {file} does not match {files[0]}: {difference}")
    model, tensors = {}, 0
    for name, last in checkpoints[-1]["model"].items():
        if last.is_floating_point():
            total = sum(c["model"][name].double() for c in checkpoints)
            model[name] = (total / len(checkpoints)).to(last.dtype)
            tensors += 1
        else:
            model[name] = last.clone()
    newest = checkpoints[-1]
    header = {**newest["seqkit"], "format": FORMAT, "version": __version__,
              "averaged": [str(file) for file in files]}  # workdir kept: data.dir resolves
    save_checkpoint(out, {"seqkit": header, "recipe": newest["recipe"], "task": newest["task"],
                          "model": model, "progress": newest.get("progress", {})})
    return Averaged(Path(out), files, tensors)


def _difference(first: dict[str, Any], other: dict[str, Any]) -> str | None:
    """The first way ``other`` differs from ``first`` that makes averaging meaningless, or None."""
    for key in ("task", "model"):
        a, b = first["recipe"].get(key), other["recipe"].get(key)
        if a != b:
            return f"recipe {key} {b!r} vs {a!r}" if key == "task" else _section(a, b, key)
    if first["task"] != other["task"]:
        return "another task state (vocabularies or tokenizers)"
    a, b = first["model"], other["model"]
    if a.keys() != b.keys():
        name = sorted(a.keys() ^ b.keys())[0]
        return f"tensor {name} is in {'one' if name in b else 'the first'} only"
    for name, tensor in a.items():
        if tensor.shape != b[name].shape:
            return f"tensor {name} of shape {tuple(b[name].shape)} vs {tuple(tensor.shape)}"
    return None


def _section(a: Any, b: Any, key: str) -> str:
    """``model.hidden_size 16 vs 8``: the first differing entry of two recipe sections."""
    if isinstance(a, dict) and isinstance(b, dict):
        for name in sorted(a.keys() | b.keys()):
            if a.get(name) != b.get(name):
                return f"{key}.{name} {b.get(name)!r} vs {a.get(name)!r}"
    return f"recipe {key} {b!r} vs {a!r}"

