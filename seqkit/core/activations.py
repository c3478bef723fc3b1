"""Activation functions g(z), written from the notes' formulas with elementwise torch ops.

Each docstring opens with g(z) and its derivative g'(z) as the notes give them; autograd derives
the backward pass from the same ops (tests check both against ``torch.nn.functional``).
Shapes: every elementwise function maps (N*) → (N*); ``softmax``/``log_softmax`` normalise over
``dim``. At a kink (z = 0) the derivative follows torch's choice, so ReLU'(0) = 0 where the notes
write 1.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn

SELU_LAMBDA = 1.0507009873554805  # λ ≈ 1.0507009873554804934193349852946 (notes)
SELU_ALPHA = 1.6732632423543772  # α ≈ 1.6732632423543772848170429916717 (notes)


def _split_at_zero(
    z: Tensor, positive: Callable[[Tensor], Tensor], non_positive: Callable[[Tensor], Tensor]
) -> Tensor:
    """``positive(z)`` where z > 0 and ``non_positive(z)`` where z ≤ 0.

    Each branch is fed only its own half-line (the other half is clamped to 0), so an exponent
    such as e^(−z) in the z > 0 branch never sees z = −1000: no overflow, and no inf·0 = NaN leaks
    through ``torch.where`` into the gradient.
    """
    return torch.where(z > 0, positive(z.clamp(min=0)), non_positive(z.clamp(max=0)))


def sigmoid(z: Tensor) -> Tensor:
    """σ(z) = 1 / (1 + e^(−z));  σ'(z) = σ(z)(1 − σ(z)).

    For z ≤ 0 the equal form e^z / (1 + e^z) is used, so e^(−z) is never formed for z = −1000:
    no overflow to inf, and no inf/inf = NaN in the gradient.
    """
    return _split_at_zero(
        z, lambda p: 1 / (1 + torch.exp(-p)), lambda n: torch.exp(n) / (1 + torch.exp(n))
    )


def tanh(z: Tensor) -> Tensor:
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z));  tanh'(z) = 1 − tanh(z)².

    Computed as −m / (2 + m) with m = e^(−2z) − 1 for z > 0 (``expm1`` keeps small z exact) and by
    odd symmetry for z ≤ 0, so e^(±2z) never overflows.
    """

    def half(p: Tensor) -> Tensor:  # tanh(p) for p ≥ 0
        m = torch.expm1(-2 * p)
        return -m / (2 + m)

    return _split_at_zero(z, half, lambda n: -half(-n))


def relu(z: Tensor) -> Tensor:
    """ReLU(z) = max(0, z);  ReLU'(z) = 1 if z > 0 else 0."""
    return torch.where(z > 0, z, torch.zeros_like(z))


def leaky_relu(z: Tensor, slope: float = 0.01) -> Tensor:
    """LeakyReLU(z) = max(slope·z, z) (slope 0.01 in the notes);  g'(z) = 1 if z > 0 else slope."""
    return torch.where(z > 0, z, slope * z)


def prelu(z: Tensor, alpha: Tensor) -> Tensor:
    """PReLU(z) = z if z > 0 else α·z, with α learnable;  ∂g/∂z = 1 or α,  ∂g/∂α = 0 or z.

    Args:
        z: (B, C, *) or (B,) input.
        alpha: (1,) shared slope, or (C,) one slope per channel of dimension 1 (torch's layout).
    """
    C = alpha.numel()
    if C != 1:
        if z.dim() < 2 or z.shape[1] != C:
            raise ValueError(
                f"prelu: expected input (B, {C}, *) for {C} channel slopes, got {tuple(z.shape)}"
            )
        alpha = alpha.view(-1, *([1] * (z.dim() - 2)))  # (C, 1, ..., 1) broadcasts over dim 1
    return torch.where(z > 0, z, alpha * z)


def elu(z: Tensor, alpha: float = 1.0) -> Tensor:
    """ELU(z) = z if z > 0 else α(e^z − 1);  ELU'(z) = 1 if z > 0 else ELU(z) + α."""
    return _split_at_zero(z, lambda p: p, lambda n: alpha * torch.expm1(n))


def selu(z: Tensor) -> Tensor:
    """SELU(z) = λ·(z if z > 0 else αe^z − α);  SELU'(z) = λ·(1 if z > 0 else αe^z).

    λ ≈ 1.0507, α ≈ 1.6733 are fixed (``SELU_LAMBDA``, ``SELU_ALPHA``) so that activations keep
    mean 0 and standard deviation 1 (self-normalising).
    """
    return SELU_LAMBDA * elu(z, SELU_ALPHA)


def softmax(z: Tensor, dim: int = -1) -> Tensor:
    """softmax(z)_i = e^(z_i) / Σ_j e^(z_j), over ``dim``.

    Worked example (notes): softmax([5, 2, −1, 3]) = [0.842, 0.041, 0.002, 0.113], summing to 1.
    The max is subtracted first: softmax(z − c) = softmax(z) for any constant c, and with
    c = max_j z_j every exponent is ≤ 0, so z = 1000 does not overflow.
    """
    e = torch.exp(z - z.amax(dim=dim, keepdim=True).detach())
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(z: Tensor, dim: int = -1) -> Tensor:
    """log softmax(z)_i = (z_i − c) − log Σ_j e^(z_j − c), c = max_j z_j (stable, over ``dim``)."""
    shifted = z - z.amax(dim=dim, keepdim=True).detach()
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))


def log_sigmoid(z: Tensor) -> Tensor:
    """log σ(z) = −log(1 + e^(−z)), as z − log(1 + e^z) for z ≤ 0 so no exponent overflows."""
    return _split_at_zero(
        z, lambda p: -torch.log1p(torch.exp(-p)), lambda n: n - torch.log1p(torch.exp(n))
    )


class LeakyReLU(nn.Module):
    """Module form of :func:`leaky_relu`: max(slope·z, z), (N*) → (N*)."""

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        self.slope = slope

    def forward(self, z: Tensor) -> Tensor:
        return leaky_relu(z, self.slope)

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class PReLU(nn.Module):
    """Parametric ReLU: z if z > 0 else α·z with learnable α (``alpha``, shape (num_parameters,)).

    Args:
        num_parameters: 1 for one shared α, or C for one α per channel of dimension 1.
        init: initial value of α (0.25, as torch).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.full((num_parameters,), init))

    def forward(self, z: Tensor) -> Tensor:
        return prelu(z, self.alpha)


class ELU(nn.Module):
    """Module form of :func:`elu`: z if z > 0 else α(e^z − 1), (N*) → (N*)."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, z: Tensor) -> Tensor:
        return elu(z, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softmax(nn.Module):
    """Module form of :func:`softmax` over ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, z: Tensor) -> Tensor:
        return softmax(z, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
