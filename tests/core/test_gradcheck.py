import pytest
import torch
from torch import nn

from seqkit.core import activations as A
from seqkit.core.gradcheck import GradCheck, gradient_check
from seqkit.core.layers import BatchNorm, Dense, Embedding
from seqkit.core.losses import sequence_cross_entropy

TOLERANCE = 1e-7


def _randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


ACTIVATIONS = {
    "sigmoid": A.sigmoid,
    "tanh": A.tanh,
    "relu": A.relu,
    "leaky_relu": A.LeakyReLU(0.1),
    "prelu": A.PReLU(3),
    "elu": A.ELU(0.7),
    "selu": A.selu,
    "softmax": A.Softmax(dim=-1),
    "log_softmax": A.log_softmax,
    "log_sigmoid": A.log_sigmoid,
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_dense_then_activation_passes(name):
    g = ACTIVATIONS[name]
    dense = Dense(4, 3, generator=torch.Generator().manual_seed(1)).double()
    with torch.no_grad():
        dense.bias.copy_(_randn(3, seed=2))
    params = dict(dense.named_parameters())
    if isinstance(g, nn.Module):
        g = g.double()
        params.update(g.named_parameters())
    result = gradient_check(lambda x: g(dense(x)), _randn(5, 4), params=params)
    assert isinstance(result, GradCheck)
    expected = {"weight", "bias", "input0"} | ({"alpha"} if name == "prelu" else set())
    assert set(result.per_tensor) == expected
    assert result.relative_error < TOLERANCE, result


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)], ids=["(B,C)", "(B,C,T)"])
def test_batch_norm_in_training_mode_passes(shape):
    bn = BatchNorm(3).double()
    with torch.no_grad():
        bn.gamma.copy_(_randn(3, seed=3) + 1)
        bn.beta.copy_(_randn(3, seed=4))
    moving = [b.clone() for b in bn.buffers()]
    result = gradient_check(bn, _randn(*shape) * 2 + 1)
    assert set(result.per_tensor) == {"gamma", "beta", "input0"}
    assert result.relative_error < TOLERANCE, result
    assert all(torch.equal(b, m) for b, m in zip(bn.buffers(), moving, strict=True))  # untouched


def test_label_smoothed_sequence_loss_passes():
    targets = torch.tensor([[3, 1, 0], [2, 0, 0]])

    def J(z):
        return sequence_cross_entropy(z, targets, pad_id=0, smoothing=0.1).loss

    assert gradient_check(J, _randn(2, 3, 4)).relative_error < TOLERANCE


class _SquareWithBuggyBackward(torch.autograd.Function):
    """x² whose backward forgets the factor 2: returns x·g instead of 2x·g."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return x * g


def test_a_wrong_backward_fails():
    w = nn.Parameter(_randn(3, seed=5))
    b = nn.Parameter(_randn(3, seed=6))

    def f(x):
        return _SquareWithBuggyBackward.apply(w * x) + b

    result = gradient_check(f, _randn(3), params={"w": w, "b": b})
    # dθ = ½·dθ_approx for w and x, so their ratio is ‖½d‖ / (‖d‖ + ‖½d‖) = 1/3; b is right
    assert result.per_tensor["w"] == pytest.approx(1 / 3, rel=1e-6)
    assert result.per_tensor["input0"] == pytest.approx(1 / 3, rel=1e-6)
    assert result.per_tensor["b"] < TOLERANCE
    assert result.relative_error > 0.1


def test_inputs_are_not_changed_and_parameters_are_restored():
    model = Dense(3, 2).double()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = _randn(4, 3)
    x_before = x.clone()
    gradient_check(model, x)
    assert torch.equal(x, x_before) and not x.requires_grad
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


def test_wrt_inputs_false_and_integer_inputs_are_skipped():
    # no padding_idx: its row's gradient is zeroed on purpose, which the check would flag
    emb = Embedding(5, 2).double()
    result = gradient_check(emb, torch.tensor([[1, 0, 4]]))
    assert set(result.per_tensor) == {"weight"} and result.relative_error < TOLERANCE
    result = gradient_check(Dense(3, 2).double(), _randn(2, 3), wrt_inputs=False)
    assert set(result.per_tensor) == {"weight", "bias"}


def test_errors():
    with pytest.raises(
        TypeError, match=r"gradient_check: expected float64 tensors, got torch.float32 for 'weight'"
    ):
        gradient_check(Dense(3, 2), torch.zeros(2, 3))
    with pytest.raises(
        ValueError,
        match=r"gradient_check: expected parameters or floating inputs to check, got none",
    ):
        gradient_check(lambda ids: ids.double(), torch.tensor([1, 2]))
