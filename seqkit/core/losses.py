"""Losses J and weight penalties from the notes, averaged over the m examples (or real tokens).

Each cross-entropy runs on torch's fused kernel (``F.cross_entropy``, ``F.binary_cross_entropy``,
``F.binary_cross_entropy_with_logits``), the fast path; the notes' written-out form stays beside it
as ``*_reference``, the specification, and tests show both give the same loss and gradients in
float64.

Shapes use docs/notation.md: B batch, T target length, V vocabulary (classes), N any dimensions.
"""

from collections.abc import Iterable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.core.activations import log_sigmoid, log_softmax


def _check_same_shape(who: str, y_hat: Tensor, y: Tensor) -> None:
    if y_hat.shape != y.shape:
        raise ValueError(
            f"{who}: expected targets of shape {tuple(y_hat.shape)}, got {tuple(y.shape)}"
        )


def _check_class_ids(who: str, targets: Tensor) -> None:
    if targets.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"{who}: expected integer class ids as targets, got {targets.dtype}")


def binary_cross_entropy(y_hat: Tensor, y: Tensor) -> Tensor:
    """J = −1/m Σ_i [y log ŷ + (1 − y) log(1 − ŷ)], from probabilities ŷ ∈ [0, 1].

    Each log is clamped at −100, so ŷ = 0 or 1 gives a finite loss. Runs on
    ``F.binary_cross_entropy``, which refuses ŷ outside [0, 1] with a RuntimeError (the
    written-out form, :func:`binary_cross_entropy_reference`, gives nan there).
    Prefer :func:`binary_cross_entropy_with_logits` when ŷ = σ(z). Shapes: ŷ, y (N*) → ().
    """
    _check_same_shape("binary_cross_entropy", y_hat, y)
    return F.binary_cross_entropy(y_hat, y.to(y_hat.dtype))


def binary_cross_entropy_reference(y_hat: Tensor, y: Tensor) -> Tensor:
    """The notes' form of :func:`binary_cross_entropy`, logs clamped at −100 as torch does."""
    _check_same_shape("binary_cross_entropy_reference", y_hat, y)
    log_p = torch.log(y_hat).clamp(min=-100)
    log_1mp = torch.log(1 - y_hat).clamp(min=-100)
    return -(y * log_p + (1 - y) * log_1mp).mean()


def binary_cross_entropy_with_logits(z: Tensor, y: Tensor) -> Tensor:
    """The same J with ŷ = σ(z): −1/m Σ_i [y log σ(z) + (1 − y) log σ(−z)], since 1 − σ(z) = σ(−z).

    Never forms σ(z) itself, so z = ±1000 gives a finite loss and gradient dJ/dz = (σ(z) − y)/m
    (the notes' "dz = a − y"). Runs on ``F.binary_cross_entropy_with_logits``;
    :func:`binary_cross_entropy_with_logits_reference` is the written-out form.
    Shapes: z, y (N*) → ().
    """
    _check_same_shape("binary_cross_entropy_with_logits", z, y)
    return F.binary_cross_entropy_with_logits(z, y.to(z.dtype))


def binary_cross_entropy_with_logits_reference(z: Tensor, y: Tensor) -> Tensor:
    """The notes' form of :func:`binary_cross_entropy_with_logits`, through ``log_sigmoid``."""
    _check_same_shape("binary_cross_entropy_with_logits_reference", z, y)
    return -(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z)).mean()


def _check_logits_and_ids(who: str, z: Tensor, targets: Tensor) -> None:
    _check_class_ids(who, targets)
    if z.dim() != 2 or targets.shape != z.shape[:1]:
        raise ValueError(
            f"{who}: expected logits (B, V) and targets (B,), "
            f"got {tuple(z.shape)} and {tuple(targets.shape)}"
        )


def categorical_cross_entropy(z: Tensor, targets: Tensor) -> Tensor:
    """J = −1/m Σ_i log softmax(z^(i))_{y^(i)}, from logits.

    Runs on ``F.cross_entropy``; :func:`categorical_cross_entropy_reference` is the written-out
    form. Shapes: z (B, V) logits, targets (B,) class ids → ().
    """
    _check_logits_and_ids("categorical_cross_entropy", z, targets)
    return F.cross_entropy(z, targets.long())


def categorical_cross_entropy_reference(z: Tensor, targets: Tensor) -> Tensor:
    """The notes' form of :func:`categorical_cross_entropy`, through the stable ``log_softmax``."""
    _check_logits_and_ids("categorical_cross_entropy_reference", z, targets)
    return -log_softmax(z, dim=-1).gather(-1, targets.long().unsqueeze(-1)).mean()


