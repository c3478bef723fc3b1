"""TrainConfig refuses what no run can mean: non-finite numbers and counts below 1."""

import math

import pytest

from seqkit.errors import ConfigError
from seqkit.train import TrainConfig


@pytest.mark.parametrize("key", ["lr", "max_time", "clip_norm"])
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_refused(key: str, value: float) -> None:
    with pytest.raises(ConfigError, match=rf"^train\.{key}: expected a finite number > 0.*, "
                       rf"got {value!r}$"):
        TrainConfig(**{key: value})


@pytest.mark.parametrize(("key", "expected"), [("accumulate", "≥ 1"),
                                               ("threads", "≥ 1 or null")])
def test_counts_below_one_are_refused(key: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=rf"^train\.{key}: expected {expected}, got 0$"):
        TrainConfig(**{key: 0})
    assert getattr(TrainConfig(**{key: 2}), key) == 2
