"""seqkit.rnn.cells against torch.nn's cells, the notes' concatenated form, and gradient checks."""

import pytest
import torch
from torch import Tensor, nn

from seqkit.core.gradcheck import gradient_check
from seqkit.rnn import GRUCell, LSTMCell, RNNCell, SimplifiedGRUCell

B, I, H = 3, 5, 4  # noqa: E741 (the shape symbols of docs/notation.md)
TOLERANCE = 1e-5  # float32 parity with torch
GRADCHECK_TOLERANCE = 1e-7  # float64 relative error of backprop against two-sided differences


def _randn(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> Tensor:
    return torch.randn(*shape, dtype=dtype, generator=torch.Generator().manual_seed(seed))


def _run(cell: nn.Module, x: Tensor, state: Tensor | tuple[Tensor, ...]):
    """Outputs, and the gradients of Σ outputs ⊙ R with respect to x, the state and the
    parameters, by name."""
    x = x.clone().requires_grad_()
    states = [s.clone().requires_grad_() for s in (state if isinstance(state, tuple) else (state,))]
    out = cell(x, tuple(states) if isinstance(state, tuple) else states[0])
    outs = out if isinstance(out, tuple) else (out,)
    loss = sum((o * _randn(*o.shape, seed=10 + i)).sum() for i, o in enumerate(outs))
    loss.backward()
    grads = {"x": x.grad, **{f"state{i}": s.grad for i, s in enumerate(states)}}
    grads |= {name: p.grad for name, p in cell.named_parameters()}
    return outs, grads


def _assert_close(ours, theirs, atol: float = TOLERANCE) -> None:
    (outs, grads), (ref_outs, ref_grads) = ours, theirs
    for o, r in zip(outs, ref_outs, strict=True):
        torch.testing.assert_close(o, r, atol=atol, rtol=0)
    assert set(grads) == set(ref_grads)
    for name in grads:
        torch.testing.assert_close(grads[name], ref_grads[name], atol=atol, rtol=0, msg=name)


TORCH_TWINS = {
    "rnn-tanh": (lambda: RNNCell(I, H), lambda: nn.RNNCell(I, H)),
    "rnn-relu": (
        lambda: RNNCell(I, H, nonlinearity="relu"),
        lambda: nn.RNNCell(I, H, True, "relu"),
    ),
    "rnn-no-bias": (lambda: RNNCell(I, H, bias=False), lambda: nn.RNNCell(I, H, bias=False)),
    "gru": (lambda: GRUCell(I, H), lambda: nn.GRUCell(I, H)),
    "gru-no-bias": (lambda: GRUCell(I, H, bias=False), lambda: nn.GRUCell(I, H, bias=False)),
    "lstm": (lambda: LSTMCell(I, H), lambda: nn.LSTMCell(I, H)),
    "lstm-no-bias": (lambda: LSTMCell(I, H, bias=False), lambda: nn.LSTMCell(I, H, bias=False)),
}


@pytest.mark.parametrize("name", TORCH_TWINS)
def test_cell_matches_torch_with_its_state_dict(name):
    make_ours, make_theirs = TORCH_TWINS[name]
    torch.manual_seed(0)
    theirs = make_theirs()
    ours = make_ours()
    ours.load_state_dict(theirs.state_dict())  # strict: same names and shapes
    x, a = _randn(B, I, seed=1), _randn(B, H, seed=2)
    state = (a, _randn(B, H, seed=3)) if name.startswith("lstm") else a
    _assert_close(_run(ours, x, state), _run(theirs, x, state))


def test_peephole_lstm_with_zero_peepholes_is_torch_lstm():
    torch.manual_seed(0)
    theirs = nn.LSTMCell(I, H)
    ours = LSTMCell(I, H, peepholes=True)
    ours.load_state_dict(theirs.state_dict() | {"weight_ch": torch.zeros(3, H)})
    state = (_randn(B, H, seed=2), _randn(B, H, seed=3))
    ours_run, theirs_run = (
        _run(ours, _randn(B, I, seed=1), state),
        _run(theirs, _randn(B, I, seed=1), state),
    )
    ours_run[1].pop("weight_ch")
    _assert_close(ours_run, theirs_run)


def test_reset_before_equals_after_when_w_hn_is_diagonal_and_b_hn_zero():
    """W_hn (Γr * c) = Γr * (W_hn c) for a diagonal W_hn, so the two GRUs agree."""
    before, after = GRUCell(I, H, reset="before").double(), GRUCell(I, H, reset="after").double()
    with torch.no_grad():
        before.weight_hh[2 * H :] = torch.diag(_randn(H, seed=4, dtype=torch.float64))
        before.bias_hh[2 * H :] = 0
    after.load_state_dict(before.state_dict())
    x, c = _randn(B, I, seed=1, dtype=torch.float64), _randn(B, H, seed=2, dtype=torch.float64)
    torch.testing.assert_close(before(x, c), after(x, c), atol=1e-12, rtol=0)
    with torch.no_grad():
        before.bias_hh[2 * H :] = 1
    assert not torch.allclose(before(x, c), after(x, c))


@pytest.mark.parametrize("reset", ["after", "before"])
def test_simplified_gru_is_gru_with_relevance_gate_one(reset):
    gru, simple = GRUCell(I, H, reset=reset).double(), SimplifiedGRUCell(I, H).double()
    with torch.no_grad():  # Γr = σ(0 · [c, x] + 1e4) = 1 exactly in float64
        gru.weight_ih[:H], gru.weight_hh[:H], gru.bias_ih[:H], gru.bias_hh[:H] = 0, 0, 1e4, 0
    simple.load_state_dict({name: p[H:] for name, p in gru.state_dict().items()})
    x, c = _randn(B, I, seed=1, dtype=torch.float64), _randn(B, H, seed=2, dtype=torch.float64)
    torch.testing.assert_close(simple(x, c), gru(x, c), atol=1e-12, rtol=0)


# The notes' form: every gate is one product with the concatenation [c<t−1>, x<t>].
def _notes_weights(cell: nn.Module, block: int) -> tuple[Tensor, Tensor]:
    """W = [W_h· | W_i·] and b = b_i· + b_h· of gate block ``block``."""
    rows = slice(block * H, (block + 1) * H)
    W = torch.cat([cell.weight_hh[rows], cell.weight_ih[rows]], dim=1)  # (H, H + I)
    return W, cell.bias_ih[rows] + cell.bias_hh[rows]


def _notes_gru(cell: nn.Module, x: Tensor, c: Tensor, relevance: bool) -> Tensor:
    """c̃ = tanh(W_c[Γr * c, x] + b_c), Γu = σ(W_u[c, x] + b_u), c' = Γu * c̃ + (1 − Γu) * c."""
    blocks = {"z": 1, "n": 2} if relevance else {"z": 0, "n": 1}
    W_z, b_z = _notes_weights(cell, blocks["z"])
    W_u, b_u = -W_z, -b_z  # the notes' update gate in the z rows' convention
    gamma_u = torch.sigmoid(torch.cat([c, x], 1) @ W_u.T + b_u)
    gamma_r = torch.ones_like(c)
    if relevance:
        W_r, b_r = _notes_weights(cell, 0)
        gamma_r = torch.sigmoid(torch.cat([c, x], 1) @ W_r.T + b_r)
    W_c, b_c = _notes_weights(cell, blocks["n"])
    c_tilde = torch.tanh(torch.cat([gamma_r * c, x], 1) @ W_c.T + b_c)
    return gamma_u * c_tilde + (1 - gamma_u) * c


def _notes_peephole_lstm(cell: LSTMCell, x: Tensor, a: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    (W_u, b_u), (W_f, b_f), (W_c, b_c), (W_o, b_o) = (_notes_weights(cell, k) for k in range(4))
    w_cu, w_cf, w_co = cell.weight_ch
    ax = torch.cat([a, x], 1)
    gamma_u = torch.sigmoid(ax @ W_u.T + b_u + w_cu * c)
    gamma_f = torch.sigmoid(ax @ W_f.T + b_f + w_cf * c)
    c_t = gamma_u * torch.tanh(ax @ W_c.T + b_c) + gamma_f * c
    gamma_o = torch.sigmoid(ax @ W_o.T + b_o + w_co * c_t)
    return gamma_o * torch.tanh(c_t), c_t


def test_variants_without_torch_twin_match_the_notes_form():
    x, a, c = (_randn(B, n, seed=s, dtype=torch.float64) for n, s in ((I, 1), (H, 2), (H, 3)))
    gru, simple = GRUCell(I, H, reset="before").double(), SimplifiedGRUCell(I, H).double()
    lstm = LSTMCell(I, H, peepholes=True).double()
    with torch.no_grad():
        torch.testing.assert_close(gru(x, c), _notes_gru(gru, x, c, relevance=True))
        torch.testing.assert_close(simple(x, c), _notes_gru(simple, x, c, relevance=False))
        torch.testing.assert_close(lstm(x, (a, c)), _notes_peephole_lstm(lstm, x, a, c))


GRADCHECKED = {
    "gru-reset-before": lambda: GRUCell(3, 2, reset="before"),
    "gru-reset-before-no-bias": lambda: GRUCell(3, 2, bias=False, reset="before"),
    "simplified-gru": lambda: SimplifiedGRUCell(3, 2),
    "lstm-peepholes": lambda: LSTMCell(3, 2, peepholes=True),
}


@pytest.mark.parametrize("name", GRADCHECKED)
def test_gradient_check_of_variants_torch_lacks(name):
    torch.manual_seed(0)
    cell = GRADCHECKED[name]().double()
    x, a, c = (_randn(2, n, seed=s, dtype=torch.float64) for n, s in ((3, 1), (2, 2), (2, 3)))
    if isinstance(cell, LSTMCell):
        result = gradient_check(
            lambda x, a, c: torch.cat(cell(x, (a, c)), 1),
            x,
            a,
            c,
            params=dict(cell.named_parameters()),
        )
    else:
        result = gradient_check(cell, x, a)
    assert result.relative_error < GRADCHECK_TOLERANCE, result


CELLS = {
    "rnn": (lambda: RNNCell(I, H), 1),
    "gru": (lambda: GRUCell(I, H, reset="before"), 3),
    "simplified-gru": (lambda: SimplifiedGRUCell(I, H), 2),
    "lstm": (lambda: LSTMCell(I, H, peepholes=True), 4),
}


@pytest.mark.parametrize("name", CELLS)
def test_documented_shapes(name):
    make, gates = CELLS[name]
    cell = make()
    shapes = {n: tuple(p.shape) for n, p in cell.named_parameters()}
    expected = {"weight_ih": (gates * H, I), "weight_hh": (gates * H, H)}
    expected |= {"bias_ih": (gates * H,), "bias_hh": (gates * H,)}
    if name == "lstm":
        expected["weight_ch"] = (3, H)
    assert shapes == expected
    x = _randn(B, I)
    if name == "lstm":
        for state in (None, (_randn(B, H), _randn(B, H))):
            a, c = cell(x, state)
            assert a.shape == c.shape == (B, H)
    else:
        assert cell(x).shape == cell(x, _randn(B, H)).shape == (B, H)


def test_missing_state_means_zeros():
    gru, lstm = GRUCell(I, H), LSTMCell(I, H)
    x, zeros = _randn(B, I), torch.zeros(B, H)
    torch.testing.assert_close(gru(x), gru(x, zeros))
    torch.testing.assert_close(lstm(x), lstm(x, (zeros, zeros)))


@pytest.mark.parametrize(
    "cell",
    [RNNCell(I, H), GRUCell(I, H, reset="before"), SimplifiedGRUCell(I, H),
     LSTMCell(I, H, peepholes=True)],
    ids=lambda cell: type(cell).__name__,
)
def test_step_from_the_input_half_is_forward(cell):
    """step(W_ih x + b_ih, state) is forward(x, state), exactly: forward is step after that
    product (the seq2seq decoder calls step with the product assembled from column blocks)."""
    x, a, c = _randn(B, I), _randn(B, H, seed=1), _randn(B, H, seed=2)
    state = (a, c) if isinstance(cell, LSTMCell) else (a,)
    out = cell(x, state if isinstance(cell, LSTMCell) else a)
    stepped = cell.step(x @ cell.weight_ih.T + cell.bias_ih, state)
    assert len(stepped) == len(state)
    torch.testing.assert_close(stepped, out if isinstance(out, tuple) else (out,))


def test_bias_false_registers_no_bias():
    assert [n for n, _ in LSTMCell(I, H, bias=False).named_parameters()] == [
        "weight_ih",
        "weight_hh",
    ]


BAD_CALLS = [
    (
        lambda: RNNCell(I, H)(_randn(B, 2, I)),
        ValueError,
        r"RNNCell: expected input of rank 2 \(B, I\), got rank 3",
    ),
    (
        lambda: GRUCell(I, H)(_randn(B, I + 1)),
        ValueError,
        "GRUCell: expected input feature size 5, got 6",
    ),
    (
        lambda: GRUCell(I, H)([[0.0] * I]),
        TypeError,
        "GRUCell: expected input to be a Tensor, got list",
    ),
    (
        lambda: SimplifiedGRUCell(I, H)(_randn(B, I), _randn(B, H + 1)),
        ValueError,
        r"SimplifiedGRUCell: expected state of shape \(3, 4\), got \(3, 5\)",
    ),
    (
        lambda: LSTMCell(I, H)(_randn(B, I), _randn(B, H)),
        TypeError,
        r"LSTMCell: expected state to be a pair \(a_prev, c_prev\), got Tensor",
    ),
    (
        lambda: LSTMCell(I, H)(_randn(B, I), (_randn(B, H), 0.0)),
        TypeError,
        "LSTMCell: expected state to be a Tensor, got float",
    ),
    (
        lambda: GRUCell(I, H, reset="middle"),
        ValueError,
        "GRUCell: unknown reset 'middle'; expected one of after, before",
    ),
    (
        lambda: RNNCell(I, H, nonlinearity="sigmoid"),
        ValueError,
        "RNNCell: unknown nonlinearity 'sigmoid'; expected one of tanh, relu",
    ),
    (
        lambda: RNNCell(I, H, nonlinearity=None),
        TypeError,
        "RNNCell: expected nonlinearity to be a str, got NoneType",
    ),
    (
        lambda: LSTMCell(I, H, peepholes="yes"),
        TypeError,
        "LSTMCell: expected peepholes to be a bool, got str",
    ),
    (lambda: LSTMCell(I, H, bias=1), TypeError, "LSTMCell: expected bias to be a bool, got int"),
    (lambda: RNNCell(I, 0), ValueError, "RNNCell: expected hidden_size > 0, got 0"),
    (lambda: GRUCell(5.0, H), TypeError, "GRUCell: expected input_size to be an int, got float"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_CALLS, ids=[m for _, _, m in BAD_CALLS])
def test_bad_input_raises_a_helpful_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
