"""Face verification by metric learning (notes, "Siamese network", "Triplet loss").

An encoder f maps an image to an embedding; two images show the same person when

    d(x^(1), x^(2)) = ‖f(x^(1)) − f(x^(2))‖²₂ ≤ τ.

The triplet loss trains f on an anchor A, a positive P (same person) and a negative N:

    L(A, P, N) = max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0)

The margin α keeps f from satisfying ‖f(A) − f(P)‖² ≤ ‖f(A) − f(N)‖² trivially with f = 0; the
notes advise "hard" triplets, d(A, P) ≈ d(A, N), for training to learn anything.
Shape symbols: B batch (of pairs or triplets), E embedding size.
"""

from torch import Tensor


def distance(f_1: Tensor, f_2: Tensor) -> Tensor:
    """d = ‖f_1 − f_2‖²₂ per row. Shapes: f_1, f_2 (B, E) → (B,)."""
    if f_1.shape != f_2.shape or f_1.dim() != 2:
        raise ValueError(
            f"distance: expected two embeddings of one shape (B, E), got {tuple(f_1.shape)} "
            f"and {tuple(f_2.shape)}"
        )
    return ((f_1 - f_2) ** 2).sum(dim=-1)


def same_person(f_1: Tensor, f_2: Tensor, tau: float) -> Tensor:
    """Verification: d(x^(1), x^(2)) ≤ τ. Shapes: (B, E), (B, E) → (B,) bool."""
    return distance(f_1, f_2) <= tau


def triplet_loss(f_A: Tensor, f_P: Tensor, f_N: Tensor, alpha: float = 0.2) -> Tensor:
    """J = 1/B Σ_i max(‖f(A_i) − f(P_i)‖² − ‖f(A_i) − f(N_i)‖² + α, 0).

    Note: the notes sum L over the training triplets; the mean keeps the scale independent of B.
    Shapes: f_A, f_P, f_N (B, E) → ().
    """
    if alpha < 0:
        raise ValueError(f"triplet_loss: expected a margin α ≥ 0, got {alpha}")
    if f_N.shape != f_A.shape:
        raise ValueError(
            f"triplet_loss: expected negatives of shape {tuple(f_A.shape)}, got {tuple(f_N.shape)}"
        )
    return (distance(f_A, f_P) - distance(f_A, f_N) + alpha).clamp(min=0).mean()
