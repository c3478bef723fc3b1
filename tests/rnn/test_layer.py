"""seqkit.rnn.RNN: both paths against torch.nn.RNN/GRU/LSTM, against each other and the cells."""

import pytest
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqkit.core.gradcheck import gradient_check
from seqkit.rnn import RNN, GRUCell, LSTMCell, RNNCell, SimplifiedGRUCell

B, T, I, H, L = 3, 5, 3, 4, 2  # noqa: E741 (the shape symbols of docs/notation.md)
LENGTHS = torch.tensor([5, 2, 4])
TOLERANCE = 1e-5  # float32 parity
GRADCHECK_TOLERANCE = 1e-7

TORCH_LAYERS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
# configurations torch has: (cell, options)
FUSABLE = {
    "rnn-tanh": ("rnn", {}),
    "rnn-relu": ("rnn", {"nonlinearity": "relu"}),
    "gru": ("gru", {}),
    "lstm": ("lstm", {}),
    "lstm-no-bias": ("lstm", {"bias": False}),
    "gru-no-bias": ("gru", {"bias": False}),
    "rnn-no-bias": ("rnn", {"bias": False}),
}
# every configuration
CONFIGS = FUSABLE | {
    "gru-reset-before": ("gru", {"reset": "before"}),
    "simple-gru": ("simple_gru", {}),
    "lstm-peepholes": ("lstm", {"peepholes": True}),
}


def _randn(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> Tensor:
    return torch.randn(*shape, dtype=dtype, generator=torch.Generator().manual_seed(seed))


def _initial_state(cell: str, seed: int = 5) -> Tensor | tuple[Tensor, Tensor]:
    a = _randn(L * 2, B, H, seed=seed)
    return (a, _randn(L * 2, B, H, seed=seed + 1)) if cell == "lstm" else a


def _as_tuple(state: Tensor | tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    return state if isinstance(state, tuple) else (state,)


def _torch_forward(layer: nn.Module, x: Tensor, lengths: Tensor | None, state):
    """torch.nn's layer on the padded batch: packed when there are lengths."""
    if lengths is None:
        return layer(x, state)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    outputs, final = layer(packed, state)
    return pad_packed_sequence(outputs, batch_first=True, total_length=x.shape[1])[0], final


def _run(forward, layer: nn.Module, x: Tensor, state):
    """Outputs, final state, and the gradients of a random weighting of both with respect to x,
    the initial state and every parameter (by torch's names)."""
    x = x.clone().requires_grad_()
    states = None if state is None else [s.clone().requires_grad_() for s in _as_tuple(state)]
    initial = None if states is None else (tuple(states) if len(states) == 2 else states[0])
    outputs, final = forward(layer, x, initial)
    results = (outputs, *_as_tuple(final))
    loss = sum((r * _randn(*r.shape, seed=20 + i)).sum() for i, r in enumerate(results))
    loss.backward()
    grads = {"x": x.grad} | {f"state{i}": s.grad for i, s in enumerate(states or [])}
    return results, grads | {name: p.grad for name, p in layer.named_parameters()}


def _assert_same(ours, theirs, atol: float = TOLERANCE) -> None:
    (results, grads), (ref_results, ref_grads) = ours, theirs
    for r, ref in zip(results, ref_results, strict=True):
        torch.testing.assert_close(r, ref, atol=atol, rtol=0)
    assert grads.keys() == ref_grads.keys()
    for name in grads:
        torch.testing.assert_close(grads[name], ref_grads[name], atol=atol, rtol=0, msg=name)


def _pair(name: str, fused: bool, bidirectional: bool = True) -> tuple[RNN, nn.Module]:
    """seqkit's 2-layer (B)RNN on either path, with the weights of torch.nn's twin."""
    cell, options = FUSABLE[name]
    torch.manual_seed(0)
    theirs = TORCH_LAYERS[cell](I, H, L, batch_first=True, bidirectional=bidirectional, **options)
    ours = RNN(cell, I, H, L, bidirectional=bidirectional, fused=fused, **options)
    ours.load_state_dict(theirs.state_dict())  # strict: the very same names and shapes
    return ours, theirs


@pytest.mark.parametrize("initial", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "variable-lengths"])
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "loop"])
@pytest.mark.parametrize("name", FUSABLE)
def test_two_layer_brnn_matches_torch(name, fused, lengths, initial):
    ours, theirs = _pair(name, fused)
    assert ours.fused is fused
    state = _initial_state(FUSABLE[name][0]) if initial else None
    x = _randn(B, T, I, seed=1)
    expected = _run(lambda m, x, s: _torch_forward(m, x, lengths, s), theirs, x, state)
    _assert_same(_run(lambda m, x, s: m(x, lengths, s), ours, x, state), expected)


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "variable-lengths"])
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "loop"])
@pytest.mark.parametrize("name", FUSABLE)
def test_two_layer_unidirectional_matches_torch(name, fused, lengths):
    ours, theirs = _pair(name, fused, bidirectional=False)
    x = _randn(B, T, I, seed=1)
    expected = _run(lambda m, x, s: _torch_forward(m, x, lengths, s), theirs, x, None)
    _assert_same(_run(lambda m, x, s: m(x, lengths, s), ours, x, None), expected)


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "variable-lengths"])
@pytest.mark.parametrize("name", FUSABLE)
def test_fused_path_runs_torchs_kernel_and_the_loop_does_not(name, lengths, monkeypatch):
    layer, _ = _pair(name, fused=True)
    calls = []
    kernel = layer._kernel
    monkeypatch.setattr(layer, "_kernel", lambda *args: calls.append(1) or kernel(*args))
    layer(_randn(B, T, I, seed=1), lengths)
    kernel_calls = len(calls)  # 1, or one per layer and direction (unpacked lengths)
    assert kernel_calls >= 1
    layer.fused = False
    layer(_randn(B, T, I, seed=1), lengths)
    assert len(calls) == kernel_calls


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "variable-lengths"])
@pytest.mark.parametrize("name", FUSABLE)
def test_fused_path_equals_cell_loop(name, lengths):
    fused, _ = _pair(name, fused=True)
    loop = RNN(fused.cell, I, H, L, bidirectional=True, fused=False, **FUSABLE[name][1])
    loop.load_state_dict(fused.state_dict())
    x, state = _randn(B, T, I, seed=1), _initial_state(fused.cell)
    _assert_same(
        _run(lambda m, x, s: m(x, lengths, s), fused, x, state),
        _run(lambda m, x, s: m(x, lengths, s), loop, x, state),
    )


