"""Tasks by name, and recipes: a recipe's ``task:`` picks the task whose dataclasses it fills.

A new capability (a language model, word2vec, a CTC recogniser, ...) is one more module here that
implements :class:`~seqkit.tasks.base.Task`, and one more entry in :data:`TASKS`.
"""

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from seqkit.config import apply_override, from_dict, read_yaml
from seqkit.errors import ConfigError
from seqkit.tasks.base import Recipe, Task
from seqkit.tasks.seq2seq import Seq2SeqTask

TASKS: dict[str, type[Task]] = {"seq2seq": Seq2SeqTask}


def task_class(name: Any, where: str = "task") -> type[Task]:
    """The task registered under ``name``; an unknown name is an error with the closest one."""
    if name in TASKS:
        return TASKS[name]
    close = difflib.get_close_matches(str(name), list(TASKS), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(TASKS)}"
    raise ConfigError(f"{where}: unknown task {name!r}; {hint}")


def recipe_from_dict(data: dict[str, Any], source: str = "recipe") -> Recipe:
    """The typed recipe of ``data`` (plain data, e.g. from a checkpoint)."""
    if "task" not in data:
        raise ConfigError(f"{source}: missing key 'task' (one of {', '.join(TASKS)})")
    cls = task_class(data["task"], f"{source}: task").Recipe
    try:
        return from_dict(cls, data)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None


def load_recipe(path: str | Path, overrides: Iterable[str] = ()) -> Recipe:
    """Read the YAML recipe at ``path`` and apply ``--set KEY=VALUE`` overrides, type-checked."""
    data = read_yaml(path)
    overrides = list(overrides)
    for assignment in (o for o in overrides if o.partition("=")[0].strip() == "task"):
        data["task"] = assignment.partition("=")[2].strip()
    cls = task_class(data.get("task"), f"{path}: task").Recipe
    for assignment in overrides:
        apply_override(cls, data, assignment)
    return recipe_from_dict(data, str(path))
