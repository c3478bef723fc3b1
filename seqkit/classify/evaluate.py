"""Accuracy of a classifier, from pooled counts: (number correct, number of examples)."""

from collections.abc import Iterable
from typing import NamedTuple

import torch

from seqkit.classify.data import ClassificationBatch
from seqkit.classify.model import SequenceClassifier


class Accuracy(NamedTuple):
    """Correct predictions (argmax_c ŷ_c = y) out of a number of examples; ``str()`` says so."""

    correct: int
    total: int

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"accuracy": self.value, "correct": float(self.correct), "total": float(self.total)}

    def __str__(self) -> str:
        return f"accuracy {100 * self.value:.2f}% ({self.correct}/{self.total}, argmax of ŷ)"


@torch.no_grad()
def accuracy(model: SequenceClassifier, batches: Iterable[ClassificationBatch]) -> Accuracy:
    """The model's accuracy on ``batches``, in evaluation mode (its mode is restored)."""
    was_training = model.training
    model.eval()
    correct = total = 0
    try:
        for batch in batches:
            device = model.readout.weight.device
            predicted = model(batch.ids.to(device), batch.lengths).argmax(dim=-1)  # (B,)
            correct += int((predicted == batch.labels.to(device)).sum())
            total += len(batch.labels)
    finally:
        model.train(was_training)
    return Accuracy(correct, total)
