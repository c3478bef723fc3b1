import math

import pytest
import torch

from seqkit.core import init


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(
    ("shape", "gates", "expected"),
    [
        ((3, 5), 1, (5, 3)),  # dense (out, in)
        ((8, 3, 2, 5), 1, (3 * 10, 8 * 10)),  # conv (out, in, kh, kw)
        ((6, 4, 3), 1, (12, 18)),  # conv1d (out, in, k)
        ((4 * 7, 5), 4, (5, 7)),  # LSTM weight_ih (4H, I): one gate block
        ((3 * 7, 7), 3, (7, 7)),  # GRU weight_hh (3H, H)
    ],
)
def test_fans(shape, gates, expected):
    assert init.fans(torch.empty(shape), gates) == expected


@pytest.mark.parametrize("shape", [(3, 5), (8, 3, 2, 5), (6, 4, 3)])
def test_fans_agree_with_torch_without_gates(shape):
    w = torch.empty(shape)
    assert init.fans(w) == torch.nn.init._calculate_fan_in_and_fan_out(w)


def test_fans_errors():
    with pytest.raises(ValueError, match=r"fans: expected a weight of rank >= 2 .* got rank 1"):
        init.fans(torch.empty(4))
    with pytest.raises(
        ValueError, match=r"fans: expected dimension 0 \(10\) to be a multiple of gates=4"
    ):
        init.fans(torch.empty(10, 3), gates=4)


# (seqkit, torch.nn.init call with the same distribution and scale)
SAME_AS_TORCH = [
    ("xavier_normal", init.xavier_normal_, torch.nn.init.xavier_normal_),
    ("xavier_uniform", init.xavier_uniform_, torch.nn.init.xavier_uniform_),
    (
        "he_normal",
        init.he_normal_,
        lambda w, generator: torch.nn.init.kaiming_normal_(
            w, nonlinearity="relu", generator=generator
        ),
    ),
    (
        "he_uniform",
        init.he_uniform_,
        lambda w, generator: torch.nn.init.kaiming_uniform_(
            w, nonlinearity="relu", generator=generator
        ),
    ),
    (
        "lecun_normal",
        init.lecun_normal_,
        lambda w, generator: torch.nn.init.kaiming_normal_(
            w, nonlinearity="linear", generator=generator
        ),
    ),
    (
        "lecun_uniform",
        init.lecun_uniform_,
        lambda w, generator: torch.nn.init.kaiming_uniform_(
            w, nonlinearity="linear", generator=generator
        ),
    ),
]


@pytest.mark.parametrize(
    ("name", "ours", "oracle"), SAME_AS_TORCH, ids=[s[0] for s in SAME_AS_TORCH]
)
def test_same_draws_as_torch_nn_init(name, ours, oracle):
    # torch.nn.init's xavier gain=1 and kaiming(relu: gain √2, linear: gain 1) give the same
    # std/limit formulas, so with the same generator state the draws agree.
    for shape in [(7, 5), (4, 3, 3, 3)]:
        ours_w = ours(torch.empty(shape, dtype=torch.float64), generator=_gen())
        torch_w = oracle(torch.empty(shape, dtype=torch.float64), generator=_gen())
        torch.testing.assert_close(ours_w, torch_w, rtol=1e-12, atol=0)


# (initialiser, expected std of N or limit of U) for a (300, 500) dense weight and a gated one
FAN_IN, FAN_OUT = 500, 300
SCALES = [
    (init.xavier_normal_, "normal", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (init.xavier_uniform_, "uniform", math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (init.he_normal_, "normal", math.sqrt(2 / FAN_IN)),
    (init.he_uniform_, "uniform", math.sqrt(6 / FAN_IN)),
    (init.lecun_normal_, "normal", math.sqrt(1 / FAN_IN)),
    (init.lecun_uniform_, "uniform", math.sqrt(3 / FAN_IN)),
]


@pytest.mark.parametrize(("fn", "kind", "scale"), SCALES, ids=[s[0].__name__ for s in SCALES])
@pytest.mark.parametrize("gates", [1, 4])
def test_statistics_on_a_large_tensor(fn, kind, scale, gates):
    # with gates=4 the weight is (4·300, 500) but each block has the fans of (300, 500)
    w = fn(torch.empty(gates * FAN_OUT, FAN_IN), gates=gates, generator=_gen())
    assert abs(float(w.mean())) < 0.01 * scale
    if kind == "normal":
        assert float(w.std()) == pytest.approx(scale, rel=0.01)
    else:
        assert float(w.abs().max()) <= scale
        assert float(w.abs().max()) == pytest.approx(scale, rel=0.001)
        assert float(w.std()) == pytest.approx(scale / math.sqrt(3), rel=0.01)  # U: limit²/3


def test_zeros_constant_small_random():
    w = torch.empty(200, 300)
    assert init.zeros_(w) is w and not w.any()
    assert (init.constant_(w, 0.5) == 0.5).all()
    init.small_random_(w, generator=_gen())
    assert float(w.std()) == pytest.approx(0.01, rel=0.01)
    torch.testing.assert_close(w, torch.randn(200, 300, generator=_gen()) * 0.01)


def test_generator_makes_draws_reproducible_and_does_not_touch_global_seed():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = init.xavier_uniform_(torch.empty(4, 4), generator=_gen(7))
    b = init.xavier_uniform_(torch.empty(4, 4), generator=_gen(7))
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(torch.rand(1), expected_next)


def test_in_place_on_parameters_without_autograd_error():
    p = torch.nn.Parameter(torch.empty(3, 4))
    for name in init.INITIALISERS:
        assert init.initialise_(p, name, generator=_gen()) is p
        assert p.requires_grad


def test_initialise_by_name_matches_the_function():
    a = init.initialise_(torch.empty(12, 5), "he_normal", gates=3, generator=_gen())
    b = init.he_normal_(torch.empty(12, 5), gates=3, generator=_gen())
    torch.testing.assert_close(a, b)


def test_unknown_initialiser_lists_choices():
    with pytest.raises(
        ValueError, match=r"initialise_: unknown initialiser 'glorot'; choose from \['zeros'"
    ):
        init.initialise_(torch.empty(2, 2), "glorot")
