"""Numerical gradient checking (notes: "Gradient Checking").

For each parameter θ_i, the two-sided difference

    dθ_approx[i] = (J(…, θ_i + ε, …) − J(…, θ_i − ε, …)) / 2ε

is compared with backprop's dθ[i] = ∂J/∂θ_i over all parameters at once:

    relative error = ‖dθ_approx − dθ‖₂ / (‖dθ_approx‖₂ + ‖dθ‖₂)

In float64 a correct backward gives about 1e-10 or less, a buggy one 1e-3 or more. As the notes
say: a debugging tool, not for training; switch dropout off (keep_prob = 1) first.
"""

from collections.abc import Callable, Mapping
from typing import NamedTuple

import torch
from torch import Tensor, nn


class GradCheck(NamedTuple):
    """Result of :func:`gradient_check`."""

    relative_error: float  # over all checked tensors together
    per_tensor: dict[str, float]  # the same ratio for each tensor on its own, by name


def _relative_error(approx: Tensor, exact: Tensor) -> float:
    denominator = float(approx.norm() + exact.norm())
    return float((approx - exact).norm()) / denominator if denominator else 0.0


def _objective(f: Callable[..., Tensor], inputs: list[Tensor], seed: int) -> Callable[[], Tensor]:
    """J = Σ f(inputs) ⊙ R with a fixed random R of f's output shape.

    A plain sum would hide errors in outputs whose sum has zero gradient (batch norm's Σ_i y_i
    = m·β does not depend on u), so each output is weighted by its own random number.
    """
    with torch.no_grad():
        shape = f(*inputs).shape
    r = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    return lambda: (f(*inputs) * r).sum()


def gradient_check(
    f: Callable[..., Tensor],
    *inputs: Tensor,
    params: Mapping[str, Tensor] | None = None,
    wrt_inputs: bool = True,
    eps: float = 1e-6,
    seed: int = 0,
) -> GradCheck:
    """Check backprop's gradient of ``f(*inputs)`` against two-sided differences, in float64.

    Args:
        f: a function or ``nn.Module`` of ``inputs``, returning a tensor of any shape.
        inputs: its arguments; floating ones are checked too when ``wrt_inputs``. They are copied,
            never changed.
        params: tensors that ``f`` reads, by name, perturbed in place and restored;
            default: ``f.named_parameters()`` when ``f`` is a module, else none. A module's
            buffers (e.g. batch norm's moving averages) are restored too.
        wrt_inputs: also check the gradient with respect to floating inputs (named input0, …).
        eps: the step ε.
        seed: seed of the random output weights (see ``_objective``).

    Returns:
        GradCheck(relative_error, per_tensor).
    """
    if params is None:
        params = dict(f.named_parameters()) if isinstance(f, nn.Module) else {}
    copies = [
        x.detach().clone().requires_grad_(wrt_inputs and x.is_floating_point()) for x in inputs
    ]
    checked = dict(params)
    checked.update({f"input{i}": x for i, x in enumerate(copies) if x.requires_grad})
    for name, theta in checked.items():
        if theta.dtype != torch.float64:
            raise TypeError(
                f"gradient_check: expected float64 tensors, got {theta.dtype} for {name!r}"
            )
        if not theta.requires_grad:
            raise ValueError(f"gradient_check: expected {name!r} to require grad")
    if not checked:
        raise ValueError(
            "gradient_check: expected parameters or floating inputs to check, got none"
        )

    # Each evaluation of f may update a module's buffers (batch norm's moving averages): keep them.
    buffers = [(b, b.clone()) for b in f.buffers()] if isinstance(f, nn.Module) else []
    J = _objective(f, copies, seed)
    exact = torch.autograd.grad(J(), list(checked.values()), allow_unused=True)
    approx, dtheta = [], []
    with torch.no_grad():
        for theta, grad in zip(checked.values(), exact, strict=True):
            approx.append(_two_sided_differences(J, theta, eps))
            dtheta.append(torch.zeros_like(theta) if grad is None else grad)
        for buffer, saved in buffers:
            buffer.copy_(saved)
    per_tensor = {
        name: _relative_error(a, d) for name, a, d in zip(checked, approx, dtheta, strict=True)
    }
    overall = _relative_error(
        torch.cat([a.flatten() for a in approx]), torch.cat([d.flatten() for d in dtheta])
    )
    return GradCheck(overall, per_tensor)


def _two_sided_differences(J: Callable[[], Tensor], theta: Tensor, eps: float) -> Tensor:
    """dθ_approx[i] = (J(θ_i + ε) − J(θ_i − ε)) / 2ε for every entry i of θ, restoring θ_i."""
    flat = theta.detach().view(-1)  # shares storage with θ
    d_approx = torch.empty_like(flat)
    for i in range(flat.numel()):
        original = flat[i].item()
        flat[i] = original + eps
        j_plus = J().item()
        flat[i] = original - eps
        j_minus = J().item()
        flat[i] = original
        d_approx[i] = (j_plus - j_minus) / (2 * eps)
    return d_approx.view_as(theta)
