"""Tasks by name, and recipes: a recipe's ``task:`` picks the task whose dataclasses it fills.

A task is two modules: one with the :class:`~seqkit.tasks.base.Task` class (data, model, loss,
validation, evaluation) and a light one with its command-line verbs (``VERBS``, click commands)
and the options its evaluation adds to ``seqkit evaluate`` (``EVALUATE_OPTIONS``). The command
line imports the light modules only, so ``seqkit --help`` and ``seqkit bleu`` start fast; a task
class is imported when a recipe or a model asks for it. A new task is one more :func:`register`
call (or entry in :data:`TASKS`); nothing else in seqkit changes.
"""

import difflib
import importlib
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

from seqkit.config import apply_override, from_dict, read_yaml
from seqkit.errors import ConfigError


class TaskEntry(NamedTuple):
    task: str  # "module:Class" of the task
    cli: str  # module with VERBS and EVALUATE_OPTIONS


TASKS: dict[str, TaskEntry] = {
    "seq2seq": TaskEntry("seqkit.tasks.seq2seq.task:Seq2SeqTask", "seqkit.tasks.seq2seq.verbs"),
    "image_classification": TaskEntry(
        "seqkit.tasks.image_classification.task:ImageClassificationTask",
        "seqkit.tasks.image_classification.verbs"),
    "gan": TaskEntry("seqkit.tasks.gan.task:GANTask", "seqkit.tasks.gan.verbs"),
    "language_model": TaskEntry("seqkit.tasks.language_model.task:LanguageModelTask",
                                "seqkit.tasks.language_model.verbs"),
    "classify": TaskEntry("seqkit.tasks.classify.task:ClassifyTask", "seqkit.tasks.classify.verbs"),
    "ctc": TaskEntry("seqkit.tasks.ctc.task:CTCTask", "seqkit.tasks.ctc.verbs"),
    "trigger_word": TaskEntry("seqkit.tasks.trigger_word.task:TriggerWordTask",
                              "seqkit.tasks.trigger_word.verbs"),
    "word2vec": TaskEntry("seqkit.tasks.word2vec.task:Word2VecTask", "seqkit.tasks.word2vec.verbs"),
    "glove": TaskEntry("seqkit.tasks.word2vec.glove:GloVeTask", "seqkit.tasks.word2vec.verbs"),
}


def register(name: str, task: str, cli: str) -> None:
    """Make the task class at ``task`` ("module:Class") trainable as ``task: name``, with the
    verbs of the module ``cli``."""
    TASKS[name] = TaskEntry(task, cli)


def _entry(name: Any, where: str) -> TaskEntry:
    if name in TASKS:
        return TASKS[name]
    close = difflib.get_close_matches(str(name), list(TASKS), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(TASKS)}"
    raise ConfigError(f"{where}: unknown task {name!r}; {hint}")


def task_class(name: Any, where: str = "task") -> Any:
    """The task class registered under ``name``; an unknown name is an error with the closest."""
    module, _, attribute = _entry(name, where).task.partition(":")
    return getattr(importlib.import_module(module), attribute)


def task_cli(name: str) -> ModuleType:
    """The module of task ``name``'s verbs and evaluation options."""
    return importlib.import_module(_entry(name, "task").cli)


def verb_names(name: str) -> list[str]:
    """The commands a model of task ``name`` answers, ``evaluate`` included."""
    return [verb.name or "" for verb in task_cli(name).VERBS] + ["evaluate"]


def recipe_from_dict(data: dict[str, Any], source: str = "recipe") -> Any:
    """The typed recipe of ``data`` (plain data, e.g. from a checkpoint)."""
    if "task" not in data:
        raise ConfigError(f"{source}: missing key 'task' (one of {', '.join(TASKS)})")
    cls = task_class(data["task"], f"{source}: task").Recipe
    try:
        return from_dict(cls, data)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None


def load_recipe(path: str | Path, overrides: Iterable[str] = ()) -> Any:
    """Read the YAML recipe at ``path`` and apply ``--set KEY=VALUE`` overrides, type-checked."""
    data = read_yaml(path)
    overrides = list(overrides)
    for assignment in (o for o in overrides if o.partition("=")[0].strip() == "task"):
        data["task"] = assignment.partition("=")[2].strip()
    cls = task_class(data.get("task"), f"{path}: task").Recipe
    for assignment in overrides:
        apply_override(cls, data, assignment)
    return recipe_from_dict(data, str(path))
