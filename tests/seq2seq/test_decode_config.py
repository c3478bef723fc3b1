"""DecodeConfig, the recipe's ``decode:`` section: ranges refuse nan and ±inf, naming the key."""

import dataclasses
import math

import pytest
import yaml

from seqkit.config import from_dict
from seqkit.errors import ConfigError
from seqkit.seq2seq import DecodeConfig


@pytest.mark.parametrize("name", ["alpha", "max_ratio"])
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_alpha_and_max_ratio_must_be_finite(name: str, value: float) -> None:
    with pytest.raises(ConfigError, match=rf"^decode\.{name}: expected a finite number ≥ 0, "
                                          rf"got {value!r}$"):
        DecodeConfig(**{name: value})


def test_a_command_line_override_is_checked_too() -> None:
    # `seqkit translate --alpha inf` replaces a field of the recipe's DecodeConfig
    with pytest.raises(ConfigError, match=r"decode\.alpha: expected a finite number ≥ 0, got inf"):
        dataclasses.replace(DecodeConfig(), alpha=float("inf"))


@pytest.mark.parametrize("text", [".inf", "inf", ".nan", "nan", "-.inf", "1e999"])
def test_recipe_values_read_as_non_finite_floats_are_refused(text: str) -> None:
    data = yaml.safe_load(f"max_ratio: {text}")  # YAML's .inf, or a string a float field reads
    with pytest.raises(ConfigError, match=r"decode\.max_ratio: expected a finite number ≥ 0"):
        from_dict(DecodeConfig, data, "decode")


@pytest.mark.parametrize(("settings", "message"), [
    ({"alpha": -0.5}, r"^decode\.alpha: expected ≥ 0, got -0\.5$"),
    ({"alpha": "0.7"}, r"^decode\.alpha: expected ≥ 0, got '0\.7'$"),
    ({"max_ratio": None}, r"^decode\.max_ratio: expected ≥ 0, got None$"),
    ({"beam": 0}, r"^decode\.beam: expected ≥ 1, got 0$"),
    ({"beam": 2, "n_best": 3}, r"^decode\.n_best: expected ≤ beam, got n_best=3, beam=2$"),
    ({"length_penalty": "wu"}, r"^decode\.length_penalty: unknown 'wu'; expected one of notes"),
])
def test_other_bad_values_name_their_key(settings: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DecodeConfig(**settings)


def test_finite_edge_values_are_accepted() -> None:
    config = DecodeConfig(alpha=0, max_ratio=0.0, beam=1)
    assert (config.alpha, config.max_ratio) == (0, 0.0)
    assert DecodeConfig(alpha=1e300).alpha == 1e300
