"""scikit-learn's bundled digits (``load_digits``: 1,797 8×8 images of 0–9, grey levels 0–16),
split by a seed and fitted to a network's input size.

Images are (N, 1, 8, 8) floats in [0, 1] (ink = 1); :func:`fit_to` makes them (N, 1, S, S).
The split is stratified: every digit keeps its share in each split, so a 20% test split of the
≈180 images of each digit holds ≈36 of each.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.config import require
from seqkit.data.errors import DataError

SPLITS = ("train", "valid", "test")
LEVELS = 16.0  # the digits' grey levels run 0 … 16
DIGIT_SIZE = 8  # n_H = n_W of the digits


@dataclass
class DigitsConfig:
    """The recipe's ``data:`` section for scikit-learn's digits."""

    valid: float = 0.1  # share of each digit's images held out for validation
    test: float = 0.2  # share held out for the test split (never seen in training)
    batch_size: int = 32  # images per training batch
    shift: int = 0  # augmentation: random translation by up to this many pixels of the model's
    # input (0: none; for LeNet-5 at 32×32, 4 pixels are half a digit pixel)

    def __post_init__(self) -> None:
        require(0 < self.valid < 1, "data.valid", "a share in (0, 1)", self.valid)
        require(0 < self.test < 1, "data.test", "a share in (0, 1)", self.test)
        require(self.valid + self.test < 1, "data.valid + data.test", "< 1",
                self.valid + self.test)
        require(self.batch_size >= 1, "data.batch_size", "≥ 1", self.batch_size)
        require(0 <= self.shift <= 8, "data.shift", "0 … 8 pixels", self.shift)


@dataclass
class FittedDigitsConfig(DigitsConfig):
    """``data:`` for a classifier, whose input is larger than the digits."""

    fit: Literal["resize", "pad"] = "resize"  # 8×8 → model size: bilinear resize or zero border

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.fit in ("resize", "pad"), "data.fit", "'resize' or 'pad'", self.fit)


class Digits(NamedTuple):
    images: Tensor  # (N, 1, 8, 8) in [0, 1]
    labels: Tensor  # (N,) digit 0–9


def load(config: DigitsConfig, seed: int) -> dict[str, Digits]:
    """The train/valid/test splits of the digits, the same for the same ``seed`` and shares."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError("the digits need scikit-learn: pip install 'seqkit[vision]' "
                        "(or scikit-learn)") from None
    bunch = load_digits()
    images = torch.tensor(bunch.images / LEVELS, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(bunch.target, dtype=torch.long)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {split: [] for split in SPLITS}
    for digit in range(10):
        index = rng.permutation(np.flatnonzero(bunch.target == digit))
        n_test, n_valid = round(config.test * len(index)), round(config.valid * len(index))
        parts["test"].append(index[:n_test])
        parts["valid"].append(index[n_test:n_test + n_valid])
        parts["train"].append(index[n_test + n_valid:])
    splits = {}
    for split, pieces in parts.items():
        index = torch.from_numpy(rng.permutation(np.concatenate(pieces)))
        splits[split] = Digits(images[index], labels[index])
    return splits


def fit_to(images: Tensor, size: int, fit: Literal["resize", "pad"]) -> Tensor:
    """8×8 images made size×size: bilinear ``resize`` (8 → 32 scales by 4) or a zero ``pad``
    border (8 → 32 adds 12 pixels each side). Shapes: (B, C, 8, 8) → (B, C, size, size)."""
    if size < images.shape[-1]:
        raise ValueError(f"fit_to: expected a size ≥ {images.shape[-1]}, got {size}")
    if fit == "resize":
        return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    before = (size - images.shape[-1]) // 2
    after = size - images.shape[-1] - before
    return F.pad(images, (before, after, before, after))


def shifted(images: Tensor, shift: int, generator: torch.Generator) -> Tensor:
    """Each image translated by (dy, dx) ∈ [−shift, shift]², zeros coming in at the border.

    Shapes: (B, C, H, W) → (B, C, H, W)."""
    if shift == 0:
        return images
    B, _, H, W = images.shape
    padded = F.pad(images, (shift, shift, shift, shift))  # (B, C, H + 2s, W + 2s)
    offsets = torch.randint(0, 2 * shift + 1, (B, 2), generator=generator)
    return torch.stack([padded[b, :, dy:dy + H, dx:dx + W]
                        for b, (dy, dx) in enumerate(offsets.tolist())])


def epoch_batches(train: Digits, config: DigitsConfig, seed: int, epoch: int,
                  fit: Callable[[Tensor], Tensor] = lambda x: x) -> list[tuple[Tensor, Tensor]]:
    """The epoch's batches (x (B, 1, S, S), y (B,)): the digits shuffled, made the model's
    input by ``fit`` ((B, 1, 8, 8) → (B, 1, S, S); default: left 8×8), then shifted — all by
    (seed, epoch) alone, so an epoch is the same list whenever it is asked for (exact resume)."""
    state = int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])
    generator = torch.Generator().manual_seed(state)
    order = torch.randperm(len(train.labels), generator=generator)
    x, y = shifted(fit(train.images[order]), config.shift, generator), train.labels[order]
    B = config.batch_size
    return [(x[i:i + B], y[i:i + B]) for i in range(0, len(y), B)]