@pytest.mark.parametrize("name", [n for n, (cell, _) in FUSABLE.items() if cell != "lstm"])
def test_flipped_sequences_equal_the_packed_kernel(name):
    """With lengths, single-state cells run the kernel on padded sequences (the reverse
    direction flipped within each length): the packed kernel's outputs, final state and
    gradients, in float64, lengths unsorted."""
    layer, _ = _pair(name, fused=True)
    layer.double()
    x, state = _randn(B, T, I, seed=1, dtype=torch.float64), _initial_state(layer.cell).double()
    flipped = _run(lambda m, x, s: m(x, LENGTHS, s), layer, x, state)
    packed = _run(lambda m, x, s: m._forward_fused_packed(x, LENGTHS, (s,)), layer, x, state)
    _assert_same(flipped, packed, atol=1e-12)


def _paths(name: str) -> list[bool]:
    return [True, False] if name in FUSABLE else [False]


PATHS = [(name, fused) for name in CONFIGS for fused in _paths(name)]
PATH_IDS = [f"{name}-{'fused' if fused else 'loop'}" for name, fused in PATHS]


@pytest.mark.parametrize(("name", "fused"), PATHS, ids=PATH_IDS)
def test_each_sequence_as_if_alone_and_zero_past_its_length(name, fused):
    """Row b of a padded batch gives what the layer gives x[b, :length] on its own: the reverse
    direction starts at the last real step, the final state is the one there."""
    cell, options = CONFIGS[name]
    layer = RNN(cell, I, H, L, bidirectional=True, fused=fused, **options)
    x, state = _randn(B, T, I, seed=1), _initial_state(cell)
    outputs, final = layer(x, LENGTHS, state)
    assert outputs.shape == (B, T, 2 * H)
    for b, length in enumerate(LENGTHS.tolist()):
        alone = tuple(s[:, b : b + 1] for s in _as_tuple(state))
        out_b, final_b = layer(x[b : b + 1, :length], None, alone if cell == "lstm" else alone[0])
        torch.testing.assert_close(outputs[b : b + 1, :length], out_b, atol=1e-6, rtol=0)
        assert torch.equal(outputs[b, length:], torch.zeros(T - length, 2 * H))
        for f, f_b in zip(_as_tuple(final), _as_tuple(final_b), strict=True):
            torch.testing.assert_close(f[:, b : b + 1], f_b, atol=1e-6, rtol=0)


CELL_MODULES = {"rnn": RNNCell, "gru": GRUCell, "simple_gru": SimplifiedGRUCell, "lstm": LSTMCell}


