"""Computer vision on the shared core: convolution and pooling as the notes write them, classic
filters, a shape-and-parameter calculator, LeNet-5 / AlexNet / VGG-16, residual and Inception
blocks, and detection, metric-learning, style and adversarial utilities.

Images are (B, C, H, W) tensors (batch first, channels before space, as torch); the notes'
n_H × n_W × n_C order appears only in the calculator's tables (``seqkit.vision.shapes``).
"""

from seqkit.vision.adversarial import fgsm, saliency_map
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
from seqkit.vision.detection import (
    assign_anchors,
    corners,
    iou,
    non_max_suppression,
    yolo_targets,
)
from seqkit.vision.evaluation import Counts, DetectionStats, MAPScore, average_precision
from seqkit.vision.filters import compass, kernel
from seqkit.vision.layers import BatchNorm2d, GlobalAvgPool2d, LocalResponseNorm, conv
from seqkit.vision.shapes import conv_parameters, count_parameters, table, trace
from seqkit.vision.similarity import distance, same_person, triplet_loss
from seqkit.vision.style import content_cost, gram_matrix, style_cost, style_layer_cost, total_cost
from seqkit.vision.yolo import yolo_loss

__all__ = [
    "VGG16",
    "AlexNet",
    "AlexNetConfig",
    "BatchNorm2d",
    "ConvNet",
    "Counts",
    "DetectionStats",
    "GlobalAvgPool2d",
    "InceptionModule",
    "LeNet5",
    "LeNet5Config",
    "LocalResponseNorm",
    "MAPScore",
    "ResidualBlock",
    "VGG16Config",
    "assign_anchors",
    "average_precision",
    "classification_loss",
    "compass",
    "content_cost",
    "conv",
    "conv2d",
    "conv_parameters",
    "corners",
    "count_parameters",
    "distance",
    "fgsm",
    "global_pool2d",
    "gram_matrix",
    "iou",
    "kernel",
    "non_max_suppression",
    "output_size",
    "pool2d",
    "resolve_padding",
    "saliency_map",
    "same_person",
    "style_cost",
    "style_layer_cost",
    "table",
    "total_cost",
    "trace",
    "triplet_loss",
    "yolo_loss",
    "yolo_targets",
]
