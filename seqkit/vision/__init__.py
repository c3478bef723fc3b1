"""Computer vision on the shared core: convolution and pooling as the notes write them, classic
filters, a shape-and-parameter calculator, LeNet-5 / AlexNet / VGG-16, residual and Inception
blocks, and detection, metric-learning, style and adversarial utilities.

Images are (B, C, H, W) tensors (batch first, channels before space, as torch); the notes'
n_H × n_W × n_C order appears only in the calculator's tables (``seqkit.vision.shapes``).
"""

from seqkit.vision.blocks import InceptionModule, ResidualBlock
from seqkit.vision.classic import (
    VGG16,
    AlexNet,
    AlexNetConfig,
    ConvNet,
    LeNet5,
    LeNet5Config,
    VGG16Config,
    classification_loss,
)
from seqkit.vision.conv import conv2d, global_pool2d, output_size, pool2d, resolve_padding
from seqkit.vision.filters import compass, kernel
from seqkit.vision.layers import BatchNorm2d, GlobalAvgPool2d, LocalResponseNorm, conv
from seqkit.vision.shapes import conv_parameters, count_parameters, table, trace

__all__ = [
    "VGG16",
    "AlexNet",
    "AlexNetConfig",
    "BatchNorm2d",
    "ConvNet",
    "GlobalAvgPool2d",
    "InceptionModule",
    "LeNet5",
    "LeNet5Config",
    "LocalResponseNorm",
    "ResidualBlock",
    "VGG16Config",
    "classification_loss",
    "compass",
    "conv",
    "conv2d",
    "conv_parameters",
    "count_parameters",
    "global_pool2d",
    "kernel",
    "output_size",
    "pool2d",
    "resolve_padding",
    "table",
    "trace",
]
