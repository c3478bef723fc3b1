import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqkit.vision.blocks import InceptionModule, ResidualBlock
from seqkit.vision.shapes import conv_parameters


def _n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _torch_block(ours: ResidualBlock) -> nn.Module:
    """The same block out of torch.nn layers, holding our parameters (the oracle)."""

    def conv_copy(c):
        k = c.weight.shape[-1]
        layer = nn.Conv2d(c.weight.shape[1], c.weight.shape[0], k, c.stride, c.padding).double()
        layer.weight.data.copy_(c.weight)
        layer.bias.data.copy_(c.bias)
        return layer

    def bn_copy(b):
        layer = nn.BatchNorm2d(b.norm.gamma.shape[0], momentum=0.1).double()
        layer.weight.data.copy_(b.norm.gamma)
        layer.bias.data.copy_(b.norm.beta)
        return layer

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.b1 = conv_copy(ours.conv1), bn_copy(ours.bn1)
            self.c2, self.b2 = conv_copy(ours.conv2), bn_copy(ours.bn2)
            self.short = (nn.Identity() if isinstance(ours.shortcut, nn.Identity) else
                          nn.Sequential(conv_copy(ours.shortcut[0]), bn_copy(ours.shortcut[1])))

        def forward(self, a):
            return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(a))))) + self.short(a))

    return Block()


@pytest.mark.parametrize(("c_in", "c_out", "stride", "projection"), [
    (4, 4, 1, False), (4, 6, 1, False), (4, 4, 2, False), (4, 4, 1, True),
])
def test_residual_block_matches_torch_nn_and_has_the_expected_shape(c_in, c_out, stride,
                                                                    projection):
    torch.manual_seed(0)
    block = ResidualBlock(c_in, c_out, stride, projection).double()
    with torch.no_grad():  # non-trivial γ, β
        for bn in (block.bn1, block.bn2):
            bn.norm.gamma.uniform_(0.5, 1.5)
            bn.norm.beta.uniform_(-0.5, 0.5)
    oracle = _torch_block(block)
    a = torch.randn(3, c_in, 7, 7, dtype=torch.float64, requires_grad=True)
    out, expected = block(a), oracle(a)
    n = (7 - 1) // stride + 1
    assert out.shape == (3, c_out, n, n)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(torch.autograd.grad(out.sum(), a),
                               torch.autograd.grad(expected.sum(), a))
    identity = not projection and stride == 1 and c_in == c_out
    assert isinstance(block.shortcut, nn.Identity) == identity
    # two 3×3 convs and two batch norms (γ, β: 2·C each), plus the 1×1 projection W_s with its BN
    expected_params = (conv_parameters(3, c_in, c_out) + conv_parameters(3, c_out, c_out)
                       + 2 * 2 * c_out)
    if not identity:
        expected_params += conv_parameters(1, c_in, c_out) + 2 * c_out
    assert _n_params(block) == expected_params


def test_residual_block_with_zero_second_layer_is_the_identity():
    # if the block learns γ = β = 0 in its second batch norm, a^[l+2] = g(a^[l]) = a^[l] for a ≥ 0
    block = ResidualBlock(3, 3).double()
    with torch.no_grad():
        block.bn2.norm.gamma.zero_()
    a = torch.rand(2, 3, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(block(a), a)


def test_inception_3a_on_the_notes_28x28x192_volume():
    torch.manual_seed(0)
    module = InceptionModule(192, 64, 96, 128, 16, 32, 32)
    x = torch.randn(1, 192, 28, 28)
    assert module(x).shape == (1, 64 + 128 + 32 + 32, 28, 28)
    expected = (conv_parameters(1, 192, 64)
                + conv_parameters(1, 192, 96) + conv_parameters(3, 96, 128)
                + conv_parameters(1, 192, 16) + conv_parameters(5, 16, 32)
                + conv_parameters(1, 192, 32))
    assert _n_params(module) == expected


def test_inception_branches_are_what_they_say():
    torch.manual_seed(1)
    module = InceptionModule(3, 2, 2, 4, 1, 2, 3, batch_norm=True).double()
    module.eval()
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    y = module(x)
    assert y.shape == (2, 2 + 4 + 2 + 3, 6, 6)
    # the pool branch: 3×3 max pool at stride 1 with "same" padding, then 1×1 conv, BN, ReLU
    conv1x1, bn = module.branch_pool[1], module.branch_pool[2]
    pooled = F.max_pool2d(x, 3, stride=1, padding=1)
    expected = F.relu(bn(F.conv2d(pooled, conv1x1.weight, conv1x1.bias)))
    torch.testing.assert_close(y[:, -3:], expected)
    c1 = module.branch_1x1[0]
    torch.testing.assert_close(y[:, :2], F.relu(module.branch_1x1[1](
        F.conv2d(x, c1.weight, c1.bias))))
