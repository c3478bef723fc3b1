import math

import pytest
import torch
import torch.nn.functional as F

from seqkit.core import activations as A

# (seqkit function, torch oracle) on the same input
PAIRS = [
    ("sigmoid", A.sigmoid, torch.sigmoid),
    ("tanh", A.tanh, torch.tanh),
    ("relu", A.relu, F.relu),
    ("leaky_relu", A.leaky_relu, lambda z: F.leaky_relu(z, 0.01)),
    ("leaky_relu_0.2", lambda z: A.leaky_relu(z, 0.2), lambda z: F.leaky_relu(z, 0.2)),
    ("elu", A.elu, F.elu),
    ("elu_0.3", lambda z: A.elu(z, 0.3), lambda z: F.elu(z, 0.3)),
    ("selu", A.selu, F.selu),
    ("softmax", A.softmax, lambda z: F.softmax(z, dim=-1)),
    ("softmax_dim0", lambda z: A.softmax(z, dim=0), lambda z: F.softmax(z, dim=0)),
    ("log_softmax", A.log_softmax, lambda z: F.log_softmax(z, dim=-1)),
    ("log_sigmoid", A.log_sigmoid, F.logsigmoid),
]


def _z() -> torch.Tensor:
    # spans both sides of 0 and the tails; 1e-9 checks accuracy near 0
    z = torch.randn(4, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 4
    z[0, 0] = 1e-9
    z[0, 1] = -1e-9
    return z


@pytest.mark.parametrize(("name", "ours", "oracle"), PAIRS, ids=[p[0] for p in PAIRS])
def test_matches_torch_values_and_gradients(name, ours, oracle):
    z1 = _z().requires_grad_()
    z2 = _z().requires_grad_()
    y1, y2 = ours(z1), oracle(z2)
    assert y1.shape == z1.shape
    torch.testing.assert_close(y1, y2, rtol=1e-12, atol=1e-14)
    upstream = torch.randn(
        y1.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1)
    )
    (g1,) = torch.autograd.grad(y1, z1, upstream)
    (g2,) = torch.autograd.grad(y2, z2, upstream)
    torch.testing.assert_close(g1, g2, rtol=1e-12, atol=1e-14)


def test_prelu_matches_torch_shared_and_per_channel():
    z = _z()
    for alpha in (torch.tensor([0.25]), torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])):
        ours = A.PReLU(alpha.numel()).double()
        ours.alpha.data.copy_(alpha)
        oracle = torch.nn.PReLU(alpha.numel()).double()
        oracle.weight.data.copy_(alpha)
        z1, z2 = z.clone().requires_grad_(), z.clone().requires_grad_()
        y1, y2 = ours(z1), oracle(z2)
        torch.testing.assert_close(y1, y2)
        y1.pow(2).sum().backward()
        y2.pow(2).sum().backward()
        torch.testing.assert_close(z1.grad, z2.grad)
        torch.testing.assert_close(ours.alpha.grad, oracle.weight.grad)


def test_prelu_channel_mismatch_names_function_and_sizes():
    with pytest.raises(
        ValueError, match=r"prelu: expected input \(B, 3, \*\) for 3 channel slopes, got \(4, 6\)"
    ):
        A.prelu(_z(), torch.ones(3))


def test_modules_wrap_the_functions():
    z = _z()
    torch.testing.assert_close(A.LeakyReLU(0.2)(z), A.leaky_relu(z, 0.2))
    torch.testing.assert_close(A.ELU(0.5)(z), A.elu(z, 0.5))
    torch.testing.assert_close(A.Softmax(dim=0)(z), A.softmax(z, dim=0))
    assert "slope=0.2" in repr(A.LeakyReLU(0.2))


def test_softmax_worked_example_from_notes():
    # notes: a = [e^5, e^2, e^-1, e^3] / (e^5 + e^2 + e^-1 + e^3) = [0.842, 0.041, 0.002, 0.113];
    # the notes' hand rounding is off by up to 1e-3 (exactly 0.8420, 0.0419, 0.0021, 0.1140)
    a = A.softmax(torch.tensor([5.0, 2.0, -1.0, 3.0], dtype=torch.float64))
    e = [math.exp(5), math.exp(2), math.exp(-1), math.exp(3)]
    by_hand = torch.tensor([x / sum(e) for x in e], dtype=torch.float64)
    torch.testing.assert_close(a, by_hand, rtol=1e-15, atol=0)
    notes = torch.tensor([0.842, 0.041, 0.002, 0.113], dtype=torch.float64)
    torch.testing.assert_close(a, notes, atol=1e-3, rtol=0)
    assert math.isclose(float(a.sum()), 1.0, rel_tol=1e-15)


def test_selu_constants_are_the_notes():
    assert math.isclose(A.SELU_LAMBDA, 1.0507009873554804934193349852946, rel_tol=1e-15)
    assert math.isclose(A.SELU_ALPHA, 1.6732632423543772848170429916717, rel_tol=1e-15)


@pytest.mark.parametrize(
    "fn",
    [
        A.sigmoid,
        A.tanh,
        A.relu,
        A.leaky_relu,
        A.elu,
        A.selu,
        A.softmax,
        A.log_softmax,
        A.log_sigmoid,
    ],
)
def test_huge_inputs_give_finite_values_and_gradients(fn):
    z = torch.tensor([1000.0, -1000.0, 0.0, 800.0], requires_grad=True)
    y = fn(z)
    (g,) = torch.autograd.grad(y.sum(), z)
    assert torch.isfinite(y).all()
    assert torch.isfinite(g).all()


def test_saturated_values():
    z = torch.tensor([1000.0, -1000.0])
    torch.testing.assert_close(A.sigmoid(z), torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(A.tanh(z), torch.tensor([1.0, -1.0]))
    # softmax is shift-invariant: [1000, 999, 0] is [1, 0, -999]
    torch.testing.assert_close(
        A.softmax(torch.tensor([1000.0, 999.0, 0.0])), A.softmax(torch.tensor([1.0, 0.0, -999.0]))
    )


def test_derivatives_at_zero_follow_torch():
    z = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    for ours, expected in [(A.sigmoid, 0.25), (A.tanh, 1.0), (A.relu, 0.0), (A.log_sigmoid, 0.5)]:
        (g,) = torch.autograd.grad(ours(z).sum(), z)
        assert float(g) == pytest.approx(expected, rel=1e-12), ours.__name__
