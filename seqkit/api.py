"""The library calls behind the CLI: train a recipe, load a trained model."""

from pathlib import Path
from typing import Any

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
    """
    out_dir = Path(out_dir)
    distributed.init()
    seed_everything(recipe.seed)
    cls = task_class(recipe.task)
    if resume:
        checkpoint = load_checkpoint(out_dir / LAST)
        task = cls.restore(recipe, checkpoint["task"])
        return Trainer(task, recipe.train, out_dir, recipe).fit(checkpoint)
    if (out_dir / LAST).exists() and not overwrite:
        raise SeqkitError(f"{out_dir} already holds a run; continue it with --resume, "
                          "or replace it with --overwrite, or choose another --out")
    return Trainer(cls.build(recipe), recipe.train, out_dir, recipe).fit()


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
