import pytest
import torch
import torch.nn.functional as F

from seqkit.core.layers import AvgPool2d, BatchNorm, Conv2d, Dense, Dropout, Embedding, MaxPool2d


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, dtype=torch.float64, generator=_gen(seed))


# --- Dense ---------------------------------------------------------------------------------


def test_dense_is_z_equals_wx_plus_b_on_the_last_dimension():
    layer = Dense(4, 5, generator=_gen()).double()
    with torch.no_grad():
        layer.bias.copy_(_randn(5, seed=1))
    x = _randn(2, 3, 4)  # (B, T, in)
    z = layer(x)
    assert z.shape == (2, 3, 5)
    torch.testing.assert_close(z, F.linear(x, layer.weight, layer.bias))
    assert layer.weight.shape == (5, 4) and layer.bias.shape == (5,)


def test_dense_init_by_name_and_no_bias():
    layer = Dense(4, 3, bias=False, init="zeros")
    assert layer.bias is None and not layer.weight.any()
    assert not Dense(4, 3, init="he_normal").bias.any()  # b starts at 0
    same = Dense(4, 3, init="lecun_uniform", generator=_gen(3)).weight
    torch.testing.assert_close(same, Dense(4, 3, init="lecun_uniform", generator=_gen(3)).weight)
    with pytest.raises(ValueError, match="unknown initialiser 'kaiming'"):
        Dense(4, 3, init="kaiming")


def test_dense_wrong_input_size():
    with pytest.raises(ValueError, match=r"^Dense: expected input with last dimension 4, got 3$"):
        Dense(4, 2)(torch.zeros(2, 3))


# --- Embedding -----------------------------------------------------------------------------


def test_embedding_matches_torch_and_padding_gets_no_gradient():
    ours = Embedding(10, 3, padding_idx=0, generator=_gen()).double()
    oracle = torch.nn.Embedding(10, 3, padding_idx=0).double()
    with torch.no_grad():
        oracle.weight.copy_(ours.weight)
    assert not ours.weight[0].any()  # the padding row starts at zero
    ids = torch.tensor([[1, 2, 0], [9, 0, 0]])  # (B, T)
    e = ours(ids)
    assert e.shape == (2, 3, 3)
    torch.testing.assert_close(e, oracle(ids))
    upstream = _randn(2, 3, 3)
    (e * upstream).sum().backward()
    (oracle(ids) * upstream).sum().backward()
    torch.testing.assert_close(ours.weight.grad, oracle.weight.grad)
    assert not ours.weight.grad[0].any()


def test_embedding_errors():
    emb = Embedding(5, 2)
    with pytest.raises(
        TypeError, match=r"Embedding: expected integer token ids, got torch.float32"
    ):
        emb(torch.zeros(2))
    with pytest.raises(
        ValueError, match=r"Embedding: expected ids in \[0, 5\), got range \[0, 5\]"
    ):
        emb(torch.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"Embedding: expected padding_idx in \[0, 5\), got 7"):
        Embedding(5, 2, padding_idx=7)


# --- Dropout -------------------------------------------------------------------------------


def test_inverted_dropout_in_training():
    torch.manual_seed(0)
    drop = Dropout(keep_prob=0.8)
    a = torch.rand(200, 500) + 0.5  # no zeros, so a zero output means dropped
    out = drop(a)
    kept = out != 0
    assert kept.float().mean().item() == pytest.approx(0.8, abs=0.01)
    torch.testing.assert_close(out[kept], a[kept] / 0.8)  # scaled up by 1/keep_prob
    assert out.mean().item() == pytest.approx(a.mean().item(), rel=0.01)  # E[a] unchanged


def test_dropout_is_identity_in_eval_and_with_keep_prob_one():
    a = torch.rand(3, 4)
    assert Dropout(0.5).eval()(a) is a
    assert Dropout(1.0)(a) is a


@pytest.mark.parametrize("keep_prob", [0.0, 1.5, -0.1])
def test_dropout_rejects_keep_prob_outside_0_1(keep_prob):
    with pytest.raises(ValueError, match=rf"Dropout: expected 0 < keep_prob <= 1, got {keep_prob}"):
        Dropout(keep_prob)


# --- BatchNorm -----------------------------------------------------------------------------


def test_batch_norm_worked_example_from_notes():
    # notes: u = [3, 5, 8, 9, 11, 24] → μ_B = 10, σ²_B = 46,
    # û = [-1.03, -0.74, -0.29, -0.15, 0.15, 2.06]
    bn = BatchNorm(1).double()
    u = torch.tensor([3.0, 5, 8, 9, 11, 24], dtype=torch.float64).view(6, 1)  # (B, C)
    y = bn(u).view(-1)
    expected = torch.tensor([-1.03, -0.74, -0.29, -0.15, 0.15, 2.06], dtype=torch.float64)
    torch.testing.assert_close(y, expected, atol=5e-3, rtol=0)
    assert y.mean().item() == pytest.approx(0.0, abs=1e-12)
    # moving averages with momentum 0.9 from 0 and 1: 0.9·0 + 0.1·10 = 1;
    # 0.9·1 + 0.1·(46·6/5) = 6.42 (unbiased variance, as torch stores it)
    assert bn.moving_mean.item() == pytest.approx(1.0)
    assert bn.moving_var.item() == pytest.approx(6.42)


