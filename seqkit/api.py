"""The library calls behind the CLI: train a recipe, load a trained model."""

from pathlib import Path
from typing import Any

from seqkit.config import to_dict
from seqkit.errors import SeqkitError
from seqkit.tasks import recipe_from_dict, task_class
from seqkit.tasks.base import Recipe
from seqkit.train import Trainer, TrainResult, distributed, load_checkpoint
from seqkit.train.checkpoint import LAST
from seqkit.train.trainer import seed_everything


def train(recipe: Recipe, out_dir: str | Path, resume: bool = False,
          overwrite: bool = False) -> TrainResult:
    """Train ``recipe`` into the run directory ``out_dir``.

    A directory that already holds a run is continued with ``resume`` (from its last.pt, exactly)
    or replaced with ``overwrite``; otherwise it is refused, so no finished run is lost by accident.
    A resumed run must have the recipe it was trained with, but for :data:`RESUMABLE` settings.
    """
    out_dir = Path(out_dir)
    distributed.init()
    seed_everything(recipe.seed)
    cls = task_class(recipe.task)
    if resume:
        checkpoint = load_checkpoint(out_dir / LAST)
        _check_resumable(checkpoint["recipe"], to_dict(recipe), out_dir / LAST)
        task = cls.restore(recipe, checkpoint["task"])
        return Trainer(task, recipe.train, out_dir, recipe).fit(checkpoint)
    if (out_dir / LAST).exists() and not overwrite:
        raise SeqkitError(f"{out_dir} already holds a run; continue it with --resume, "
                          "or replace it with --overwrite, or choose another --out")
    return Trainer(cls.build(recipe), recipe.train, out_dir, recipe).fit()


RESUMABLE = ("train.epochs", "train.max_steps", "train.patience", "train.valid_every",
             "train.log_every", "decode.")  # what may change between a run and its --resume


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix[:-1]: data}
    return {k: v for key, value in data.items()
            for k, v in _flatten(value, f"{prefix}{key}.").items()}


def _check_resumable(saved: dict[str, Any], new: dict[str, Any], path: Path) -> None:
    """Refuse to resume under a recipe that changes more than the run's length or logging."""
    old, now = _flatten(saved), _flatten(new)
    changed = [f"{key} ({old.get(key)!r} → {now.get(key)!r})" for key in sorted(old.keys() | now)
               if old.get(key) != now.get(key) and not key.startswith(RESUMABLE)]
    if changed:
        allowed = ", ".join(k.rstrip(".") + ("*" if k.endswith(".") else "") for k in RESUMABLE)
        raise SeqkitError(f"{path}: cannot resume with a changed recipe: {'; '.join(changed)}; "
                          f"only {allowed} may change")


def load(path: str | Path) -> Any:
    """The trained task in a run directory or checkpoint file, ready for inference.

    >>> seqkit.load("runs/dates").translate(["tuesday 3 march 1998"], beam=5)  # doctest: +SKIP
    ['1998-03-03']
    """
    checkpoint = load_checkpoint(path)
    recipe = recipe_from_dict(checkpoint["recipe"], f"{path}: recipe")
    task = task_class(recipe.task).restore(recipe, checkpoint["task"])
    task.model.load_state_dict(checkpoint["model"])
    task.model.eval()
    return task
