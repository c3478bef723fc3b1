"""Adversarial examples and saliency maps (notes: "Fast gradient sign", "Saliency map").

Both ask the gradient of the network with respect to its input x instead of its weights; neither
changes the model, its parameters' ``.grad`` or the caller's x.
Shape symbols: B batch, C channels, H × W image size, V number of classes.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn


def _input_gradient(scalar_of: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """∂ scalar_of(x) / ∂x for a detached copy of x, leaving every parameter's .grad alone."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        (gradient,) = torch.autograd.grad(scalar_of(x), x)
    return gradient


def fgsm(
    model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], x: Tensor, y: Tensor,
    epsilon: float, bounds: tuple[float, float] | None = None,
) -> Tensor:
    """Fast gradient sign (Goodfellow et al. 2015; notes):  x* = x + ε · sign(∇_x J(x, y)).

    Each input value moves by ±ε in the direction that increases the loss J = loss_fn(model(x),
    y) for the true label y; small ε gives an image that looks unchanged but is misclassified.
    ``bounds`` (e.g. (0, 1)) clips x* to the valid pixel range.

    Shapes: x (B, C, H, W) (any shape the model takes), y as loss_fn wants → x* like x.
    """
    if epsilon < 0:
        raise ValueError(f"fgsm: expected ε ≥ 0, got {epsilon}")
    gradient = _input_gradient(lambda x_: loss_fn(model(x_), y), x)
    x_star = x.detach() + epsilon * gradient.sign()
    return x_star if bounds is None else x_star.clamp(*bounds)


def saliency_map(model: nn.Module, x: Tensor, target: Tensor) -> Tensor:
    """Which pixels the class score depends on (Simonyan et al. 2014; notes: ∂y/∂x):

        M_hw = max_c |∂z_target / ∂x_chw|

    with z_target the score (logit, before softmax) of class ``target`` of each image. Use the
    model in eval mode: batch norm in training mode would mix the images of the batch.
    Shapes: x (B, C, H, W), target (B,) class ids, model: x → z (B, V) → M (B, H, W).
    """
    if x.dim() != 4 or target.shape != x.shape[:1]:
        raise ValueError(
            f"saliency_map: expected images (B, C, H, W) and targets (B,), got "
            f"{tuple(x.shape)} and {tuple(target.shape)}"
        )
    # each image's score depends only on its own pixels, so one backward pass of the sum
    # gives every ∂z_target(i) / ∂x(i) at once
    gradient = _input_gradient(
        lambda x_: model(x_).gather(1, target.long().view(-1, 1)).sum(), x
    )  # (B, C, H, W)
    return gradient.abs().amax(dim=1)  # (B, H, W)
