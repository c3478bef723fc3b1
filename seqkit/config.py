"""Typed configuration: nested dataclasses in, YAML out, ``--set a.b=c`` overrides.

A recipe is a tree of dataclasses; each field's default is declared once, beside the code that uses
it (``TrainConfig`` in the trainer, ``Seq2SeqConfig`` in the model). This module only moves plain
data (what YAML holds) in and out of such trees, strictly:

- an unknown key is an error that names its path and the closest valid key;
- a value of the wrong type is an error that names its path, the expected type and what came;
- ``Literal[...]`` fields accept only their listed choices;
- a key written twice in one YAML mapping is an error (PyYAML would keep the last silently);
- a range checked with :func:`require` also refuses nan and ±inf.

Supported field types: ``bool``, ``int``, ``float`` (an int is widened; a string such as ``3e-4``,
which YAML 1.1 leaves unparsed, is read as a number), ``str``, ``Literal``, ``X | None``,
``list[X]``, ``tuple[X, ...]``, fixed-length ``tuple[X, Y, Z]``, ``dict[str, X]`` (``--set``
may add keys to it) and nested dataclasses.
"""

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import yaml

from seqkit.errors import ConfigError
from seqkit.files import write_text_atomic

C = TypeVar("C")


def _closest(name: str, choices: Sequence[str]) -> str:
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'?" if match else f"; valid keys: {', '.join(choices)}"


def _type_name(tp: Any) -> str:
    if tp is type(None):
        return "null"
    if get_origin(tp) is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(tp: Any, value: Any, where: str) -> Any:
    """``value`` checked (and losslessly widened) against the annotation ``tp``."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(arg, value, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: expected {' or '.join(map(_type_name, args))}, got {value!r}")
    if origin is Literal:
        if value in args:
            return value
        hint = difflib.get_close_matches(str(value), [str(a) for a in args], n=1, cutoff=0.5)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(
            f"{where}: expected one of {', '.join(map(str, args))}, got {value!r}{suggestion}")
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        items = _item_types(tp, value, where)
        converted = [_convert(item, v, f"{where}[{i}]") for i, (item, v) in
                     enumerate(zip(items, value, strict=True))]
        return converted if origin is list else tuple(converted)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {str(k): _convert(args[1] if args else Any, v, f"{where}.{k}")
                for k, v in value.items()}
    return _convert_scalar(tp, value, where)


def _item_types(tp: Any, value: Sequence, where: str) -> list[Any]:
    """The annotation of each item of ``value``: ``list[X]``, ``tuple[X, ...]``, ``tuple[X, Y]``."""
    args = get_args(tp)
    if get_origin(tp) is list or not args or (len(args) == 2 and args[1] is Ellipsis):
        return [args[0] if args else Any] * len(value)
    if len(value) != len(args):  # tuple[int, int, int]: exactly three ints
        raise ConfigError(f"{where}: expected a list of {len(args)} items "
                          f"({', '.join(map(_type_name, args))}), got {len(value)}: {value!r}")
    return list(args)


def _convert_scalar(tp: Any, value: Any, where: str) -> Any:
    if tp is float and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        str: isinstance(value, str),
    }.get(tp)
    if ok is None:
        raise TypeError(f"config: unsupported field type {tp!r} at {where}")
    if not ok:
        raise ConfigError(f"{where}: expected {_type_name(tp)}, got {value!r}")
    if tp is not float:
        return value
    try:
        return float(value)
    except OverflowError:  # an int beyond the largest float, ~1.8e308
        raise ConfigError(f"{where}: expected a float, got an integer of {len(str(abs(value)))} "
                          "digits, too large for one") from None


def require(condition: bool, key: str, expected: str, got: Any) -> None:
    """For a dataclass's ``__post_init__``: ``key: expected …, got …`` unless ``condition``.

    A float ``got`` must also be finite: ``inf > 0`` holds, but no recipe means an infinite
    learning rate; and ``nan`` is refused however the condition is written (``not lr <= 0``
    would let it through).

    >>> require(math.inf > 0, "train.lr", "> 0", math.inf)
    Traceback (most recent call last):
    seqkit.errors.ConfigError: train.lr: expected a finite number > 0, got inf
    """
    if isinstance(got, float) and not math.isfinite(got):
        raise ConfigError(f"{key}: expected a finite number {expected}, got {got!r}")
    if not condition:
        raise ConfigError(f"{key}: expected {expected}, got {got!r}")


def from_dict(cls: type[C], data: Any, where: str = "") -> C:
    """Build the dataclass ``cls`` from plain data, rejecting unknown keys and wrong types.

    ``where`` is the key path used in error messages (e.g. ``"train"``).
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where or 'recipe'}: expected a mapping, got {data!r}")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    for key in data:
        if key not in names:
            path = f"{where}.{key}" if where else str(key)
            raise ConfigError(f"{path}: unknown key{_closest(str(key), names)}")
    values = {k: _convert(hints[k], v, f"{where}.{k}" if where else k) for k, v in data.items()}
    return cls(**values)