def mse(y_hat: Tensor, y: Tensor) -> Tensor:
    """MSE = 1/n Σ_i (y_i − ŷ_i)². Shapes: ŷ, y (N*) → ()."""
    _check_same_shape("mse", y_hat, y)
    return ((y - y_hat) ** 2).mean()


class SequenceLoss(NamedTuple):
    """Mean cross-entropy per real token and how many real (non-pad) tokens it averages."""

    loss: Tensor  # () mean over the n_tokens real tokens; 0 when there are none
    n_tokens: int  # number of targets ≠ pad_id; loss·n_tokens is the additive sum


def _check_sequences(who: str, z: Tensor, targets: Tensor, smoothing: float) -> None:
    _check_class_ids(who, targets)
    if z.dim() != 3 or targets.shape != z.shape[:2]:
        raise ValueError(
            f"{who}: expected logits (B, T, V) and targets (B, T), "
            f"got {tuple(z.shape)} and {tuple(targets.shape)}"
        )
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"{who}: expected 0 <= smoothing <= 1, got {smoothing}")


def sequence_cross_entropy(
    z: Tensor, targets: Tensor, pad_id: int, smoothing: float = 0.0
) -> SequenceLoss:
    """Masked, label-smoothed cross-entropy of a batch of sequences.

    With ε = ``smoothing`` the target distribution of a real token y is
    q = (1 − ε)·onehot(y) + ε/V, ε/V on each of all V classes (the pad class too, as torch's
    ``label_smoothing`` does), and its loss is −Σ_v q_v log softmax(z)_v
    = (1 − ε)·(−log p_y) + ε·(−1/V Σ_v log p_v). Positions whose target is ``pad_id`` are left
    out of both the sum and the count; ε = 0 is the plain mean of −log p_y over real tokens.

    Runs on ``F.cross_entropy(ignore_index=pad_id, label_smoothing=ε, reduction="sum")`` divided
    by the number of real tokens, so that a batch with no real token gives 0 (torch's mean gives
    nan); :func:`sequence_cross_entropy_reference` is the written-out form, tested equal.

    Shapes: z (B, T, V) logits, targets (B, T) ids → SequenceLoss(loss (), n_tokens).
    """
    _check_sequences("sequence_cross_entropy", z, targets, smoothing)
    V = z.shape[-1]
    total = F.cross_entropy(
        z.reshape(-1, V),  # (B·T, V)
        targets.reshape(-1).long(),  # (B·T,)
        ignore_index=pad_id,
        label_smoothing=smoothing,
        reduction="sum",
    )
    n_tokens = int((targets != pad_id).sum())
    return SequenceLoss(total / max(n_tokens, 1), n_tokens)


def sequence_cross_entropy_reference(
    z: Tensor, targets: Tensor, pad_id: int, smoothing: float = 0.0
) -> SequenceLoss:
    """The notes' form of :func:`sequence_cross_entropy`: log-softmax, pick, mix, mask, average."""
    _check_sequences("sequence_cross_entropy_reference", z, targets, smoothing)
    log_p = log_softmax(z, dim=-1)  # (B, T, V)
    real = targets != pad_id  # (B, T)
    # gather needs a valid index at padded positions too; they are masked out below.
    y = targets.long().masked_fill(~real, 0).unsqueeze(-1)  # (B, T, 1)
    nll = -log_p.gather(-1, y).squeeze(-1)  # (B, T)
    per_token = (1 - smoothing) * nll - smoothing * log_p.mean(dim=-1)  # (B, T)
    n_tokens = int(real.sum())
    total = per_token.masked_fill(~real, 0.0).sum()
    return SequenceLoss(total / max(n_tokens, 1), n_tokens)


def l1_penalty(weights: Iterable[Tensor], lam: float) -> Tensor:
    """L1 penalty λ·Σ_l Σ_ij |W^[l]_ij| (notes: J_L(W) = J(W) + λ Σ_ij |W_ij|).

    Its gradient λ·sign(W) pushes weights to exactly 0 (sparsity). The deeplearning.ai page of
    the notes scales it by 1/(2m) instead; pass ``lam = λ/(2m)`` for that form.
    """
    return lam * sum((w.abs().sum() for w in weights), torch.tensor(0.0))


def l2_penalty(weights: Iterable[Tensor], lam: float, m: int) -> Tensor:
    """L2 (Frobenius) penalty (λ / 2m)·Σ_l ‖W^[l]‖²_F, ‖W‖²_F = Σ_i Σ_j (W_ij)² (notes).

    m is the number of examples averaged by J. Its gradient is (λ/m)·W, so gradient descent turns
    into the notes' "weight decay" W := (1 − αλ/m)·W − α·(from backprop), i.e. an optimiser's
    ``weight_decay = λ/m``. Pass only weights W, not biases b, as the notes do.
    """
    return lam / (2 * m) * sum(((w**2).sum() for w in weights), torch.tensor(0.0))
