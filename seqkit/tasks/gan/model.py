"""The notes' GAN on 8×8 digits:  min_G max_D  E_x[log D(x)] + E_z[log(1 − D(G(z)))].

G: ℝ^n_z → ℝ^(1×8×8), the generator; D: ℝ^(1×8×8) → [0, 1], the discriminator (here D returns
the logit l with D = σ(l), and the costs use log σ(l) = −softplus(−l) and log(1 − σ(l)) =
−softplus(l), which stay finite where σ(l) rounds to 0 or 1).
Images are in [−1, 1] (G ends in tanh). Shape symbols: B batch, n_z noise size, W width.
"""

from dataclasses import dataclass
from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.config import require


@dataclass
class GANConfig:
    """The recipe's ``model:`` section."""

    noise: int = 32  # n_z, the size of z ~ N(0, I)
    width: int = 32  # W: filters of G's last and D's first convolution (the others have 2W)
    generator_cost: Literal["non_saturating", "saturating"] = "non_saturating"  # J^(G), below

    def __post_init__(self) -> None:
        require(self.noise >= 1, "model.noise", "≥ 1", self.noise)
        require(self.width >= 1, "model.width", "≥ 1", self.width)
        require(self.generator_cost in ("non_saturating", "saturating"), "model.generator_cost",
                "'non_saturating' or 'saturating'", self.generator_cost)


class Generator(nn.Module):
    """G(z): z (B, n_z) → dense → (B, 2W, 4, 4) → 4×4 transposed conv, stride 2 → (B, W, 8, 8)
    → 3×3 conv → tanh → (B, 1, 8, 8), with batch norm and ReLU after the first two layers."""

    def __init__(self, config: GANConfig) -> None:
        super().__init__()
        W = config.width
        self.project = nn.Sequential(nn.Linear(config.noise, 2 * W * 16),
                                     nn.BatchNorm1d(2 * W * 16), nn.ReLU())
        self.upsample = nn.Sequential(nn.ConvTranspose2d(2 * W, W, 4, stride=2, padding=1),
                                      nn.BatchNorm2d(W), nn.ReLU())
        self.to_image = nn.Conv2d(W, 1, 3, padding=1)
        self.noise = config.noise

    def forward(self, z: Tensor) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.noise:
            raise ValueError(f"Generator: expected noise (B, {self.noise}), got {tuple(z.shape)}")
        h = self.project(z).view(len(z), -1, 4, 4)  # (B, 2W, 4, 4)
        return self.to_image(self.upsample(h)).tanh()  # (B, 1, 8, 8)


class Discriminator(nn.Module):
    """D's logit l(x): x (B, 1, 8, 8) → 3×3 conv (B, W, 8, 8) → 4×4 conv, stride 2 (B, 2W, 4, 4)
    → dense → (B,), with leaky ReLU (slope 0.2) after each convolution; D(x) = σ(l(x))."""

    def __init__(self, config: GANConfig) -> None:
        super().__init__()
        W = config.width
        self.features = nn.Sequential(nn.Conv2d(1, W, 3, padding=1), nn.LeakyReLU(0.2),
                                      nn.Conv2d(W, 2 * W, 4, stride=2, padding=1),
                                      nn.LeakyReLU(0.2), nn.Flatten())
        self.logit = nn.Linear(2 * W * 16, 1)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"Discriminator: expected images (B, 1, 8, 8), got {tuple(x.shape)}")
        return self.logit(self.features(x)).squeeze(-1)  # (B,)


def discriminator_cost(l_real: Tensor, l_fake: Tensor) -> Tensor:
    """J^(D) = −1/m Σ_i log D(x_i) − 1/m Σ_i log(1 − D(G(z_i))), labels y_real = 1, y_gen = 0
    (D maximises the notes' objective, i.e. minimises its negative).
    Shapes: logits l_real (B,), l_fake (B',) → ()."""
    return F.softplus(-l_real).mean() + F.softplus(l_fake).mean()


def generator_cost(l_fake: Tensor, kind: Literal["non_saturating", "saturating"]) -> Tensor:
    """The generator's cost on D's logits of fakes, l = l(G(z)) (B,) → ():

    saturating (the minimax game, J^(G) = −J^(D) up to the term G cannot change):
        J^(G) = 1/m Σ_i log(1 − D(G(z_i)))    — flat where D(G(z)) ≈ 0, i.e. early in training
    non-saturating (the notes' alternative):
        J^(G) = −1/m Σ_i log D(G(z_i))        — steep where D(G(z)) ≈ 0
    """
    if kind == "saturating":
        return -F.softplus(l_fake).mean()
    if kind == "non_saturating":
        return F.softplus(-l_fake).mean()
    raise ValueError(f"generator_cost: expected 'saturating' or 'non_saturating', got {kind!r}")
