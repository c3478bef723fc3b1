"""Building blocks of deeper ConvNets: the ResNet residual block and the Inception module.

Shape symbols: B batch, C channels, H × W spatial size.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.core import MaxPool2d, relu
from seqkit.vision.layers import BatchNorm2d, ReLU, conv


class ResidualBlock(nn.Module):
    """ResNet's basic block (He et al. 2015; notes: "short-cut connection"):

        z^[l+1] = BN(W^[l+1] ∗ a^[l]),   a^[l+1] = g(z^[l+1])            (3×3, stride s)
        z^[l+2] = BN(W^[l+2] ∗ a^[l+1]),  a^[l+2] = g(z^[l+2] + shortcut(a^[l]))   (3×3)

    with g = ReLU. The shortcut is the identity a^[l] when the shapes agree, else the projection
    W_s ∗ a^[l] (1×1 conv with stride s, then BN); ``projection=True`` forces it. Because the
    block can learn W^[l+2] = 0 and so a^[l+2] = a^[l], adding blocks need not hurt training.

    Note: the convolutions keep their bias (``seqkit.core.Conv2d`` always has one) although the
    batch norm's β makes it redundant; it costs n_C parameters per convolution.

    Shapes: a (B, C_in, H, W) → (B, C_out, ⌊(H − 1)/s⌋ + 1, ⌊(W − 1)/s⌋ + 1).
    """

    def __init__(
        self, in_channels: int, out_channels: int, stride: int = 1, projection: bool = False
    ) -> None:
        super().__init__()
        self.conv1 = conv(in_channels, out_channels, 3, stride, "same")
        self.bn1 = BatchNorm2d(out_channels)
        self.conv2 = conv(out_channels, out_channels, 3, 1, "same")
        self.bn2 = BatchNorm2d(out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if projection or stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(conv(in_channels, out_channels, 1, stride),
                                          BatchNorm2d(out_channels))

    def forward(self, a: Tensor) -> Tensor:
        a_1 = relu(self.bn1(self.conv1(a)))  # a^[l+1] (B, C_out, H', W')
        z_2 = self.bn2(self.conv2(a_1))  # z^[l+2] (B, C_out, H', W')
        return relu(z_2 + self.shortcut(a))  # a^[l+2]


class _SameMaxPool(nn.Module):
    """f×f max pooling at stride 1 that keeps H × W: pads with −∞ (never a window's max), then
    ``seqkit.core.MaxPool2d``."""

    def __init__(self, f: int = 3) -> None:
        super().__init__()
        self.p = (f - 1) // 2
        self.pool = MaxPool2d(f, stride=1)

    def forward(self, x: Tensor) -> Tensor:
        p = self.p
        return self.pool(F.pad(x, (p, p, p, p), value=float("-inf")))


class InceptionModule(nn.Module):
    """GoogLeNet's Inception module (notes: "Inception Module"): four branches on the same input,
    concatenated along channels, every branch keeping H × W ("same" padding):

        1×1 conv (n_1x1) | 1×1 (n_3x3_reduce) → 3×3 (n_3x3) | 1×1 (n_5x5_reduce) → 5×5 (n_5x5)
        | 3×3 max pool (stride 1) → 1×1 (n_pool_proj)

    each conv followed by [BN and] ReLU. The 1×1 "bottleneck" reductions cut the cost (notes:
    28×28×192 → 5×5 conv → 28×28×32 needs 120M multiplications, through a 1×1 to 16 channels
    first 12.4M; ``shapes.trace`` counts them). With (64, 96, 128, 16, 32, 32) on 28×28×192 this
    is GoogLeNet's "3a", output 28×28×256.

    Shapes: x (B, C_in, H, W) → (B, n_1x1 + n_3x3 + n_5x5 + n_pool_proj, H, W).
    """

    def __init__(
        self, in_channels: int, n_1x1: int, n_3x3_reduce: int, n_3x3: int, n_5x5_reduce: int,
        n_5x5: int, n_pool_proj: int, batch_norm: bool = False,
    ) -> None:
        super().__init__()

        def unit(c_in: int, c_out: int, f: int) -> list[nn.Module]:
            norm = [BatchNorm2d(c_out)] if batch_norm else []
            return [conv(c_in, c_out, f, 1, "same"), *norm, ReLU()]

        self.branch_1x1 = nn.Sequential(*unit(in_channels, n_1x1, 1))
        self.branch_3x3 = nn.Sequential(*unit(in_channels, n_3x3_reduce, 1),
                                        *unit(n_3x3_reduce, n_3x3, 3))
        self.branch_5x5 = nn.Sequential(*unit(in_channels, n_5x5_reduce, 1),
                                        *unit(n_5x5_reduce, n_5x5, 5))
        self.branch_pool = nn.Sequential(_SameMaxPool(3), *unit(in_channels, n_pool_proj, 1))

    def forward(self, x: Tensor) -> Tensor:
        branches = (self.branch_1x1, self.branch_3x3, self.branch_5x5, self.branch_pool)
        return torch.cat([branch(x) for branch in branches], dim=1)  # channel concat
