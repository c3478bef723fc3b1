import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqkit.errors import ConfigError
from seqkit.vision.classic import (
    VGG16,
    AlexNet,
    AlexNetConfig,
    LeNet5,
    LeNet5Config,
    VGG16Config,
    classification_loss,
)
from seqkit.vision.layers import BatchNorm2d
from seqkit.vision.shapes import ALEXNET, LENET5, count_parameters, trace, vgg16_layers


def _n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _output_shapes(model: nn.Module, x: torch.Tensor) -> list[tuple[int, ...]]:
    """The shape after each layer that changes it, in the notes' order (n_H, n_W, n_C)."""
    shapes = []
    for layer in model.layers:
        x = layer(x)
        shape = (*x.shape[2:], x.shape[1]) if x.dim() == 4 else tuple(x.shape[1:])
        if not shapes or shape != shapes[-1]:
            shapes.append(shape)
    return shapes


def test_lenet5_layer_shapes_and_parameters_agree_with_the_calculator():
    torch.manual_seed(0)
    model = LeNet5(LeNet5Config())
    x = torch.randn(2, 3, 32, 32)
    assert _output_shapes(model, x) == [
        (28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)
    ]
    assert _n_params(model) == count_parameters(trace((32, 32, 3), LENET5)) == 62_006
    assert model(x).shape == (2, 10)


def test_lenet5_average_pooling_and_grey_images():
    model = LeNet5(LeNet5Config(in_channels=1, image_size=28, pool="avg", num_classes=4))
    x = torch.randn(3, 1, 28, 28)
    assert model(x).shape == (3, 4)
    pools = [m for m in model.layers if "Pool" in type(m).__name__]
    assert [type(m).__name__ for m in pools] == ["AvgPool2d", "AvgPool2d"]
    # 28 → 24 → 12 → 8 → 4: the dense layer sees 4·4·16 = 256 units
    assert model.layers[7].weight.shape == (120, 256)


def test_lenet5_batch_norm_adds_gamma_and_beta_per_channel():
    plain = LeNet5(LeNet5Config(in_channels=1))
    normed = LeNet5(LeNet5Config(in_channels=1, batch_norm=True))
    assert _n_params(normed) - _n_params(plain) == 2 * (6 + 16)
    names = [type(m).__name__ for m in normed.layers][:4]
    assert names == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]


def test_vgg16_full_width_on_the_meta_device():
    with torch.device("meta"):
        model = VGG16(VGG16Config())
        z = model(torch.empty(1, 3, 224, 224))
    assert z.shape == (1, 1000) and z.device.type == "meta"
    assert _n_params(model) == 138_357_544


def test_alexnet_on_the_meta_device_agrees_with_the_calculator():
    with torch.device("meta"):
        model = AlexNet(AlexNetConfig())
        assert model(torch.empty(2, 3, 227, 227)).shape == (2, 1000)
    assert _n_params(model) == count_parameters(trace((227, 227, 3), ALEXNET))


def test_small_vgg16_runs_and_batch_norm_adds_gamma_and_beta_per_conv():
    config = VGG16Config(image_size=32, width=2, fc_units=8, num_classes=3)
    plain = VGG16(config)
    assert _n_params(plain) == count_parameters(trace((32, 32, 3), vgg16_layers(2, 8, 3)))
    bn = VGG16(VGG16Config(image_size=32, width=2, fc_units=8, num_classes=3, batch_norm=True))
    channels = [2, 2, 4, 4, 8, 8, 8, 16, 16, 16, 16, 16, 16]  # width·(1, 2, 4, 8, 8) per conv
    assert _n_params(bn) - _n_params(plain) == 2 * sum(channels)
    assert sum(isinstance(m, BatchNorm2d) for m in bn.modules()) == 13
    x = torch.randn(4, 3, 32, 32)
    assert bn(x).shape == (4, 3)


def test_dropout_acts_only_in_training():
    torch.manual_seed(0)
    model = VGG16(VGG16Config(image_size=32, width=2, fc_units=64, num_classes=3))
    x = torch.randn(2, 3, 32, 32)
    model.eval()
    torch.testing.assert_close(model(x), model(x))
    model.train()
    assert not torch.equal(model(x), model(x))


def test_classification_loss_is_cross_entropy_of_the_logits():
    torch.manual_seed(0)
    model = LeNet5(LeNet5Config()).double()
    x, y = torch.randn(4, 3, 32, 32, dtype=torch.float64), torch.tensor([0, 3, 9, 3])
    loss = classification_loss(model, x, y)
    torch.testing.assert_close(loss, F.cross_entropy(model(x), y))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_wrong_image_shape():
    with pytest.raises(ValueError,
                       match=r"LeNet5: expected images \(B, 3, 32, 32\), got \(2, 1, 32, 32\)"):
        LeNet5(LeNet5Config())(torch.zeros(2, 1, 32, 32))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: LeNet5Config(keep_prob=0.0), r"model.keep_prob: expected in \(0, 1\], got 0.0"),
    (lambda: LeNet5Config(num_classes=0), "model.num_classes: expected an integer ≥ 1, got 0"),
    (lambda: LeNet5Config(pool="min"), "model.pool: expected 'max' or 'avg', got 'min'"),
    (lambda: VGG16Config(image_size=100), "model.image_size: expected a multiple of 32, got 100"),
    (lambda: VGG16Config(width=0), "model.width: expected an integer ≥ 1, got 0"),
    (lambda: AlexNetConfig(keep_prob=1.5), r"model.keep_prob: expected in \(0, 1\], got 1.5"),
])
def test_config_range_checks_name_their_key(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
