"""The classic ConvNets of the notes, built from their layer tables: LeNet-5, AlexNet, VGG-16.

One table (``seqkit.vision.shapes``) is both what the calculator traces and what the network is
built from, so the printed shapes and parameter counts are those of the module (tests check the
module's own tensors against the calculator and the notes' numbers).

Every convolution is followed by [batch norm] and ReLU; every dense layer but the last by ReLU
and [dropout]; the last dense layer gives logits z (softmax lives in the loss).
Shapes: x (B, n_C, n_H, n_W) → z (B, num_classes).
"""

from dataclasses import dataclass
from typing import Literal

from torch import Tensor, nn

from seqkit.config import require
from seqkit.core import AvgPool2d, Dense, Dropout, MaxPool2d, categorical_cross_entropy
from seqkit.vision import shapes
from seqkit.vision.layers import BatchNorm2d, LocalResponseNorm, ReLU, conv
from seqkit.vision.shapes import Layer, Shape


class ConvNet(nn.Module):
    """A feed-forward ConvNet built from a layer table (see ``seqkit.vision.shapes``).

    Args:
        layers: the table, e.g. ``shapes.LENET5``.
        input_shape: (n_H, n_W, n_C) of the images, in the notes' order.
        batch_norm: ``BatchNorm2d`` between each convolution and its ReLU.
        keep_prob: inverted-dropout keep probability after each hidden dense layer (1: none).
    """

    def __init__(
        self, layers: tuple[Layer, ...], input_shape: Shape, batch_norm: bool = False,
        keep_prob: float = 1.0,
    ) -> None:
        super().__init__()
        self.input_shape = tuple(input_shape)
        rows = shapes.trace(self.input_shape, layers)  # also checks that every shape fits
        inputs = [self.input_shape, *(row.shape for row in rows)]  # each layer's input shape
        last_dense = max(i for i, layer in enumerate(layers) if isinstance(layer, shapes.Dense))
        modules: list[nn.Module] = []
        for i, layer in enumerate(layers):
            modules += self._modules_for(layer, inputs[i], i == last_dense, batch_norm, keep_prob)
        self.layers = nn.Sequential(*modules)

    @staticmethod
    def _modules_for(
        layer: Layer, shape: Shape, last: bool, batch_norm: bool, keep_prob: float
    ) -> list[nn.Module]:
        if isinstance(layer, shapes.Conv):
            block = [conv(shape[-1], layer.n_C, layer.f, layer.s, layer.p)]
            return block + ([BatchNorm2d(layer.n_C)] if batch_norm else []) + [ReLU()]
        if isinstance(layer, shapes.Pool):
            pool = MaxPool2d if layer.mode == "max" else AvgPool2d
            return [pool(layer.f, layer.s)]
        if isinstance(layer, shapes.LRN):
            return [LocalResponseNorm(layer.n)]
        if isinstance(layer, shapes.Flatten):
            return [nn.Flatten()]
        if last:
            return [Dense(shape[0], layer.units)]
        return [Dense(shape[0], layer.units), ReLU()] + (
            [Dropout(keep_prob)] if keep_prob < 1.0 else []
        )

    def forward(self, x: Tensor) -> Tensor:
        n_H, n_W, n_C = self.input_shape
        if x.dim() != 4 or tuple(x.shape[1:]) != (n_C, n_H, n_W):
            raise ValueError(
                f"{type(self).__name__}: expected images (B, {n_C}, {n_H}, {n_W}), "
                f"got {tuple(x.shape)}"
            )
        return self.layers(x)  # (B, num_classes)


def classification_loss(model: nn.Module, images: Tensor, labels: Tensor) -> Tensor:
    """The training loss of a batch: J = −1/B Σ_i log softmax(z^(i))_{y^(i)}, z = model(images).

    Shapes: images (B, n_C, n_H, n_W), labels (B,) class ids → ().
    """
    return categorical_cross_entropy(model(images), labels)


def _require_positive(section: str, **values: int) -> None:
    for key, value in values.items():
        require(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                f"{section}.{key}", "an integer ≥ 1", value)


