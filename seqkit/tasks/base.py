"""What every task shares: the recipe's common sections, the protocol a task implements, and the
report its evaluation returns."""

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self

import click

from seqkit.train import TrainConfig, TrainTask


@dataclass
class Recipe:
    """The sections every recipe has; a task's recipe adds its own (``data``, ``model``, ...)."""

    task: str = ""  # which task trains this recipe (a name in seqkit.tasks.TASKS)
    seed: int = 0  # seeds model initialisation, batch order and dropout
    train: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class Report:
    """What ``task.evaluate(split)`` returns: the scores, and how they were obtained.

    ``seqkit evaluate`` prints :meth:`format` (people) or :meth:`to_json` (``--json``).
    """

    title: str  # what was evaluated with which settings, e.g. "runs/dates on test: beam=5 …"
    metrics: dict[str, float]  # name → value, the numbers a program reads
    lines: list[str] = field(default_factory=list)  # the scores for people, with signatures
    settings: dict[str, Any] = field(default_factory=dict)  # what produced the scores

    def format(self) -> str:
        return "\n".join([self.title, *self.lines])

    def to_json(self) -> str:
        return json.dumps({"title": self.title, "metrics": self.metrics,
                           "settings": self.settings}, indent=1, ensure_ascii=False)


class Task(TrainTask, Protocol):
    """A task builds data, model, loss and metrics for the trainer, and serves the trained model.

    ``build`` starts from a recipe (preparing data and vocabularies, checking every split the
    training needs); ``restore`` rebuilds the same task from a checkpoint's plain data, for
    inference or evaluation. ``evaluate`` scores a held-out split; ``verbs`` are the task's own
    CLI commands (``translate``, ``sample``, ...), and ``evaluate_options`` the options its
    evaluation adds to ``seqkit evaluate``. ``resumable`` lists the recipe keys (a trailing "."
    for a whole section) that may change when a run is resumed, beyond the trainer's own.
    """

    name: ClassVar[str]
    Recipe: ClassVar[type[Recipe]]
    resumable: ClassVar[tuple[str, ...]]
    evaluate_options: ClassVar[tuple[click.Option, ...]]

    @classmethod
    def build(cls, recipe: Any) -> Self: ...

    @classmethod
    def restore(cls, recipe: Any, state: dict[str, Any]) -> Self: ...

    @classmethod
    def verbs(cls) -> list[click.Command]: ...

    def evaluate(self, split: str = "test", **options: Any) -> Report: ...
