"""The image-classification task: LeNet-5 (``seqkit.vision.LeNet5``) on scikit-learn's digits.

Recipe sections: ``data`` (:class:`~.digits.DigitsConfig`: split shares, how 8×8 digits are
fitted to the model, batch size, augmentation) and ``model`` (``seqkit.vision.LeNet5Config``;
its ``image_size`` is the size the digits are fitted to), plus ``task``, ``seed`` and ``train``.
The loss is the softmax cross-entropy J = −1/B Σ_i log softmax(z^(i))_{y^(i)}; validation and
evaluation report the accuracy of ŷ = argmax_k z_k.
"""

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import torch
from torch import Tensor, nn

from seqkit.config import require
from seqkit.errors import ConfigError
from seqkit.status import status
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.image_classification import digits
from seqkit.tasks.image_classification.images import read_digit
from seqkit.tasks.image_classification.verbs import EVALUATE_OPTIONS, VERBS
from seqkit.vision import LeNet5, LeNet5Config, classification_loss


@dataclass
class ImageClassificationRecipe(Recipe):
    task: str = "image_classification"
    data: digits.FittedDigitsConfig = field(default_factory=digits.FittedDigitsConfig)
    model: LeNet5Config = field(default_factory=lambda: LeNet5Config(in_channels=1))

    def __post_init__(self) -> None:
        require(self.model.in_channels == 1, "model.in_channels", "1 (grey digits)",
                self.model.in_channels)
        require(self.model.num_classes == 10, "model.num_classes", "10 (digits 0–9)",
                self.model.num_classes)
        if self.model.image_size < digits.DIGIT_SIZE:
            raise ConfigError(f"model.image_size: expected ≥ {digits.DIGIT_SIZE} (the digits' "
                              f"size), got {self.model.image_size}")


class Prediction(NamedTuple):
    label: int  # ŷ = argmax_k z_k
    probability: float  # softmax(z)_ŷ


class ImageClassificationTask:
    """LeNet-5 trained on the digits; classifies 8×8 digits and image files."""

    name = "image_classification"
    unit = "images"  # what the count of loss counts (progress lines)
    Recipe = ImageClassificationRecipe
    metrics: ClassVar = {"accuracy": True, "loss": False}
    resumable: ClassVar = ()
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: ImageClassificationRecipe) -> None:
        self.recipe = recipe
        self.model = LeNet5(recipe.model)

    @classmethod
    def build(cls, recipe: ImageClassificationRecipe) -> "ImageClassificationTask":
        task = cls(recipe)
        sizes = {split: len(part.labels) for split, part in task.splits.items()}
        status(f"image_classification: digits split {sizes} (seed {recipe.seed})")
        return task

    @classmethod
    def restore(cls, recipe: ImageClassificationRecipe,
                state: dict[str, Any]) -> "ImageClassificationTask":
        if state["kind"] != cls.name:
            raise ValueError(f"expected the state of a {cls.name} task, got {state['kind']!r}")
        return cls(recipe)

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    def state(self) -> dict[str, Any]:
        return {"kind": self.name}  # the split is a function of the recipe; nothing to keep

    @cached_property
    def splits(self) -> dict[str, digits.Digits]:
        return digits.load(self.recipe.data, self.recipe.seed)

    def fit(self, images: Tensor) -> Tensor:
        """8×8 digits as the model reads them. Shapes: (B, 1, 8, 8) → (B, 1, S, S)."""
        return digits.fit_to(images, self.recipe.model.image_size, self.recipe.data.fit)

    def batches(self, epoch: int) -> list[tuple[Tensor, Tensor]]:
        """The epoch's batches (x (B, 1, S, S), y (B,)); see ``digits.epoch_batches``."""
        return digits.epoch_batches(self.splits["train"], self.recipe.data, self.recipe.seed,
                                    epoch, self.fit)

    def loss(self, model: nn.Module, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, int]:
        x, y = batch
        return classification_loss(model, x, y), len(y)

    def logits(self, images: Tensor, batch_size: int = 256) -> Tensor:
        """z of 8×8 digits, in eval mode. Shapes: (N, 1, 8, 8) → (N, 10)."""
        device = next(self.model.parameters()).device
        self.model.eval()
        with torch.no_grad():
            return torch.cat([self.model(self.fit(images[i:i + batch_size].to(device)))
                              for i in range(0, len(images), batch_size)])

    def _scores(self, split: str) -> tuple[dict[str, float], Tensor, Tensor]:
        part = self.splits[split]
        z = self.logits(part.images)
        y = part.labels.to(z.device)
        accuracy = (z.argmax(-1) == y).float().mean().item()
        loss = nn.functional.cross_entropy(z, y).item()
        return {"accuracy": accuracy, "loss": loss}, z.argmax(-1).cpu(), part.labels

    def validate(self, model: nn.Module) -> dict[str, float]:
        return self._scores("valid")[0]

    def evaluate(self, split: str = "test") -> Report:
        if split not in digits.SPLITS:
            raise ConfigError(f"--split: expected one of {', '.join(digits.SPLITS)}, got {split!r}")
        scores, y_hat, y = self._scores(split)
        data, model = self.recipe.data, self.recipe.model
        how = (f"argmax of LeNet-5 softmax over {len(y)} {split} images of scikit-learn's digits "
               f"(stratified split, seed {self.recipe.seed}, valid {data.valid:g}, test "
               f"{data.test:g}; 8×8 → {model.image_size}×{model.image_size} by {data.fit})")
        errors = [f"{d}: {int(((y == d) & (y_hat != d)).sum())}/{int((y == d).sum())}"
                  for d in range(10)]
        lines = [f"accuracy = {100 * scores['accuracy']:.2f}% "
                 f"({int((y_hat == y).sum())}/{len(y)} correct)",
                 f"cross-entropy = {scores['loss']:.4f}",
                 f"errors per digit: {', '.join(errors)}",
                 f"how: {how}"]
        return Report(f"{split}: {len(y)} digits", scores, lines,
                      {"split": split, "seed": self.recipe.seed, "fit": data.fit,
                       "image_size": model.image_size})

    def classify(self, images: Tensor) -> list[Prediction]:
        """ŷ and its probability for each 8×8 digit. Shapes: images (N, 1, 8, 8) in [0, 1]."""
        p = self.logits(images).softmax(-1)  # (N, 10)
        best, label = p.max(-1)
        return [Prediction(int(k), float(q)) for k, q in zip(label, best, strict=True)]

    def classify_files(self, paths: list[str | Path]) -> list[Prediction]:
        """:meth:`classify` of image files (PNG, NPY, ...; see ``images.read_digit``)."""
        return self.classify(torch.stack([read_digit(path) for path in paths]))