def _torch_twin(bn: BatchNorm) -> torch.nn.BatchNorm1d:
    twin = torch.nn.BatchNorm1d(bn.gamma.shape[0], momentum=1 - bn.momentum, eps=bn.eps).double()
    with torch.no_grad():
        twin.weight.copy_(bn.gamma)
        twin.bias.copy_(bn.beta)
    return twin


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)], ids=["(B,C)", "(B,C,T)"])
def test_batch_norm_equals_torch_with_momentum_one_minus_m(shape):
    bn = BatchNorm(3, momentum=0.9).double()
    with torch.no_grad():
        bn.gamma.copy_(_randn(3, seed=10) + 1)
        bn.beta.copy_(_randn(3, seed=11))
    twin = _torch_twin(bn)
    for step in range(3):  # train: batch statistics, moving averages, gradients
        u1 = (_randn(*shape, seed=step) * 2 + 1).requires_grad_()
        u2 = u1.detach().clone().requires_grad_()
        y1, y2 = bn(u1), twin(u2)
        assert y1.shape == shape
        torch.testing.assert_close(y1, y2)
        upstream = _randn(*shape, seed=100 + step)
        (y1 * upstream).sum().backward()
        (y2 * upstream).sum().backward()
        torch.testing.assert_close(u1.grad, u2.grad)
        torch.testing.assert_close(bn.gamma.grad, twin.weight.grad)
        torch.testing.assert_close(bn.beta.grad, twin.bias.grad)
        torch.testing.assert_close(bn.moving_mean, twin.running_mean)
        torch.testing.assert_close(bn.moving_var, twin.running_var)
    bn.eval()
    twin.eval()
    u = _randn(*shape, seed=50)
    torch.testing.assert_close(bn(u), twin(u))  # eval: the moving averages


def test_batch_norm_eval_does_not_update_moving_averages():
    bn = BatchNorm(2).eval()
    bn(torch.randn(5, 2))
    assert not bn.moving_mean.any() and (bn.moving_var == 1).all()


def test_batch_norm_errors():
    bn = BatchNorm(4)
    with pytest.raises(ValueError, match=r"^BatchNorm: expected input of rank 2 or 3, got 4$"):
        bn(torch.zeros(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"^BatchNorm: expected 4 channels in dimension 1, got 3$"):
        bn(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm: expected more than 1 value per channel"):
        bn(torch.zeros(1, 4))
    with pytest.raises(ValueError, match=r"BatchNorm: expected 0 <= momentum < 1, got 1.5"):
        BatchNorm(4, momentum=1.5)


# --- Conv2d and pooling ----------------------------------------------------------------------

# notes: 6×6 image * 3×3 vertical-edge filter → 4×4. The OCR of the notes reads three handwritten
# 4s as 1, 9 and 9 (image (4, 0), (5, 1); output (2, 2)); the notes' own output matrix and the
# hand computation, e.g. window [[2, 5, 1], [3, 1, 7], [1, 6, 2]] → (2 + 3 + 1) − (1 + 7 + 2) = −4,
# agree with the 4s used here.
IMAGE = [
    [3, 0, 1, 2, 7, 4],
    [1, 5, 8, 9, 3, 1],
    [2, 7, 2, 5, 1, 3],
    [0, 1, 3, 1, 7, 8],
    [4, 2, 1, 6, 2, 8],
    [2, 4, 5, 2, 3, 9],
]
EDGE = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
EDGES = [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]]


def test_conv2d_worked_example_from_notes():
    conv = Conv2d(1, 1, kernel_size=3).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(EDGE, dtype=torch.float64).view(1, 1, 3, 3))
    out = conv(torch.tensor(IMAGE, dtype=torch.float64).view(1, 1, 6, 6))
    assert out.shape == (1, 1, 4, 4)  # n − f + 1 = 6 − 3 + 1
    torch.testing.assert_close(out.view(4, 4), torch.tensor(EDGES, dtype=torch.float64))


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 1), (3, 2)])
def test_conv2d_output_size_formula(stride, padding):
    n, f = 11, 3
    out = Conv2d(2, 5, kernel_size=f, stride=stride, padding=padding)(torch.zeros(4, 2, n, n))
    size = (n + 2 * padding - f) // stride + 1
    assert out.shape == (4, 5, size, size)


def test_conv2d_parameters_and_errors():
    conv = Conv2d(3, 10, kernel_size=3)
    # notes: 10 filters of 3×3×3 → (27 + 1)·10 = 280 parameters
    assert sum(p.numel() for p in conv.parameters()) == 280
    with pytest.raises(
        ValueError, match=r"Conv2d: expected input of shape \(B, 3, H, W\), got \(2, 4, 5, 5\)"
    ):
        conv(torch.zeros(2, 4, 5, 5))


def test_pooling_worked_example_from_notes():
    x = torch.tensor([[1.0, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]]).view(1, 1, 4, 4)
    torch.testing.assert_close(MaxPool2d(2)(x).view(2, 2), torch.tensor([[9.0, 2], [6, 3]]))
    # means of the four 2×2 windows: 15/4, 5/4, 15/4, 8/4
    torch.testing.assert_close(
        AvgPool2d(2)(x).view(2, 2), torch.tensor([[3.75, 1.25], [3.75, 2.0]])
    )
    assert MaxPool2d(2, stride=1)(x).shape == (1, 1, 3, 3)
    with pytest.raises(
        ValueError, match=r"MaxPool2d: expected input of shape \(B, C, H, W\), got \(4, 4\)"
    ):
        MaxPool2d(2)(x.view(4, 4))
