"""Learning-rate decay (notes: "Learning rate decay: slowly decaying α"), with linear warm-up.

A schedule is a callable t ↦ α(t)/α0, the learning rate at step (or epoch) t = 0, 1, 2, … for an
initial rate α0 = 1; multiply by α0 for α(t). That multiplier is what
``torch.optim.lr_scheduler.LambdaLR`` expects, and because every schedule keeps only numbers in
its ``__dict__``, the scheduler's ``state_dict`` saves and loads with ``weights_only=True``.

| name           | α(t) / α0                           |
| -------------- | ----------------------------------- |
| ``constant``     | 1                                   |
| ``inverse_time`` | 1 / (1 + decay_rate·t)              |
| ``exponential``  | base^t (base 0.95 in the notes)     |
| ``inverse_sqrt`` | k / √t  (k / √1 at t = 0)           |
| ``staircase``    | gamma^⌊t / step_size⌋ (discrete)    |

Linear warm-up over ``warmup_steps`` W multiplies any of them by min(1, (t + 1)/W), reaching the
full rate at t = W − 1; W = 0 means no warm-up.

Note:
    The notes count t = epoch-num from 1; LambdaLR counts from 0 (the steps taken so far), which
    is the t used here, so α(0) = α0. k/√t has no value at t = 0, where ``inverse_sqrt`` uses
    k/√1.
"""

import dataclasses
import math
from dataclasses import dataclass

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


@dataclass(frozen=True, kw_only=True)
class Constant:
    """α(t) = α0, times the warm-up factor. The base class of the other schedules."""

    warmup_steps: int = 0  # linear warm-up length W; 0 for none

    def __post_init__(self) -> None:
        if self.warmup_steps < 0:
            raise ValueError(
                f"{type(self).__name__}: expected warmup_steps >= 0, got {self.warmup_steps}"
            )

    def __call__(self, t: int) -> float:
        """α(t)/α0 at step t ≥ 0."""
        warm = min(1.0, (t + 1) / self.warmup_steps) if self.warmup_steps else 1.0
        return warm * self.decay(t)

    def decay(self, t: int) -> float:
        """α(t)/α0 without warm-up."""
        return 1.0

    def _require(self, name: str, ok: bool, expected: str) -> None:
        if not ok:
            raise ValueError(
                f"{type(self).__name__}: expected {expected}, got {getattr(self, name)}"
            )


@dataclass(frozen=True, kw_only=True)
class InverseTime(Constant):
    """α = α0 / (1 + decay_rate·t)."""

    decay_rate: float = 1.0  # the notes' decay-rate

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require("decay_rate", self.decay_rate >= 0, "decay_rate >= 0")

    def decay(self, t: int) -> float:
        return 1.0 / (1.0 + self.decay_rate * t)


@dataclass(frozen=True, kw_only=True)
class Exponential(Constant):
    """α = base^t·α0 (exponential decay, base 0.95 in the notes)."""

    base: float = 0.95  # factor per step or epoch

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require("base", 0 < self.base <= 1, "0 < base <= 1")

    def decay(self, t: int) -> float:
        return self.base**t


@dataclass(frozen=True, kw_only=True)
class InverseSqrt(Constant):
    """α = k/√t·α0, with t = 0 read as t = 1."""

    k: float = 1.0  # the notes' constant k

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require("k", self.k > 0, "k > 0")

    def decay(self, t: int) -> float:
        return self.k / math.sqrt(max(t, 1))


@dataclass(frozen=True, kw_only=True)
class Staircase(Constant):
    """α = gamma^⌊t / step_size⌋·α0: constant for step_size steps, then multiplied by gamma."""

    step_size: int = 1  # steps (or epochs) per stair
    gamma: float = 0.5  # factor at each stair

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require("step_size", self.step_size >= 1, "step_size >= 1")
        self._require("gamma", 0 < self.gamma <= 1, "0 < gamma <= 1")

    def decay(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)


SCHEDULES: dict[str, type[Constant]] = {
    "constant": Constant,
    "inverse_time": InverseTime,
    "exponential": Exponential,
    "inverse_sqrt": InverseSqrt,
    "staircase": Staircase,
}


def schedule(name: str, **params: float) -> Constant:
    """The schedule called ``name`` (a key of ``SCHEDULES``) with its parameters, warmup_steps."""
    if name not in SCHEDULES:
        raise ValueError(f"schedule: unknown schedule {name!r}; choose from {list(SCHEDULES)}")
    cls = SCHEDULES[name]
    valid = [field.name for field in dataclasses.fields(cls)]
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise TypeError(f"schedule: {name!r} takes parameters {valid}, got unknown {unknown}")
    return cls(**params)  # type: ignore[arg-type]


def make_schedule(name: str, optimizer: Optimizer, **params: float) -> LambdaLR:
    """A LambdaLR over ``optimizer`` following :func:`schedule` ``(name, **params)``.

    Example: ``make_schedule("exponential", opt, base=0.95, warmup_steps=100)``;
    call ``.step()`` once per step or per epoch, whichever t should count.
    """
    return LambdaLR(optimizer, schedule(name, **params))