def _unroll(cell: nn.Module, x: Tensor) -> Tensor:
    """a<1..T> (B, T, H) by calling the cell module at every step, from zeros."""
    state, outputs = None, []
    for t in range(x.shape[1]):
        state = cell(x[:, t], state)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outputs, dim=1)


@pytest.mark.parametrize("name", CONFIGS)
def test_brnn_unrolls_its_cells_forwards_and_backwards(name):
    cell, options = CONFIGS[name]
    layer = RNN(cell, I, H, bidirectional=True, fused=False, **options)
    params = layer.state_dict()
    forward, backward = (CELL_MODULES[cell](I, H, **options) for _ in range(2))
    forward.load_state_dict(
        {k.removesuffix("_l0"): v for k, v in params.items() if "_rev" not in k}
    )
    backward.load_state_dict(
        {k.removesuffix("_l0_reverse"): v for k, v in params.items() if "_rev" in k}
    )
    x = _randn(B, T, I, seed=1)
    expected = torch.cat([_unroll(forward, x), _unroll(backward, x.flip(1)).flip(1)], dim=2)
    torch.testing.assert_close(layer(x)[0], expected, atol=1e-6, rtol=0)


GRADCHECKED = ["gru-reset-before", "simple-gru", "lstm-peepholes"]


@pytest.mark.parametrize("name", GRADCHECKED)
def test_gradient_check_of_cell_loop_with_lengths(name):
    cell, options = CONFIGS[name]
    torch.manual_seed(0)
    layer = RNN(cell, 2, 2, num_layers=2, bidirectional=True, **options).double()
    lengths = torch.tensor([3, 1])

    def f(x: Tensor) -> Tensor:
        outputs, final = layer(x, lengths)
        return torch.cat([outputs.flatten(), *(s.flatten() for s in _as_tuple(final))])

    result = gradient_check(
        f, _randn(2, 3, 2, seed=1, dtype=torch.float64), params=dict(layer.named_parameters())
    )
    assert result.relative_error < GRADCHECK_TOLERANCE, result


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("name", CONFIGS)
def test_documented_shapes(name, bidirectional):
    cell, options = CONFIGS[name]
    layer = RNN(cell, I, H, L, bidirectional=bidirectional, **options)
    D, G = 1 + bidirectional, {"rnn": 1, "gru": 3, "simple_gru": 2, "lstm": 4}[cell]
    outputs, final = layer(_randn(B, T, I))
    assert outputs.shape == (B, T, D * H)
    assert isinstance(final, tuple) == (cell == "lstm")
    assert all(s.shape == (L * D, B, H) for s in _as_tuple(final))
    assert layer.weight_ih_l0.shape == (G * H, I)
    assert layer.weight_ih_l1.shape == (G * H, D * H)
    assert layer.weight_hh_l1.shape == (G * H, H)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_parameter_names_are_torchs(cell, bias):
    theirs = TORCH_LAYERS[cell](I, H, L, bias=bias, batch_first=True, bidirectional=True)
    assert list(RNN(cell, I, H, L, bidirectional=True, bias=bias).state_dict()) == list(
        theirs.state_dict()
    )


def test_peepholes_add_one_weight_per_cell():
    names = list(RNN("lstm", I, H, L, bidirectional=True, peepholes=True).state_dict())
    peepholes = ["weight_ch_l0", "weight_ch_l0_reverse", "weight_ch_l1", "weight_ch_l1_reverse"]
    assert [n for n in names if n.startswith("weight_ch")] == peepholes
    assert len(names) == 16 + 4


def test_fused_is_automatic_and_can_be_forced_off():
    assert RNN("lstm", I, H).fused and RNN("gru", I, H).fused
    assert RNN("rnn", I, H, nonlinearity="relu").fused
    assert not RNN("lstm", I, H, peepholes=True).fused
    assert not RNN("gru", I, H, reset="before").fused
    assert not RNN("simple_gru", I, H).fused
    layer = RNN("lstm", I, H)
    layer.fused = False
    assert not layer.fused
    layer.fused = None
    assert layer.fused


def test_dropout_between_layers_only_in_training():
    for fused in (True, False):
        layer = RNN("lstm", I, H, L, dropout=0.5, fused=fused)
        plain = RNN("lstm", I, H, L, fused=fused)
        plain.load_state_dict(layer.state_dict())
        x = _randn(B, T, I)
        torch.manual_seed(0)
        assert not torch.allclose(layer(x)[0], plain(x)[0])
        layer.eval()
        torch.testing.assert_close(layer(x)[0], plain(x)[0])


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="RNN: dropout=0.5 has no effect with num_layers=1"):
        RNN("gru", I, H, dropout=0.5)


