"""What every task shares: the recipe's common sections and the protocol a task implements."""

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self

from seqkit.train import TrainConfig, TrainTask


@dataclass
class Recipe:
    """The sections every recipe has; a task's recipe adds its own (``data``, ``model``, ...)."""

    task: str = ""  # which task trains this recipe (a name in seqkit.tasks.TASKS)
    seed: int = 0  # seeds model initialisation, batch order and dropout
    train: TrainConfig = field(default_factory=TrainConfig)


class Task(TrainTask, Protocol):
    """A task builds data, model, loss and metrics for the trainer, and serves the trained model.

    ``build`` starts from a recipe (preparing data and vocabularies); ``restore`` rebuilds the same
    task from a checkpoint's plain data, for inference or evaluation.
    """

    Recipe: ClassVar[type[Recipe]]

    @classmethod
    def build(cls, recipe: Any) -> Self: ...

    @classmethod
    def restore(cls, recipe: Any, state: dict[str, Any]) -> Self: ...

