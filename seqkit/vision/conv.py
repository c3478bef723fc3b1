"""Convolution and pooling as the notes write them: the readable reference.

A filter W (f×f×n_C) slides over the zero-padded input with stride s; each output number is the
sum of the elementwise product of W and the window under it, plus b (notes: "Convolution over
Volume", 6×6 ∗ 3×3 → 4×4). Every spatial dimension shrinks to

    n' = ⌊(n + 2p − f) / s⌋ + 1                                   (notes, "strided convolution")

"valid" is p = 0; "same" is p = (f − 1)/2, which keeps n' = n at stride 1 for odd f. Like the
notes (and every deep-learning library) this is cross-correlation: W is not flipped.

These loops over output positions are the specification. The layers use torch's kernels
(``F.conv2d``, ``F.max_pool2d``, ``F.avg_pool2d`` via ``seqkit.core``) as the fast path; tests
hold the two equal, values and gradients, in float64.

Shape symbols: B batch, C channels (n_C), H × W spatial size (n_H × n_W), f filter size,
K filters (output channels).
"""

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

Padding = int | Literal["valid", "same"]
PoolMode = Literal["max", "avg"]
POOL_MODES: tuple[PoolMode, ...] = ("max", "avg")


def output_size(n: int, f: int, p: int = 0, s: int = 1) -> int:
    """n' = ⌊(n + 2p − f) / s⌋ + 1, the notes' output size of a convolution or pooling.

    Worked examples (notes): 6×6 ∗ 3×3 → 4 (n=6, f=3); 7×7 ∗ 3×3, s=2 → ⌊4/2⌋ + 1 = 3;
    AlexNet's first layer 227, f=11, s=4 → ⌊216/4⌋ + 1 = 55.
    """
    if f < 1 or s < 1 or p < 0:
        raise ValueError(f"output_size: expected f ≥ 1, s ≥ 1, p ≥ 0, got f={f}, s={s}, p={p}")
    if n + 2 * p < f:
        raise ValueError(
            f"output_size: filter f={f} is larger than the padded input n + 2p = {n + 2 * p}"
        )
    return (n + 2 * p - f) // s + 1


def resolve_padding(padding: Padding, f: int) -> int:
    """p for ``"valid"`` (0), ``"same"`` ((f − 1)/2, f odd) or an explicit p ≥ 0."""
    if padding == "valid":
        return 0
    if padding == "same":
        if f % 2 == 0:
            raise ValueError(f"resolve_padding: 'same' needs an odd filter size, got f={f}")
        return (f - 1) // 2
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"resolve_padding: expected 'valid', 'same' or p ≥ 0, got {padding!r}")
    return padding


def _check_image(x: Tensor, who: str) -> None:
    if x.dim() != 4:
        raise ValueError(f"{who}: expected input of shape (B, C, H, W), got {tuple(x.shape)}")


def conv2d(
    x: Tensor, W: Tensor, b: Tensor | None = None, stride: int = 1, padding: Padding = 0
) -> Tensor:
    """z[:, k, i, j] = Σ_c Σ_u Σ_v x_pad[:, c, i·s + u, j·s + v] · W[k, c, u, v] + b[k].

    Equivalent to ``F.conv2d(x, W, b, stride, p)``. Each of the K filters spans all C input
    channels (notes: a 3×3×3 filter on an RGB image gives one channel; K filters stack to
    n'×n'×K).

    Shapes: x (B, C, H, W), W (K, C, f, f), b (K,) → z (B, K, H', W').
    """
    _check_image(x, "conv2d")
    K, C, f, _ = W.shape
    if x.shape[1] != C:
        raise ValueError(f"conv2d: filters expect {C} input channels, got input with {x.shape[1]}")
    p = resolve_padding(padding, f)
    x_pad = F.pad(x, (p, p, p, p))  # zero padding: (B, C, H + 2p, W + 2p)
    n_H, n_W = output_size(x.shape[2], f, p, stride), output_size(x.shape[3], f, p, stride)
    z = x.new_zeros(x.shape[0], K, n_H, n_W)  # (B, K, H', W')
    for i in range(n_H):
        for j in range(n_W):
            window = x_pad[:, :, i * stride : i * stride + f, j * stride : j * stride + f]
            z[:, :, i, j] = torch.einsum("bcuv,kcuv->bk", window, W)  # (B, C, f, f)·(K, C, f, f)
    return z if b is None else z + b.view(1, K, 1, 1)


def pool2d(x: Tensor, f: int, stride: int | None = None, mode: PoolMode = "max") -> Tensor:
    """Max or average of each f×f window, channel by channel (stride f unless given).

    Pooling has no parameters (notes: "fixed function") and keeps the number of channels.
    Worked example (notes): the 4×4 [[1,3,2,1],[2,9,1,1],[1,3,2,3],[5,6,1,2]] max-pooled with
    f = s = 2 is [[9,2],[6,3]]. Equivalent to ``F.max_pool2d`` / ``F.avg_pool2d``.

    Shapes: x (B, C, H, W) → (B, C, H', W').
    """
    _check_image(x, "pool2d")
    if mode not in POOL_MODES:
        raise ValueError(f"pool2d: unknown mode {mode!r}; choose from {list(POOL_MODES)}")
    s = f if stride is None else stride
    n_H, n_W = output_size(x.shape[2], f, 0, s), output_size(x.shape[3], f, 0, s)
    rows = []
    for i in range(n_H):
        row = []
        for j in range(n_W):
            window = x[:, :, i * s : i * s + f, j * s : j * s + f]  # (B, C, f, f)
            row.append(window.amax(dim=(2, 3)) if mode == "max" else window.mean(dim=(2, 3)))
        rows.append(torch.stack(row, dim=-1))  # (B, C, W')
    return torch.stack(rows, dim=-2)  # (B, C, H', W')


def global_pool2d(x: Tensor, mode: PoolMode = "avg") -> Tensor:
    """One number per channel: the max or mean over the whole n_H × n_W map (GoogLeNet's
    replacement for flattening before the classifier). Shapes: x (B, C, H, W) → (B, C)."""
    _check_image(x, "global_pool2d")
    if mode not in POOL_MODES:
        raise ValueError(f"global_pool2d: unknown mode {mode!r}; choose from {list(POOL_MODES)}")
    return x.amax(dim=(2, 3)) if mode == "max" else x.mean(dim=(2, 3))
