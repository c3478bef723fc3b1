import io

import pytest
import torch
from torch.optim.lr_scheduler import ExponentialLR, LinearLR, StepLR

from seqkit.core import schedules
from seqkit.core.schedules import (
    Constant,
    Exponential,
    InverseSqrt,
    InverseTime,
    Staircase,
    make_schedule,
    schedule,
)

ALPHA0 = 0.2


def _optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=ALPHA0)


def _lrs(scheduler: torch.optim.lr_scheduler.LRScheduler, steps: int = 12) -> list[float]:
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.optimizer.step()
        scheduler.step()
    return lrs


def test_inverse_time():
    # α = α0 / (1 + decay_rate·t): 0.2, 0.2/2, 0.2/3, 0.2/4, 0.2/5 for decay_rate 1
    s = InverseTime(decay_rate=1.0)
    expected = [0.2, 0.1, 0.2 / 3, 0.05, 0.04]
    assert [ALPHA0 * s(t) for t in range(5)] == pytest.approx(expected, rel=1e-15)
    assert InverseTime(decay_rate=0.5)(4) == pytest.approx(1 / 3)


def test_exponential_equals_torch_exponential_lr():
    ours = _lrs(make_schedule("exponential", _optimizer(), base=0.95))
    oracle = _lrs(ExponentialLR(_optimizer(), gamma=0.95))
    assert ours == pytest.approx(oracle, rel=1e-12)
    assert Exponential()(2) == pytest.approx(0.95**2)  # the notes' base is the default


def test_inverse_sqrt():
    # α = k/√t·α0, t = 0 read as 1
    s = InverseSqrt(k=0.5)
    assert [s(t) for t in (0, 1, 4, 9, 100)] == pytest.approx([0.5, 0.5, 0.25, 0.5 / 3, 0.05])


def test_staircase_equals_torch_step_lr():
    ours = _lrs(make_schedule("staircase", _optimizer(), step_size=3, gamma=0.5))
    oracle = _lrs(StepLR(_optimizer(), step_size=3, gamma=0.5))
    assert ours == pytest.approx(oracle, rel=1e-12)
    assert [Staircase(step_size=3, gamma=0.5)(t) for t in range(7)] == [
        1,
        1,
        1,
        0.5,
        0.5,
        0.5,
        0.25,
    ]


def test_linear_warmup_equals_torch_linear_lr_then_stays():
    W = 4
    ours = _lrs(make_schedule("constant", _optimizer(), warmup_steps=W))
    oracle = _lrs(LinearLR(_optimizer(), start_factor=1 / W, total_iters=W - 1))
    assert ours == pytest.approx(oracle, rel=1e-12)
    assert ours[W - 1 :] == pytest.approx([ALPHA0] * (len(ours) - W + 1))


@pytest.mark.parametrize("name", sorted(schedules.SCHEDULES))
def test_warmup_multiplies_any_schedule(name):
    plain, warm = schedule(name), schedule(name, warmup_steps=3)
    for t in range(8):
        assert warm(t) == pytest.approx(min(1.0, (t + 1) / 3) * plain(t))


def test_constant_is_one():
    assert [Constant()(t) for t in range(3)] == [1.0, 1.0, 1.0]


def test_make_schedule_sets_the_optimizer_lr():
    scheduler = make_schedule("inverse_time", _optimizer(), decay_rate=1.0, warmup_steps=2)
    assert isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR)
    # t = 0: warm-up 1/2 of 0.2; t = 1: 0.2/2; t = 2: 0.2/3
    assert _lrs(scheduler, 3) == pytest.approx([0.1, 0.1, 0.2 / 3])


def test_state_dict_round_trip_with_weights_only_load():
    first = make_schedule("exponential", _optimizer(), base=0.9, warmup_steps=3)
    _lrs(first, 5)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    assert state["lr_lambdas"] == [{"warmup_steps": 3, "base": 0.9}]
    optimizer = _optimizer()
    resumed = make_schedule("exponential", optimizer, base=0.9, warmup_steps=3)
    resumed.load_state_dict(state)
    optimizer.param_groups[0]["lr"] = resumed.get_last_lr()[0]  # as the optimizer's state would
    uninterrupted = _lrs(make_schedule("exponential", _optimizer(), base=0.9, warmup_steps=3), 10)
    assert _lrs(resumed, 5) == pytest.approx(uninterrupted[5:])


def test_unknown_name_lists_choices():
    with pytest.raises(
        ValueError,
        match=r"schedule: unknown schedule 'cosine'; choose from \['constant', 'inverse_time'",
    ):
        make_schedule("cosine", _optimizer())


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(
        TypeError,
        match=r"schedule: 'exponential' takes parameters \['warmup_steps', 'base'\], "
        r"got unknown \['gamma'\]",
    ):
        make_schedule("exponential", _optimizer(), gamma=0.9)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: InverseTime(decay_rate=-1), r"InverseTime: expected decay_rate >= 0, got -1"),
        (lambda: Exponential(base=1.5), r"Exponential: expected 0 < base <= 1, got 1.5"),
        (lambda: InverseSqrt(k=0), r"InverseSqrt: expected k > 0, got 0"),
        (lambda: Staircase(step_size=0), r"Staircase: expected step_size >= 1, got 0"),
        (lambda: Constant(warmup_steps=-2), r"Constant: expected warmup_steps >= 0, got -2"),
    ],
)
def test_bad_parameters_name_the_schedule(make, message):
    with pytest.raises(ValueError, match=message):
        make()