def to_dict(obj: Any) -> Any:
    """Plain data (dicts, lists, scalars) of a dataclass tree; tuples become lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def field_type(cls: type, path: Sequence[str], where: str) -> Any:
    """The annotation at ``path`` inside ``cls``: ``["train", "lr"]`` gives ``float``.

    A ``dict[str, X]`` field takes any key, whose value is an X: inside ``TrainConfig``,
    ``["optimizer_options", "beta2"]`` gives ``float``. ``X | None`` is looked into as X.
    """
    tp: Any = cls
    for depth, key in enumerate(path):
        tp = _strip_none(tp)
        if get_origin(tp) is dict:
            tp = get_args(tp)[1] if get_args(tp) else Any
            continue
        if not dataclasses.is_dataclass(tp):
            raise ConfigError(f"{where}: '{'.'.join(path[:depth])}' has no keys")
        names = [f.name for f in dataclasses.fields(tp)]
        if key not in names:
            raise ConfigError(f"{where}: unknown key '{key}'{_closest(key, names)}")
        tp = get_type_hints(tp)[key]
    return tp


def _strip_none(tp: Any) -> Any:
    """X for ``X | None``; any other annotation unchanged."""
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def apply_override(cls: type, data: dict, assignment: str) -> None:
    """Apply ``a.b=value`` to the plain recipe ``data`` (in place), type-checked against ``cls``.

    The value is parsed as YAML, so ``3e-4``, ``true``, ``null`` and ``[1, 2]`` mean what they say.
    """
    where = f"--set {assignment}"
    key, sep, text = assignment.partition("=")
    path = [name.strip() for name in key.split(".")]
    if not sep or not key.strip():
        raise ConfigError(f"{where}: expected KEY=VALUE, e.g. train.lr=3e-4")
    if "" in path:
        raise ConfigError(f"{where}: expected a dotted key such as train.lr, "
                          f"got an empty name in '{key.strip()}'")
    tp = field_type(cls, path, where)
    try:
        parsed = _load_yaml(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{where}: the value is not valid YAML ({_problem(error)})") from None
    value = _convert(tp, parsed, where)
    node = data
    for depth, name in enumerate(path[:-1]):
        if node.get(name) is None:
            node[name] = {}
        if not isinstance(node[name], dict):
            section = ".".join(path[:depth + 1])
            raise ConfigError(f"{where}: expected '{section}' to be a mapping in the recipe, "
                              f"got {node[name]!r}")
        node = node[name]
    node[path[-1]] = to_dict(value)


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader, refusing a key written twice in one mapping (PyYAML keeps the last).

    Each mapping is checked as it is constructed; a parent is constructed before its children,
    so it hands each child mapping its key path (``train``, then ``train.lr``) for the message.
    A ``<<`` merge may still supply keys that the mapping then overrides, as YAML intends.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.paths: dict[int, str] = {}  # id(MappingNode) → its key path, "" for the document

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        path = self.paths.get(id(node), "")
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # SafeLoader refuses it below: "found unhashable key"
            where = f"{path}.{key}" if path else str(key)
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{where}', first on line {first_line[key]}",
                    key_node.start_mark)
            first_line[key] = key_node.start_mark.line + 1
            self._hand_down(value_node, where)
        return super().construct_mapping(node, deep)

    def _hand_down(self, node: yaml.Node, path: str) -> None:
        """Record ``path`` for the mappings in ``node``, through lists (``a.b[0]``)."""
        if isinstance(node, yaml.MappingNode):
            self.paths.setdefault(id(node), path)  # an alias keeps its anchor's path
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._hand_down(item, f"{path}[{index}]")


def _load_yaml(text: str) -> Any:
    """The plain data (no Python objects: a SafeLoader) in ``text``; raises yaml.YAMLError."""
    return yaml.load(text, Loader=_StrictLoader)


def _problem(error: yaml.YAMLError) -> str:
    """The one-line description of a YAML error, without PyYAML's multi-line context."""
    problem = getattr(error, "problem", None)
    return str(problem) if problem else str(error).splitlines()[0]


def read_yaml(path: str | Path) -> dict:
    """The mapping in a YAML file; errors name the file (and the line of a syntax error)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read recipe ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        line = error.object.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{path}: line {line} is not UTF-8 text ({error.reason})") from None
    try:
        data = _load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{line} invalid YAML ({_problem(error)})") from None
    if not isinstance(data, dict):
        kind = "an empty file" if data is None else type(data).__name__
        raise ConfigError(f"{path}: expected a mapping of recipe sections, got {kind}")
    return data


def write_yaml(path: str | Path, data: Mapping) -> None:
    """Write plain ``data`` as YAML, atomically, keys in declaration order."""
    write_text_atomic(path, yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True))
