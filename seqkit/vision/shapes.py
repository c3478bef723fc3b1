"""Shape-and-parameter calculator: a ConvNet written as the notes' tables, traced layer by layer.

Each layer maps an activation n_H × n_W × n_C (the notes' order) to the next, with

    conv:  n' = ⌊(n + 2p − f)/s⌋ + 1, n_C' = number of filters,
           parameters (f·f·n_C + 1)·n_C'    (notes: 10 filters 3×3×3 → (27 + 1)·10 = 280),
           multiplications n_H'·n_W'·n_C' · f·f·n_C   (notes: 28×28×192 ∗ 32 5×5 → 120M);
    pool:  the same n', n_C unchanged, no parameters (so has local response normalisation);
    flatten: n_H·n_W·n_C units (notes: 5×5×16 = 400);
    dense: n' units, (n + 1)·n' parameters.

``LENET5``, ``ALEXNET`` and ``VGG16`` are the notes' tables; ``trace`` reproduces their shapes
(LeNet-5: 32×32×3 → 28×28×6 → 14×14×6 → 10×10×16 → 5×5×16 → 400 → 120 → 84 → 10) and totals
(VGG-16: 138,357,544 ≈ 138M parameters).
"""

from typing import NamedTuple

from seqkit.vision.conv import Padding, PoolMode, output_size, resolve_padding


class Conv(NamedTuple):
    """n_C filters of f×f×n_C_prev, stride s, padding p ("valid", "same" or p)."""

    n_C: int
    f: int
    s: int = 1
    p: Padding = "valid"


class Pool(NamedTuple):
    """f×f max or average pooling, stride s (f when None)."""

    f: int
    s: int | None = None
    mode: PoolMode = "max"


class LRN(NamedTuple):
    """Local response normalisation across n neighbouring channels: shape kept, no parameters."""

    n: int = 5


class Flatten(NamedTuple):
    """n_H × n_W × n_C → n_H·n_W·n_C units."""


class Dense(NamedTuple):
    """Fully connected layer of ``units`` outputs (with bias)."""

    units: int


Layer = Conv | Pool | LRN | Flatten | Dense
Shape = tuple[int, ...]  # (n_H, n_W, n_C) for a volume, (n,) for a vector


class Row(NamedTuple):
    """One traced layer: its name, the shape it outputs, its parameters and multiplications."""

    layer: str
    shape: Shape
    params: int
    mults: int


def conv_parameters(f: int, n_C_prev: int, n_C: int) -> int:
    """(f·f·n_C_prev + 1)·n_C: each filter's weights plus its bias."""
    return (f * f * n_C_prev + 1) * n_C


def _step(shape: Shape, layer: Layer) -> Row:
    """The row of ``layer`` applied to an activation of ``shape``."""
    if isinstance(layer, Dense):
        if len(shape) != 1:
            raise ValueError(f"trace: Dense expects a vector, got shape {shape}; add Flatten()")
        return Row(f"dense-{layer.units}", (layer.units,), (shape[0] + 1) * layer.units,
                   shape[0] * layer.units)
    if len(shape) != 3:
        raise ValueError(f"trace: {type(layer).__name__} expects n_H × n_W × n_C, got {shape}")
    n_H, n_W, n_C = shape
    if isinstance(layer, LRN):
        return Row(f"lrn-{layer.n}", shape, 0, 0)
    if isinstance(layer, Flatten):
        return Row("flatten", (n_H * n_W * n_C,), 0, 0)
    if isinstance(layer, Pool):
        s = layer.f if layer.s is None else layer.s
        out = (output_size(n_H, layer.f, 0, s), output_size(n_W, layer.f, 0, s), n_C)
        return Row(f"{layer.mode}pool-{layer.f}/{s}", out, 0, 0)
    p = resolve_padding(layer.p, layer.f)
    out = (output_size(n_H, layer.f, p, layer.s), output_size(n_W, layer.f, p, layer.s), layer.n_C)
    mults = out[0] * out[1] * out[2] * layer.f * layer.f * n_C
    return Row(f"conv{layer.f}-{layer.n_C}/{layer.s}", out,
               conv_parameters(layer.f, n_C, layer.n_C), mults)


def trace(input_shape: Shape, layers: tuple[Layer, ...] | list[Layer]) -> list[Row]:
    """The rows of ``layers`` applied in turn to an input of ``input_shape`` (n_H, n_W, n_C)."""
    rows, shape = [], tuple(input_shape)
    for layer in layers:
        rows.append(_step(shape, layer))
        shape = rows[-1].shape
    return rows


def count_parameters(rows: list[Row]) -> int:
    """Total learnable parameters of traced rows."""
    return sum(row.params for row in rows)


def table(input_shape: Shape, rows: list[Row]) -> str:
    """The notes' layer table: one line per layer, ``layer  shape  params``, and the total."""
    lines = [f"{'input':<16} {'×'.join(map(str, input_shape)):>14}"]
    lines += [f"{r.layer:<16} {'×'.join(map(str, r.shape)):>14} {r.params:>14,}" for r in rows]
    lines.append(f"{'total':<16} {'':>14} {count_parameters(rows):>14,}")
    return "\n".join(lines)


# The notes' tables ("From LeNet to DenseNet"), as functions of the sizes one may want to change.
# Input shapes: LeNet-5 32×32×3, AlexNet 227×227×3, VGG-16 224×224×3.
def lenet5_layers(num_classes: int = 10, pool: PoolMode = "max") -> tuple[Layer, ...]:
    """LeNet-5: two conv 5×5 + 2×2 pool stages (6 and 16 filters), then 120, 84 and the classes."""
    return (Conv(6, 5), Pool(2, mode=pool), Conv(16, 5), Pool(2, mode=pool), Flatten(),
            Dense(120), Dense(84), Dense(num_classes))


def alexnet_layers(num_classes: int = 1000) -> tuple[Layer, ...]:
    """AlexNet: conv 11×11/4, overlapping 3×3/2 pools, local response norm after the first two.

    Note: the notes give the second convolution as 3×3; Krizhevsky et al. (2012) used 5×5.
    """
    return (
        Conv(96, 11, 4), Pool(3, 2), LRN(),
        Conv(256, 3, p="same"), Pool(3, 2), LRN(),
        Conv(384, 3, p="same"), Conv(384, 3, p="same"), Conv(256, 3, p="same"), Pool(3, 2),
        Flatten(), Dense(4096), Dense(4096), Dense(num_classes),
    )


def vgg16_layers(
    width: int = 64, fc_units: int = 4096, num_classes: int = 1000
) -> tuple[Layer, ...]:
    """VGG-16: 13 "same" 3×3 convolutions in blocks of 2, 2, 3, 3, 3 with width·(1, 2, 4, 8, 8)
    filters, each block closed by 2×2 max pooling, then three dense layers."""
    layers: list[Layer] = []
    for repeats, multiple in ((2, 1), (2, 2), (3, 4), (3, 8), (3, 8)):
        layers += [Conv(width * multiple, 3, p="same")] * repeats + [Pool(2)]
    return (*layers, Flatten(), Dense(fc_units), Dense(fc_units), Dense(num_classes))


LENET5 = lenet5_layers()
ALEXNET = alexnet_layers()
VGG16 = vgg16_layers()
