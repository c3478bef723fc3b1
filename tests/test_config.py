"""Recipes as typed dataclasses: strict loading, --set overrides, YAML round trip."""

from dataclasses import dataclass, field
from typing import Literal

import pytest

from seqkit.config import apply_override, from_dict, read_yaml, to_dict, write_yaml
from seqkit.errors import ConfigError


@dataclass
class Inner:
    lr: float = 1e-3
    steps: int | None = None
    kind: Literal["adam", "sgd"] = "adam"
    sizes: list[int] = field(default_factory=lambda: [1, 2])
    options: dict[str, float] = field(default_factory=dict)


@dataclass
class Outer:
    name: str = "x"
    flag: bool = False
    inner: Inner = field(default_factory=Inner)


def test_from_dict_fills_defaults_and_nested() -> None:
    recipe = from_dict(Outer, {"name": "y", "inner": {"lr": 2, "steps": 5}})
    assert recipe == Outer(name="y", inner=Inner(lr=2.0, steps=5))
    assert isinstance(recipe.inner.lr, float)


def test_yaml_exponent_string_reads_as_float() -> None:
    # PyYAML (YAML 1.1) leaves "3e-4" a string; a float field reads it as the number it is.
    assert from_dict(Inner, {"lr": "3e-4"}).lr == pytest.approx(3e-4)


@pytest.mark.parametrize(("data", "message"), [
    ({"inner": {"lrr": 1.0}}, r"inner\.lrr: unknown key; did you mean 'lr'\?"),
    ({"nmae": "z"}, r"nmae: unknown key; did you mean 'name'\?"),
    ({"inner": {"steps": "many"}}, r"inner\.steps: expected int or null, got 'many'"),
    ({"inner": {"steps": True}}, r"inner\.steps: expected int"),
    ({"flag": "yes"}, r"flag: expected bool, got 'yes'"),
    ({"inner": {"kind": "adm"}}, r"inner\.kind: expected one of adam, sgd, got 'adm'; did you"),
    ({"inner": {"sizes": [1, "a"]}}, r"inner\.sizes\[1\]: expected int"),
    ({"inner": 3}, r"inner: expected a mapping, got 3"),
])
def test_from_dict_rejects_with_key_path(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(Outer, data)


def test_to_dict_round_trip() -> None:
    recipe = Outer(name="q", inner=Inner(sizes=[3], options={"a": 0.5}))
    assert from_dict(Outer, to_dict(recipe)) == recipe


def test_override_is_parsed_and_type_checked() -> None:
    data: dict = {"inner": {"lr": 0.1}}
    apply_override(Outer, data, "inner.lr=3e-4")
    apply_override(Outer, data, "inner.steps=null")
    apply_override(Outer, data, "flag=true")
    apply_override(Outer, data, "inner.sizes=[4, 5]")
    assert from_dict(Outer, data) == Outer(flag=True, inner=Inner(lr=3e-4, sizes=[4, 5]))


@pytest.mark.parametrize(("assignment", "message"), [
    ("inner.lr=fast", r"--set inner\.lr=fast: expected float, got 'fast'"),
    ("inner.lrr=1", r"--set inner\.lrr=1: unknown key 'lrr'; did you mean 'lr'\?"),
    ("inner.lr", r"expected KEY=VALUE"),
    ("name.sub=1", r"'name' has no keys"),
])
def test_override_errors_name_the_assignment(assignment: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_override(Outer, {}, assignment)


def test_yaml_round_trip_and_errors(tmp_path) -> None:
    path = tmp_path / "r.yaml"
    write_yaml(path, to_dict(Outer(name="é")))
    assert from_dict(Outer, read_yaml(path)) == Outer(name="é")
    (tmp_path / "bad.yaml").write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: line \d+ invalid YAML"):
        read_yaml(tmp_path / "bad.yaml")
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read recipe"):
        read_yaml(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(ConfigError, match=r"list\.yaml: expected a mapping"):
        read_yaml(tmp_path / "list.yaml")
