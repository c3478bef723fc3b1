"""Gradient clipping against exploding gradients (notes: "Exploding gradients: apply gradient
clipping"; "we cap them to a threshold value").

By norm: the gradients g of all parameters, taken together as one vector, are rescaled when their
L2 norm exceeds the threshold θ, keeping their direction (the notes' W·threshold/‖W‖₂ applied to g):

    ‖g‖₂ = sqrt(Σ_p Σ_i g_{p,i}²),      g := g · θ / ‖g‖₂   if ‖g‖₂ > θ

By value: every entry is clipped to [−θ, θ] on its own, which can change the direction.

Both change the gradients in place (as an optimiser step would use them) and equal
``torch.nn.utils.clip_grad_norm_`` (up to its ε = 1e-6 in the denominator) and
``clip_grad_value_``; they are written out here as the notes' formulas.
"""

from collections.abc import Iterable

import torch
from torch import Tensor, nn


def _gradients(parameters: Iterable[nn.Parameter] | nn.Parameter) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm(parameters: Iterable[nn.Parameter] | nn.Parameter, max_norm: float) -> Tensor:
    """Rescale the gradients so that their joint L2 norm is at most θ = ``max_norm``.

    Returns ‖g‖₂ before clipping, a () tensor (0 when no parameter has a gradient).
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm: expected max_norm > 0, got {max_norm}")
    grads = _gradients(parameters)
    if not grads:
        return torch.tensor(0.0)
    device = grads[0].device
    norms = torch.stack([torch.linalg.vector_norm(g).to(device) for g in grads])  # ‖g_p‖₂ each
    norm = torch.linalg.vector_norm(norms)  # sqrt(Σ_p ‖g_p‖₂²) = ‖g‖₂
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm.to(g.device))
    return norm


def clip_grad_value(parameters: Iterable[nn.Parameter] | nn.Parameter, clip_value: float) -> None:
    """Clip every gradient entry to [−θ, θ], θ = ``clip_value``."""
    if not clip_value > 0:
        raise ValueError(f"clip_grad_value: expected clip_value > 0, got {clip_value}")
    for g in _gradients(parameters):
        g.clamp_(-clip_value, clip_value)
