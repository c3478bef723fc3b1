"""Image layers on top of ``seqkit.core``: conv with "valid"/"same" padding, batch norm over
feature maps, global average pooling and AlexNet's local response normalisation.

Convolution, pooling, batch norm and dropout themselves are ``seqkit.core``'s; this module only
adapts them to (B, C, H, W) feature maps. Shape symbols: B batch, C channels, H × W spatial size.
"""

import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.core import BatchNorm, Conv2d, relu
from seqkit.vision.conv import Padding, resolve_padding


def conv(
    in_channels: int, out_channels: int, f: int, stride: int = 1, padding: Padding = "valid"
) -> Conv2d:
    """``seqkit.core.Conv2d`` with f×f filters and the notes' padding names ("valid", "same").

    Parameters: (f·f·n_C_prev + 1)·n_C (notes: 10 filters of 3×3×3 → 280).
    """
    return Conv2d(in_channels, out_channels, f, stride, resolve_padding(padding, f))


class BatchNorm2d(nn.Module):
    """Batch norm of feature maps: ``seqkit.core.BatchNorm`` per channel over m = B·H·W values.

    Every position of a channel's map shares γ and β (a convolution's channel is one "unit"), so
    (B, C, H, W) is viewed as (B, C, H·W) for the core layer and back. Parameters: 2C (γ, β).
    Equals ``torch.nn.BatchNorm2d(momentum=1 − momentum)``. Shapes: (B, C, H, W) → same.
    """

    def __init__(self, num_features: int, momentum: float = 0.9, eps: float = 1e-5) -> None:
        super().__init__()
        self.norm = BatchNorm(num_features, momentum, eps)

    def forward(self, u: Tensor) -> Tensor:
        if u.dim() != 4:
            raise ValueError(f"BatchNorm2d: expected input (B, C, H, W), got {tuple(u.shape)}")
        return self.norm(u.flatten(2)).view_as(u)  # (B, C, H·W) → (B, C, H, W)


class GlobalAvgPool2d(nn.Module):
    """The mean of each channel's whole map (fast path of ``conv.global_pool2d(x, "avg")``).

    Shapes: (B, C, H, W) → (B, C).
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ValueError(f"GlobalAvgPool2d: expected input (B, C, H, W), got {tuple(x.shape)}")
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


def local_response_norm(
    a: Tensor, n: int = 5, k: float = 2.0, alpha: float = 1e-4, beta: float = 0.75
) -> Tensor:
    """AlexNet's local response normalisation across channels (notes, "Normalization"):

        b^i_{x,y} = a^i_{x,y} / (k + α Σ_{j = max(0, i − n/2)}^{min(N − 1, i + n/2)} (a^j_{x,y})²)^β

    with N channels and the notes' (and AlexNet's) n = 5, k = 2, α = 10⁻⁴, β = 0.75.

    Note:
        ``torch.nn.LocalResponseNorm`` divides α by n; this function uses α as written, so it
        equals ``F.local_response_norm(a, n, alpha=α·n, beta, k)`` for odd n. Parameter-free.

    Shapes: a (B, C, H, W) → b (B, C, H, W).
    """
    if a.dim() != 4:
        raise ValueError(f"local_response_norm: expected (B, C, H, W), got {tuple(a.shape)}")
    return F.local_response_norm(a, n, alpha=alpha * n, beta=beta, k=k)


class LocalResponseNorm(nn.Module):
    """Module form of :func:`local_response_norm` (no parameters)."""

    def __init__(self, n: int = 5, k: float = 2.0, alpha: float = 1e-4, beta: float = 0.75) -> None:
        super().__init__()
        self.n, self.k, self.alpha, self.beta = n, k, alpha, beta

    def forward(self, a: Tensor) -> Tensor:
        return local_response_norm(a, self.n, self.k, self.alpha, self.beta)

    def extra_repr(self) -> str:
        return f"n={self.n}, k={self.k}, alpha={self.alpha}, beta={self.beta}"


class ReLU(nn.Module):
    """Module form of ``seqkit.core.relu``: max(0, z), (N*) → (N*)."""

    def forward(self, z: Tensor) -> Tensor:
        return relu(z)
