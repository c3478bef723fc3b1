"""Typed configuration: nested dataclasses in, YAML out, ``--set a.b=c`` overrides.

A recipe is a tree of dataclasses; each field's default is declared once, beside the code that uses
it (``TrainConfig`` in the trainer, ``Seq2SeqConfig`` in the model). This module only moves plain
data (what YAML holds) in and out of such trees, strictly:

- an unknown key is an error that names its path and the closest valid key;
- a value of the wrong type is an error that names its path, the expected type and what came;
- ``Literal[...]`` fields accept only their listed choices.

Supported field types: ``bool``, ``int``, ``float`` (an int is widened; a string such as ``3e-4``,
which YAML 1.1 leaves unparsed, is read as a number), ``str``, ``Literal``, ``X | None``,
``list[X]``, ``tuple[X, ...]``, ``dict[str, X]`` and nested dataclasses.
"""

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping, Sequence
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
        item = args[0] if args else Any
        converted = [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return converted if origin is list else tuple(converted)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {str(k): _convert(args[1] if args else Any, v, f"{where}.{k}")
                for k, v in value.items()}
    return _convert_scalar(tp, value, where)


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
    return float(value) if tp is float else value


def require(condition: bool, key: str, expected: str, got: Any) -> None:
    """For a dataclass's ``__post_init__``: ``key: expected …, got …`` unless ``condition``."""
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
    """The annotation of the field at ``path`` (e.g. ``["train", "lr"]``) inside ``cls``."""
    tp: Any = cls
    for depth, key in enumerate(path):
        if not dataclasses.is_dataclass(tp):
            raise ConfigError(f"{where}: '{'.'.join(path[:depth])}' has no keys")
        names = [f.name for f in dataclasses.fields(tp)]
        if key not in names:
            raise ConfigError(f"{where}: unknown key '{key}'{_closest(key, names)}")
        tp = get_type_hints(tp)[key]
    return tp


def apply_override(cls: type, data: dict, assignment: str) -> None:
    """Apply ``a.b=value`` to the plain recipe ``data`` (in place), type-checked against ``cls``.

    The value is parsed as YAML, so ``3e-4``, ``true``, ``null`` and ``[1, 2]`` mean what they say.
    """
    where = f"--set {assignment}"
    key, sep, text = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"{where}: expected KEY=VALUE, e.g. train.lr=3e-4")
    path = key.strip().split(".")
    value = _convert(field_type(cls, path, where), yaml.safe_load(text), where)
    node = data
    for name in path[:-1]:
        if not isinstance(node.get(name), dict):
            node[name] = {}
        node = node[name]
    node[path[-1]] = to_dict(value)


def read_yaml(path: str | Path) -> dict:
    """The mapping in a YAML file; errors name the file (and the line of a syntax error)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read recipe ({error.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", error)
        raise ConfigError(f"{path}:{line} invalid YAML ({problem})") from None
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{path}: expected a mapping of recipe sections, got {kind}")
    return data


def write_yaml(path: str | Path, data: Mapping) -> None:
    """Write plain ``data`` as YAML, atomically, keys in declaration order."""
    write_text_atomic(path, yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True))