def test_float64_module_runs_in_float64():
    layer = RNN("gru", I, H, fused=False).double()
    outputs, final = layer(_randn(B, T, I, dtype=torch.float64), LENGTHS)
    assert outputs.dtype == final.dtype == torch.float64


x = _randn(B, T, I)
BAD_CALLS = [
    (
        lambda: RNN("lstm", I, H)(x[0]),
        ValueError,
        r"RNN: expected input of rank 3 \(B, T, I\), got rank 2",
    ),
    (
        lambda: RNN("lstm", I, H)(x.tolist()),
        TypeError,
        "RNN: expected input to be a Tensor, got list",
    ),
    (lambda: RNN("lstm", I + 1, H)(x), ValueError, "RNN: expected input feature size 4, got 3"),
    (
        lambda: RNN("gru", I, H)(x, state=torch.zeros(2, B, H)),
        ValueError,
        r"RNN: expected state of shape \(1, 3, 4\), got \(2, 3, 4\)",
    ),
    (
        lambda: RNN("gru", I, H)(x, state=(torch.zeros(1, B, H),)),
        TypeError,
        "RNN: expected state to be a Tensor, got tuple",
    ),
    (
        lambda: RNN("lstm", I, H)(x, state=torch.zeros(1, B, H)),
        TypeError,
        r"RNN: expected lstm state to be a pair \(a, c\) of tensors, got a torch.float32 Tensor",
    ),
    (
        lambda: RNN("rnn", I, H)(x, torch.tensor([5, 2])),
        ValueError,
        r"RNN: expected lengths of shape \(3,\), got \(2,\)",
    ),
    (
        lambda: RNN("rnn", I, H)(x, torch.tensor([6, 2, 1])),
        ValueError,
        r"RNN: expected lengths in \[1, 5\], got min 1, max 6",
    ),
    (
        lambda: RNN("rnn", I, H)(x, torch.tensor([5, 0, 1])),
        ValueError,
        r"RNN: expected lengths in \[1, 5\], got min 0, max 5",
    ),
    (
        lambda: RNN("rnn", I, H)(x, torch.tensor([5.0, 2.0, 1.0])),
        TypeError,
        "RNN: expected lengths to be an integer Tensor, got a torch.float32 Tensor",
    ),
    (
        lambda: RNN("rnn", I, H)(x, [5, 2, 1]),
        TypeError,
        "RNN: expected lengths to be an integer Tensor, got list",
    ),
    (
        lambda: RNN("lstn", I, H),
        ValueError,
        "RNN: unknown cell 'lstn'; expected one of gru, lstm, rnn, simple_gru",
    ),
    (lambda: RNN(nn.LSTM, I, H), TypeError, "RNN: expected cell to be a str, got type"),
    (
        lambda: RNN("lstm", I, H, reset="after"),
        TypeError,
        "RNN: unknown option 'reset' for cell 'lstm'; expected one of bias, peepholes",
    ),
    (
        lambda: RNN("gru", I, H, reset="middle"),
        ValueError,
        "RNN: unknown reset 'middle'; expected one of after, before",
    ),
    (
        lambda: RNN("rnn", I, H, nonlinearity="sigmoid"),
        ValueError,
        "RNN: unknown nonlinearity 'sigmoid'; expected one of tanh, relu",
    ),
    (lambda: RNN("rnn", I, H, bias="yes"), TypeError, "RNN: expected bias to be a bool, got str"),
    (
        lambda: RNN("rnn", I, H, bidirectional=1),
        TypeError,
        "RNN: expected bidirectional to be a bool, got int",
    ),
    (lambda: RNN("rnn", I, H, num_layers=0), ValueError, "RNN: expected num_layers > 0, got 0"),
    (lambda: RNN("rnn", I, 4.0), TypeError, "RNN: expected hidden_size to be an int, got float"),
    (
        lambda: RNN("rnn", I, H, 2, dropout=1.5),
        ValueError,
        r"RNN: expected dropout in \[0, 1\], got 1.5",
    ),
    (
        lambda: RNN("rnn", I, H, 2, dropout="0.1"),
        TypeError,
        "RNN: expected dropout to be a float, got str",
    ),
    (
        lambda: RNN("rnn", I, H, fused="yes"),
        TypeError,
        "RNN: expected fused to be a bool or None, got str",
    ),
    (
        lambda: RNN("gru", I, H, reset="before", fused=True),
        ValueError,
        "RNN: no fused kernel for cell 'gru'",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_CALLS, ids=[m for _, _, m in BAD_CALLS])
def test_bad_input_raises_a_helpful_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
