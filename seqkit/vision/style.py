"""Neural style transfer costs (notes, "Neural style transfer"): paint content image C in the
style of S by gradient descent on the generated image G,

    J(G) = α J_content(C, G) + β J_style(S, G),      G ← G − ∂J(G)/∂G.

a^[l] is the activation of a layer l of a pre-trained ConvNet, n_H × n_W × n_C; the costs below
take it batch-first as torch lays it out, (B, n_C, n_H, n_W), and return one cost per image (B,).
"""

from collections.abc import Sequence

import torch
from torch import Tensor


def _check_pair(a_1: Tensor, a_2: Tensor, who: str) -> None:
    if a_1.shape != a_2.shape or a_1.dim() != 4:
        raise ValueError(
            f"{who}: expected two activations of one shape (B, n_C, n_H, n_W), got "
            f"{tuple(a_1.shape)} and {tuple(a_2.shape)}"
        )


def content_cost(a_C: Tensor, a_G: Tensor) -> Tensor:
    """J_content(C, G) = ½ ‖a^[l](C) − a^[l](G)‖² (notes).

    Note: the course's programming exercise divides by 4·n_H·n_W·n_C instead of 2; the notes'
    ½ is used here (the factor only rescales α).
    Shapes: a_C, a_G (B, n_C, n_H, n_W) → (B,).
    """
    _check_pair(a_C, a_G, "content_cost")
    return 0.5 * ((a_C - a_G) ** 2).sum(dim=(1, 2, 3))


def gram_matrix(a: Tensor) -> Tensor:
    """The style matrix G_kk' = Σ_i Σ_j a_ijk · a_ijk' (i over n_H, j over n_W): how strongly
    channels k and k' fire together. Shapes: a (B, n_C, n_H, n_W) → (B, n_C, n_C)."""
    if a.dim() != 4:
        raise ValueError(f"gram_matrix: expected (B, n_C, n_H, n_W), got {tuple(a.shape)}")
    unrolled = a.flatten(2)  # (B, n_C, n_H·n_W)
    return unrolled @ unrolled.transpose(1, 2)  # (B, n_C, n_C)


def style_layer_cost(a_S: Tensor, a_G: Tensor) -> Tensor:
    """J^[l]_style(S, G) = 1 / (2 n_H n_W n_C)² · Σ_k Σ_k' (G^[l](S)_kk' − G^[l](G)_kk')² (notes).

    Shapes: a_S, a_G (B, n_C, n_H, n_W) → (B,).
    """
    _check_pair(a_S, a_G, "style_layer_cost")
    _, n_C, n_H, n_W = a_S.shape
    difference = gram_matrix(a_S) - gram_matrix(a_G)  # (B, n_C, n_C)
    return (difference**2).sum(dim=(1, 2)) / (2 * n_H * n_W * n_C) ** 2


def style_cost(
    a_S: Sequence[Tensor], a_G: Sequence[Tensor], lambdas: Sequence[float]
) -> Tensor:
    """J_style(S, G) = Σ_l λ^[l] J^[l]_style(S, G) over the chosen layers l (notes).

    Shapes: one (B, n_C, n_H, n_W) activation per layer in ``a_S`` and ``a_G`` → (B,).
    """
    if not len(a_S) == len(a_G) == len(lambdas) or not lambdas:
        raise ValueError(
            f"style_cost: expected one λ per layer and at least one layer, got {len(a_S)} style "
            f"and {len(a_G)} generated activations and {len(lambdas)} λ"
        )
    costs = [lam * style_layer_cost(s, g) for s, g, lam in zip(a_S, a_G, lambdas, strict=True)]
    return torch.stack(costs).sum(dim=0)


def total_cost(j_content: Tensor, j_style: Tensor, alpha: float = 10.0,
               beta: float = 40.0) -> Tensor:
    """J(G) = α J_content(C, G) + β J_style(S, G) (α = 10, β = 40 as in the course exercise)."""
    return alpha * j_content + beta * j_style
