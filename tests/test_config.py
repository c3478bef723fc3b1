"""Recipes as typed dataclasses: strict loading, --set overrides, YAML round trip."""

import doctest
from dataclasses import dataclass, field
from typing import Literal

import pytest

import seqkit.config
from seqkit.config import apply_override, from_dict, read_yaml, require, to_dict, write_yaml
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
    ({"inner": {"lr": -10**400}}, r"inner\.lr: expected a float, got an integer of 401 digits, "
                                  r"too large for one$"),
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


@pytest.mark.parametrize(("text", "message"), [
    ("inner:\n  lr: 0.1\n  steps: 3\n  lr: 0.2\n",
     r"r\.yaml: line 4 invalid YAML \(duplicate key 'inner\.lr', first on line 2\)$"),
    ("name: a\nflag: true\nname: b\n", r"r\.yaml: line 3 .*duplicate key 'name', first on line 1"),
    ("runs:\n  - {lr: 1}\n  - lr: 1\n    lr: 2\n",
     r"r\.yaml: line 4 .*duplicate key 'runs\[1\]\.lr', first on line 3"),
    ("inner: {kind: sgd, kind: adam}\n", r"line 1 .*duplicate key 'inner\.kind'"),
], ids=["nested", "top-level", "inside-a-list", "flow-mapping"])
def test_read_yaml_refuses_duplicate_keys_naming_path_and_lines(tmp_path, text, message) -> None:
    (tmp_path / "r.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_yaml(tmp_path / "r.yaml")


def test_read_yaml_lets_a_merge_key_be_overridden(tmp_path) -> None:
    # `<<: *base` then `lr: 3` is how YAML overrides a merged key, not a duplicate
    (tmp_path / "r.yaml").write_text("base: &b {lr: 1, steps: 2}\ninner:\n  <<: *b\n  lr: 3\n")
    assert read_yaml(tmp_path / "r.yaml")["inner"] == {"lr": 3, "steps": 2}


@pytest.mark.parametrize(("data", "message"), [
    (b"name: caf\xe9\n", r"r\.yaml: line 1 is not UTF-8 text \(invalid continuation byte\)$"),
    (b"a: 1\nb: \x07\n", r"r\.yaml: invalid YAML \(unacceptable character #x0007: special"),
    (b"", r"r\.yaml: expected a mapping of recipe sections, got an empty file$"),
    (b"? [a]\n: 1\n", r"r\.yaml: line 1 invalid YAML \(found unhashable key\)$"),
], ids=["latin-1", "control-character", "empty", "unhashable-key"])
def test_read_yaml_refuses_bad_files_in_one_line(tmp_path, data: bytes, message: str) -> None:
    (tmp_path / "r.yaml").write_bytes(data)
    with pytest.raises(ConfigError, match=message) as error:
        read_yaml(tmp_path / "r.yaml")
    assert "\n" not in str(error.value)


def test_read_yaml_refuses_a_directory(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r": cannot read recipe \(Is a directory\)$"):
        read_yaml(tmp_path)


@dataclass
class Options:
    betas: dict[str, float] = field(default_factory=dict)
    groups: dict[str, dict[str, int]] = field(default_factory=dict)
    maybe: dict[str, float] | None = None
    inner: Inner | None = None


def test_override_adds_typed_keys_to_dict_fields_at_any_depth() -> None:
    data: dict = {"betas": {"beta1": 0.8}}
    apply_override(Options, data, "betas.beta2=0.98")
    apply_override(Options, data, "groups.encoder.layers=2")
    apply_override(Options, data, "maybe.eps=1")
    apply_override(Options, data, "inner.options.beta2=0.5")  # a dict inside X | None
    assert from_dict(Options, data) == Options(
        betas={"beta1": 0.8, "beta2": 0.98}, groups={"encoder": {"layers": 2}},
        maybe={"eps": 1.0}, inner=Inner(options={"beta2": 0.5}))


@pytest.mark.parametrize(("assignment", "message"), [
    ("betas.beta2=fast", r"--set betas\.beta2=fast: expected float, got 'fast'$"),
    ("groups.encoder.layers=1.5", r"--set groups\.encoder\.layers=1\.5: expected int, got 1\.5"),
    ("groups.encoder=3", r"--set groups\.encoder=3: expected a mapping, got 3"),
    ("betas.beta2.x=1", r"'betas\.beta2' has no keys"),
    ("betas..x=1", r"--set betas\.\.x=1: expected a dotted key such as train\.lr, got an empty "
                   r"name in 'betas\.\.x'"),
    (".betas=1", r"got an empty name in '\.betas'"),
    ("betas.=1", r"got an empty name in 'betas\.'"),
    ("betas.b=[1,", r"--set betas\.b=\[1,: the value is not valid YAML \(expected the node"),
    ("betas.b=a: b: c", r"not valid YAML \(mapping values are not allowed here\)$"),
    ("groups={a: {x: 1}, a: {x: 2}}", r"not valid YAML \(duplicate key 'a', first on line 1\)$"),
])
def test_override_errors_in_dicts_and_keys(assignment: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_override(Options, {}, assignment)


def test_override_refuses_to_descend_into_a_recipe_value_that_is_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"--set inner\.lr=1: expected 'inner' to be a mapping "
                                          r"in the recipe, got 3"):
        apply_override(Outer, {"inner": 3}, "inner.lr=1")
    data: dict = {"inner": None}  # `inner:` with every key commented out
    apply_override(Outer, data, "inner.lr=1")
    assert data == {"inner": {"lr": 1.0}}


@dataclass
class Shapes:
    kernel: tuple[int, int, int] = (3, 3, 1)
    mixed: tuple[str, float] = ("a", 1.0)
    sizes: tuple[int, ...] = ()


def test_fixed_length_tuples_convert_each_item_by_its_type() -> None:
    shapes = from_dict(Shapes, {"kernel": [5, 5, 2], "mixed": ["b", 2], "sizes": [1, 2, 3, 4]})
    assert shapes == Shapes(kernel=(5, 5, 2), mixed=("b", 2.0), sizes=(1, 2, 3, 4))
    assert isinstance(shapes.mixed[1], float)


@pytest.mark.parametrize(("data", "message"), [
    ({"kernel": [5, 5]}, r"kernel: expected a list of 3 items \(int, int, int\), got 2: \[5, 5\]$"),
    ({"kernel": [1, 2, 3, 4]}, r"kernel: expected a list of 3 items .*, got 4: \[1, 2, 3, 4\]"),
    ({"kernel": [1, "x", 3]}, r"kernel\[1\]: expected int, got 'x'"),
    ({"mixed": [1.0, "a"]}, r"mixed\[0\]: expected str, got 1\.0"),
    ({"kernel": 3}, r"kernel: expected a list, got 3"),
])
def test_fixed_length_tuples_check_length_and_item_types(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(Shapes, data)


@dataclass
class Ranged:
    lr: float = 1e-3
    clip: float | None = None

    def __post_init__(self) -> None:
        require(self.lr > 0, "train.lr", "> 0", self.lr)
        require(self.clip is None or self.clip > 0, "train.clip", "> 0 or null", self.clip)


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("lr: .inf", r"train\.lr: expected a finite number > 0, got inf$"),
    ("lr: .nan", r"train\.lr: expected a finite number > 0, got nan$"),
    ("lr: inf", r"train\.lr: expected a finite number > 0, got inf$"),  # the string "inf"
    ("lr: nan", r"train\.lr: expected a finite number > 0, got nan$"),
    ("lr: 1e999", r"train\.lr: expected a finite number > 0, got inf$"),  # overflows to inf
    ("clip: -.inf", r"train\.clip: expected a finite number > 0 or null, got -inf$"),
    ("lr: -1", r"train\.lr: expected > 0, got -1\.0$"),
])
def test_range_checks_refuse_non_finite_numbers(tmp_path, yaml_text: str, message: str) -> None:
    (tmp_path / "r.yaml").write_text(yaml_text + "\n")
    with pytest.raises(ConfigError, match=message):
        from_dict(Ranged, read_yaml(tmp_path / "r.yaml"))


def test_override_with_inf_is_refused_by_the_range_check() -> None:
    data: dict = {}
    apply_override(Ranged, data, "lr=inf")  # a float, as the user wrote it ...
    with pytest.raises(ConfigError, match=r"train\.lr: expected a finite number > 0, got inf"):
        from_dict(Ranged, data)  # ... refused where its range is checked


def test_module_docstrings_run() -> None:
    result = doctest.testmod(seqkit.config)
    assert (result.failed, result.attempted > 0) == (0, True)
