"""The library calls behind the CLI: train a recipe, load a trained model."""

from pathlib import Path
from typing import Any

from seqkit.config import to_dict
from seqkit.errors import CheckpointError, SeqkitError
from seqkit.files import check_writable
from seqkit.tasks import recipe_from_dict, task_class, verb_names
from seqkit.tasks.base import Recipe, Task
from seqkit.train import RESUMABLE, Trainer, TrainResult, distributed, load_checkpoint
from seqkit.train.checkpoint import LAST, load_model_state, resolve
from seqkit.train.device import resolve_device
from seqkit.train.rundir import RunDirectory
from seqkit.train.state import seed_everything


def train(recipe: Recipe, out_dir: str | Path, resume: bool = False,
          overwrite: bool = False) -> TrainResult:
    """Train ``recipe`` into the run directory ``out_dir``.

    A directory that already holds a run is continued with ``resume`` (from its last.pt, exactly;
    a finished run is left as it is) or replaced with ``overwrite``; otherwise it is refused, so
    no run is lost by accident. A resumed run must have the recipe it was trained with, but for
    the trainer's :data:`~seqkit.train.RESUMABLE` settings and the task's own ``resumable``.
    """
    out_dir = Path(out_dir)
    if resume and overwrite:
        raise SeqkitError("--resume and --overwrite: choose one (continue the run, or replace it)")
    if out_dir.exists() and not out_dir.is_dir():
        raise SeqkitError(f"{out_dir}: not a directory")
    check_writable(out_dir)  # before building the task, which may take long
    RunDirectory(out_dir).check_free()
    distributed.init(resolve_device(recipe.train.device, distributed.local_rank()))
    seed_everything(recipe.seed)
    cls = task_class(recipe.task)
    if resume:
        checkpoint = load_checkpoint(out_dir / LAST)
        saved = to_dict(recipe_from_dict(checkpoint["recipe"], f"{out_dir / LAST}: recipe"))
        _check_resumable(saved, to_dict(recipe), cls.resumable, out_dir / LAST)
        task = _restore(cls, recipe, checkpoint, out_dir / LAST)
        return Trainer(task, recipe.train, out_dir, recipe).fit(checkpoint)
    if (out_dir / LAST).exists() and not overwrite:
        raise SeqkitError(f"{out_dir} already holds a run; continue it with --resume, "
                          "or replace it with --overwrite, or choose another --out")
    return Trainer(cls.build(recipe), recipe.train, out_dir, recipe).fit(overwrite=overwrite)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix[:-1]: data}
    return {k: v for key, value in data.items()
            for k, v in _flatten(value, f"{prefix}{key}.").items()}


def _check_resumable(saved: dict[str, Any], new: dict[str, Any], task_keys: tuple[str, ...],
                     path: Path) -> None:
    """Refuse to resume under a recipe that changes more than the run's length or logging.

    ``saved`` went through the recipe's dataclasses, so a setting added to seqkit after the run
    started compares as its default, not as a change.
    """
    allowed = (*RESUMABLE, *task_keys)
    old, now = _flatten(saved), _flatten(new)
    changed = [f"{key} ({old.get(key)!r} → {now.get(key)!r})" for key in sorted(old.keys() | now)
               if old.get(key) != now.get(key) and not _matches(key, allowed)]
    if changed:
        names = ", ".join(k.rstrip(".") + ("*" if k.endswith(".") else "") for k in allowed)
        raise SeqkitError(f"{path}: cannot resume with a changed recipe: {'; '.join(changed)}; "
                          f"only {names} may change")


def _matches(key: str, allowed: tuple[str, ...]) -> bool:
    return any(key == a or (a.endswith(".") and key.startswith(a)) for a in allowed)


def _restore(cls: Any, recipe: Any, checkpoint: dict[str, Any], file: Path) -> Any:
    """The task of ``cls`` rebuilt from a checkpoint's task state, or one line naming ``file``."""
    try:
        return cls.restore(recipe, checkpoint["task"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        if isinstance(error, SeqkitError):
            raise
        raise CheckpointError(f"{file}: the task state does not fit a {recipe.task} task "
                              f"({type(error).__name__}: {error})") from None


def load(path: str | Path, task: str | None = None, verb: str | None = None,
         device: str = "auto") -> Task:
    """The trained task in a run directory or checkpoint file, ready for inference.

    ``task`` names the task the caller needs (``verb`` says what for); a model of another task is
    a one-line error naming the model's task and what it can do. The model is put on ``device``
    (``auto``: a GPU when present). A recipe's relative ``data.dir`` is found where the model was
    trained, so ``seqkit evaluate`` works from any folder.

    >>> seqkit.load("runs/dates").translate(["tuesday 3 march 1998"], beam=5)  # doctest: +SKIP
    ['1998-03-03']
    """
    file = resolve(path)
    checkpoint = load_checkpoint(file)
    found = checkpoint["recipe"].get("task")  # before parsing: the recipe is of that task
    if task is not None and found != task:
        what = f"`{verb}` needs a {task} model" if verb else f"expected a {task} model"
        raise SeqkitError(f"{path}: a {found} model; {what} ({found} models answer: "
                          f"{', '.join(verb_names(found))})")
    recipe = recipe_from_dict(checkpoint["recipe"], f"{file}: recipe")
    _find_data(recipe, Path(checkpoint["seqkit"].get("workdir", ".")))
    loaded = _restore(task_class(recipe.task), recipe, checkpoint, file)
    load_model_state(loaded.model, checkpoint["model"], file)
    loaded.model.to(resolve_device(device)).eval()
    return loaded


def _find_data(recipe: Any, workdir: Path) -> None:
    """Point a relative ``data.dir`` at the folder the run was trained from, when it is there."""
    data = getattr(recipe, "data", None)
    folder = getattr(data, "dir", None)
    if isinstance(folder, str) and not Path(folder).is_absolute() and (workdir / folder).is_dir():
        data.dir = str(workdir / folder)

