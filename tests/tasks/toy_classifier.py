"""A small non-seq2seq task that exercises what the coming tasks need of the platform: a streamed
batch source with a saved position (no list of the epoch is ever built), a two-optimizer update of
its own, the generic ``seqkit evaluate``, and a verb of its own (``toy-classify``).

Inputs are sequences of digits 0–9; the label is 1 when their sum exceeds 4.5 per digit.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from toy_classifier_verbs import EVALUATE_OPTIONS, VERBS

from seqkit.config import require
from seqkit.tasks.base import Recipe, Report


@dataclass
class ToyData:
    batch_size: int = 8  # sequences per batch
    batches: int = 10  # batches per epoch (the stream does not tell its length)
    length: int = 6  # digits per sequence
    valid: int = 64  # sequences in the valid (and test) split

    def __post_init__(self) -> None:
        require(self.batch_size >= 1, "data.batch_size", "≥ 1", self.batch_size)


@dataclass
class ToyRecipe(Recipe):
    task: str = "toy_classifier"
    data: ToyData = field(default_factory=ToyData)
    hidden: int = 16  # width of the mean-of-embeddings encoder


def examples(seed: int, n: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n sequences of digits (n, length) and their labels (n,), a function of ``seed``."""
    x = torch.randint(0, 10, (n, length), generator=torch.Generator().manual_seed(seed))
    return x, (x.float().mean(dim=1) > 4.5).long()


class DigitStream:
    """An epoch's batches drawn one by one; its position is how many it has drawn."""

    drawn = 0  # batches made by every stream in this process (what a test watches)

    def __init__(self, seed: int, epoch: int, data: ToyData) -> None:
        self.seed, self.epoch, self.data, self.position = seed, epoch, data, 0

    def __iter__(self):
        while self.position < self.data.batches:
            seed = int(np.random.SeedSequence([self.seed, self.epoch, self.position])
                       .generate_state(1)[0])
            self.position += 1
            DigitStream.drawn += 1
            yield examples(seed, self.data.batch_size, self.data.length)

    def state_dict(self) -> dict[str, int]:
        return {"position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.position = state["position"]


class ToyClassifierTask:
    name = "toy_classifier"
    Recipe = ToyRecipe
    metrics: ClassVar = {"accuracy": True, "loss": False}
    resumable: ClassVar = ()
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: ToyRecipe) -> None:
        self.recipe = recipe
        self.model = nn.ModuleDict({"encoder": nn.Embedding(10, recipe.hidden),
                                    "head": nn.Linear(recipe.hidden, 2)})

    @classmethod
    def build(cls, recipe: ToyRecipe) -> "ToyClassifierTask":
        return cls(recipe)

    @classmethod
    def restore(cls, recipe: ToyRecipe, state: dict[str, Any]) -> "ToyClassifierTask":
        if state.get("kind") != "toy_classifier":
            raise KeyError("kind")
        return cls(recipe)

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    def state(self) -> dict[str, Any]:
        return {"kind": "toy_classifier"}

    def parts(self) -> dict[str, nn.Module]:
        return {"encoder": self.model["encoder"], "head": self.model["head"]}

    def batches(self, epoch: int) -> DigitStream:
        return DigitStream(self.recipe.seed, epoch, self.recipe.data)

    def logits(self, parts: Any, x: torch.Tensor, detach: bool = False) -> torch.Tensor:
        features = parts["encoder"](x).mean(dim=1)  # (B, H)
        return parts["head"](features.detach() if detach else features)  # (B, 2)

    def update(self, parts: Any, batch: Any, optimize: Any) -> tuple[float, int]:
        """The head first, on frozen features; then the encoder under the updated head."""
        x, y = batch
        optimize("head", F.cross_entropy(self.logits(parts, x, detach=True), y))
        loss = F.cross_entropy(self.logits(parts, x), y)
        optimize("encoder", loss)
        return loss.item(), len(y)

    def loss(self, model: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        x, y = batch
        return F.cross_entropy(self.logits(model, x), y), len(y)

    def _scores(self, split: str) -> dict[str, float]:
        x, y = examples(-1 if split == "valid" else -2, self.recipe.data.valid,
                        self.recipe.data.length)
        with torch.no_grad():
            logits = self.logits(self.model, x)
        return {"accuracy": (logits.argmax(-1) == y).float().mean().item(),
                "loss": F.cross_entropy(logits, y).item()}

    def validate(self, model: nn.Module) -> dict[str, float]:
        return self._scores("valid")

    def evaluate(self, split: str = "test", threshold: float | None = None) -> Report:
        scores = self._scores(split)
        return Report(f"{split} ({self.recipe.data.valid} sequences)", scores,
                      [f"accuracy = {100 * scores['accuracy']:.2f}%"], {"split": split})

    def classify(self, lines: list[str]) -> list[tuple[int, float]]:
        x = torch.tensor([[int(c) for c in line] for line in lines])
        with torch.no_grad():
            p = self.logits(self.model, x).softmax(-1)
        return [(int(row.argmax()), float(row.max())) for row in p]