def _require_keep_prob(section: str, keep_prob: float) -> None:
    require(0.0 < keep_prob <= 1.0, f"{section}.keep_prob", "in (0, 1]", keep_prob)


@dataclass
class LeNet5Config:
    """LeNet-5 as in the notes: 32×32×3 → conv 5×5×6 → pool → conv 5×5×16 → pool → 120 → 84 → 10."""

    in_channels: int = 3  # n_C of the input images
    image_size: int = 32  # n_H = n_W of the input images
    num_classes: int = 10  # size of the softmax output
    pool: Literal["max", "avg"] = "max"  # notes: today's LeNet max-pools, LeCun 1998 averaged
    keep_prob: float = 1.0  # dropout keep probability after the 120- and 84-unit layers
    batch_norm: bool = False  # BatchNorm2d between each convolution and its ReLU (not in 1998)

    def __post_init__(self) -> None:
        _require_positive("model", in_channels=self.in_channels, image_size=self.image_size,
                          num_classes=self.num_classes)
        require(self.pool in ("max", "avg"), "model.pool", "'max' or 'avg'", self.pool)
        _require_keep_prob("model", self.keep_prob)


class LeNet5(ConvNet):
    """LeNet-5 (LeCun et al. 1998) from ``shapes.lenet5_layers``: 62,006 parameters at 32×32×3."""

    def __init__(self, config: LeNet5Config) -> None:
        c = config
        super().__init__(shapes.lenet5_layers(c.num_classes, c.pool),
                         (c.image_size, c.image_size, c.in_channels), c.batch_norm,
                         c.keep_prob)
        self.config = config


@dataclass
class AlexNetConfig:
    """AlexNet as in the notes: 227×227×3, 5 convolutions, 3 dense layers, dropout 0.5."""

    in_channels: int = 3  # n_C of the input images
    num_classes: int = 1000  # size of the softmax output
    keep_prob: float = 0.5  # dropout keep probability after both 4096-unit layers

    def __post_init__(self) -> None:
        _require_positive("model", in_channels=self.in_channels, num_classes=self.num_classes)
        _require_keep_prob("model", self.keep_prob)


class AlexNet(ConvNet):
    """AlexNet (Krizhevsky et al. 2012) from ``shapes.alexnet_layers``, on 227×227 images."""

    def __init__(self, config: AlexNetConfig) -> None:
        super().__init__(shapes.alexnet_layers(config.num_classes), (227, 227, config.in_channels),
                         keep_prob=config.keep_prob)
        self.config = config


@dataclass
class VGG16Config:
    """VGG-16 (notes: 13 3×3 "same" convolutions, 5 max pools, 3 dense layers, 138M parameters)."""

    in_channels: int = 3  # n_C of the input images
    image_size: int = 224  # n_H = n_W; a multiple of 32 (five 2×2 pools)
    num_classes: int = 1000  # size of the softmax output
    width: int = 64  # filters of the first block; the blocks have width·(1, 2, 4, 8, 8)
    fc_units: int = 4096  # units of the two hidden dense layers
    batch_norm: bool = False  # BatchNorm2d after each convolution (VGG-16-BN)
    keep_prob: float = 0.5  # dropout keep probability after the hidden dense layers

    def __post_init__(self) -> None:
        _require_positive("model", in_channels=self.in_channels, image_size=self.image_size,
                          num_classes=self.num_classes, width=self.width,
                          fc_units=self.fc_units)
        require(self.image_size % 32 == 0, "model.image_size", "a multiple of 32",
                self.image_size)
        _require_keep_prob("model", self.keep_prob)


class VGG16(ConvNet):
    """VGG-16 (Simonyan & Zisserman 2014) from ``shapes.vgg16_layers``: 138,357,544 parameters at
    full width; build it under ``torch.device("meta")`` to inspect it without allocating."""

    def __init__(self, config: VGG16Config) -> None:
        c = config
        super().__init__(shapes.vgg16_layers(c.width, c.fc_units, c.num_classes),
                         (c.image_size, c.image_size, c.in_channels), c.batch_norm, c.keep_prob)
        self.config = config
