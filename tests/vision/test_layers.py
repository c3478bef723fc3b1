import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqkit.vision.conv import global_pool2d
from seqkit.vision.layers import (
    BatchNorm2d,
    GlobalAvgPool2d,
    LocalResponseNorm,
    ReLU,
    conv,
    local_response_norm,
)


def _randn(*shape: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float64, generator=g)


def test_conv_same_keeps_the_size_and_has_the_notes_parameter_count():
    layer = conv(3, 10, 3, padding="same")
    assert sum(p.numel() for p in layer.parameters()) == 280  # notes: 10 filters of 3×3×3
    assert layer(torch.randn(2, 3, 7, 5)).shape == (2, 10, 7, 5)
    assert conv(3, 10, 5, stride=2)(torch.randn(1, 3, 11, 11)).shape == (1, 10, 4, 4)


def test_batch_norm_2d_equals_torch_in_training_and_evaluation():
    ours = BatchNorm2d(3, momentum=0.9).double()
    torch_bn = nn.BatchNorm2d(3, momentum=0.1).double()
    with torch.no_grad():
        ours.norm.gamma.copy_(_randn(3, seed=1))
        ours.norm.beta.copy_(_randn(3, seed=2))
        torch_bn.weight.copy_(ours.norm.gamma)
        torch_bn.bias.copy_(ours.norm.beta)
    u = _randn(4, 3, 5, 6, seed=3).requires_grad_()
    y = ours(u)
    y_torch = torch_bn(u)
    torch.testing.assert_close(y, y_torch)
    dy = _randn(*y.shape, seed=4)
    torch.testing.assert_close(torch.autograd.grad(y, u, dy), torch.autograd.grad(y_torch, u, dy))
    torch.testing.assert_close(ours.norm.moving_var, torch_bn.running_var)
    ours.eval()
    torch_bn.eval()
    torch.testing.assert_close(ours(u), torch_bn(u))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected input \(B, C, H, W\), got \(4,"):
        ours(torch.zeros(4, 3, dtype=torch.float64))


def test_global_average_pool_layer_is_the_reference():
    x = _randn(2, 5, 3, 4)
    torch.testing.assert_close(GlobalAvgPool2d()(x), global_pool2d(x, "avg"))
    with pytest.raises(ValueError, match="GlobalAvgPool2d: expected input"):
        GlobalAvgPool2d()(torch.zeros(2, 5))


def _lrn_as_the_notes(a: torch.Tensor, n: int, k: float, alpha: float, beta: float):
    """b^i = a^i / (k + α Σ_{j=max(0, i−n/2)}^{min(N−1, i+n/2)} (a^j)²)^β, channel by channel."""
    N = a.shape[1]
    out = torch.empty_like(a)
    for i in range(N):
        lo, hi = max(0, i - n // 2), min(N - 1, i + n // 2)
        s = (a[:, lo : hi + 1] ** 2).sum(dim=1)
        out[:, i] = a[:, i] / (k + alpha * s) ** beta
    return out


@pytest.mark.parametrize(("n", "k", "alpha", "beta"), [(5, 2.0, 1e-4, 0.75), (3, 1.0, 0.5, 0.5)])
def test_local_response_norm_is_the_notes_formula(n, k, alpha, beta):
    a = (3 * _randn(2, 7, 3, 3, seed=5).relu()).requires_grad_()
    b = local_response_norm(a, n, k, alpha, beta)
    expected = _lrn_as_the_notes(a, n, k, alpha, beta)
    torch.testing.assert_close(b, expected)
    grad = torch.autograd.grad(b.sum(), a)[0]
    torch.testing.assert_close(grad, torch.autograd.grad(expected.sum(), a)[0])
    torch.testing.assert_close(LocalResponseNorm(n, k, alpha, beta)(a), b)


def test_relu_module_is_core_relu():
    z = _randn(3, 4)
    torch.testing.assert_close(ReLU()(z), F.relu(z))
