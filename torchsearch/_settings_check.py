"""Checks a composed configuration against its schema (:mod:`torchsearch._schema`): the
keys that exist, each value's type, and the choices and ranges the fields' metadata
declare. Light (nothing heavy is imported), so the command refuses a wrong setting in a
second or two with one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch._schema import DATA_SCHEMAS
from torchsearch._schema import TorchSearchSchema

__all__ = ["MISSING", "check_given", "check_settings", "expected", "type_error", "unknown_key"]

MISSING = "???"
"""OmegaConf's mark of a value a config requires and does not give (``path: ???``)."""

_NOT_SETTINGS = ("hydra",)
"""Keys of the root config that are Hydra's, not torchsearch's."""


def check_settings(config: Mapping[str, Any]) -> None:
    """Checks the resolved config (plain containers) against the schema.

    Raises:
        ConfigError: one line for the first key that is missing a required value, does
            not exist, or holds a value of the wrong type, choice or range.
    """
    check_given(config)
    _check_section(TorchSearchSchema, config, "")
    data = config.get("data")
    schema = DATA_SCHEMAS.get(str(data.get("name"))) if isinstance(data, Mapping) else None
    if schema is not None:
        assert isinstance(data, Mapping)
        _check_section(schema, data, "data.")


def check_given(config: Mapping[str, Any], prefix: str = "") -> None:
    """Checks that no required value is left out (e.g. ``data=csv`` without its path).

    Raises:
        ConfigError: naming the first such key and how to give it.
    """
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if value == MISSING:
            raise ConfigError(f"{dotted} must be given: add {dotted}=... to the command.")
        if isinstance(value, Mapping) and key not in _NOT_SETTINGS:
            check_given(value, f"{dotted}.")


def unknown_key(key: str, schema: type | None = None, *, data: str = "") -> ConfigError:
    """The error for a key that is not a setting, with the closest one as the fix.

    Args:
        key: the dotted key.
        schema: the schema of its section; looked up from the key when not given.
        data: the chosen data set, whose schema holds the ``data.*`` keys.
    """
    parent, _, last = key.rpartition(".")
    if key == "data.task" and data:
        return ConfigError(
            f"data={data} has class labels only, so data.task is not a setting of it; to "
            "predict a number, use data=csv or data=npz with data.task=regression, or the "
            "bundled regression set data=diabetes."
        )
    if schema is None:
        schema = DATA_SCHEMAS.get(data) if parent == "data" else _schema_at(parent)
    where = f"data={data}" if parent == "data" and data else parent or "the root"
    known = list(_fields(schema)) if schema is not None else []
    close = difflib.get_close_matches(last, known, n=1)
    if close:
        fix = f"did you mean {parent + '.' if parent else ''}{close[0]}?"
    elif known:
        fix = f"{where} has {', '.join(known)}."
    else:
        fix = "see torchsearch --help."
    return ConfigError(f"{key} is not a setting of {where}; {fix}")


def type_error(key: str, given: str) -> ConfigError:
    """The error for a value of the wrong type at ``key``, given as the text ``given`` on
    the command line, with an example of the right one."""
    parent, _, last = key.rpartition(".")
    schema = _schema_at(parent)
    if schema is None or last not in _fields(schema):
        return ConfigError(f"{key}={given} has the wrong type.")
    return _wrong_type(key, given, _hints(schema)[last], _fields(schema)[last])


def _wrong_type(key: str, shown: str, kind: Any, spec: dataclasses.Field[Any]) -> ConfigError:
    """``key=shown`` is not of type ``kind``: one line with what is and an example."""
    return ConfigError(f"{key}={shown} is not {expected(kind)}; e.g. {key}={_example(spec)}.")


def expected(kind: Any) -> str:
    """What values of type ``kind`` look like, in words."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Union:
        inner = [a for a in args if a is not type(None)]
        return f"{expected(inner[0])} or null" if len(inner) == 1 else "a value"
    if origin in (list, typing.List):  # noqa: UP006
        return "a list" + (f" of {_plural(args[0])}" if args and args[0] is not Any else "")
    if origin in (dict, typing.Dict):  # noqa: UP006
        return "a mapping"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a text"}.get(
        kind, "a value"
    )


def _plural(kind: Any) -> str:
    return {int: "integers", float: "numbers", str: "names"}.get(kind, "values")


def _check_section(schema: type, node: Any, prefix: str) -> None:
    where = prefix.rstrip(".")
    if not isinstance(node, Mapping):
        raise ConfigError(f"{where} must be a group of settings, got {node!r}.")
    fields = _fields(schema)
    for key in node:
        if key not in fields and not (prefix == "" and key in _NOT_SETTINGS):
            raise unknown_key(f"{prefix}{key}", schema)
    hints = _hints(schema)
    for name, spec in fields.items():
        if name not in node:
            continue
        kind, value, key = hints[name], node[name], f"{prefix}{name}"
        if dataclasses.is_dataclass(kind):
            _check_section(kind, value, f"{key}.")
            continue
        if not _has_type(value, kind):
            raise _wrong_type(key, repr(value), kind, spec)
        _check_value(key, value, spec, nullable=_has_type(None, kind))


def _has_type(value: Any, kind: Any) -> bool:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return True
    if origin is typing.Union:
        return any(_has_type(value, a) for a in args)
    if kind is type(None):
        return value is None
    if origin in (list, typing.List):  # noqa: UP006
        item = args[0] if args else Any
        return isinstance(value, (list, tuple)) and all(_has_type(v, item) for v in value)
    if origin in (dict, typing.Dict):  # noqa: UP006
        return isinstance(value, Mapping)
    if isinstance(value, bool):
        return kind is bool
    if kind is int:
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    if kind is str:
        return isinstance(value, (str, int, float))  # OmegaConf reads 5 as "5" there too
    return isinstance(value, kind)


def _check_value(key: str, value: Any, spec: dataclasses.Field[Any], *, nullable: bool) -> None:
    rules = spec.metadata
    if value is None or not rules:
        return
    if "choices" in rules:
        if _is_choice(value, rules["choices"], text=rules.get("text", False)):
            return
        if not (rules.get("also_int") and _is_int(value)):
            allowed = ", ".join(_text(c) for c in rules["choices"])
            also = " or a whole number" if rules.get("also_int") else ""
            raise ConfigError(f"{key}={value!r} is not one of {allowed}{also}.")
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if "each" in rules:
        for item in items:
            if item not in rules["each"]:
                raise ConfigError(
                    f"{key} lists {item!r}, which is not one of {', '.join(rules['each'])}."
                )
        if len(set(items)) < len(items):
            raise ConfigError(f"{key} lists a name twice: {value!r}.")
    if rules.get("pair") and (len(items) != 2 or items[0] > items[1]):
        raise ConfigError(f"{key} must be [low, high] with low <= high, got {value!r}.")
    bounds = _bounds(rules)
    if bounds and not all(_within(item, rules) for item in items):
        null = " or null" if nullable else ""
        raise ConfigError(
            f"{key} must be {bounds}{null}, got {value!r}; e.g. {key}={_example(spec)}."
        )


def _text(choice: Any) -> str:
    return str(choice).lower() if isinstance(choice, bool) else str(choice)


def _is_choice(value: Any, choices: tuple[Any, ...], *, text: bool) -> bool:
    if text:
        return not isinstance(value, bool) and str(value) in choices
    return any(value == c and isinstance(value, bool) == isinstance(c, bool) for c in choices)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _within(value: Any, rules: Mapping[str, Any]) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True  # a choice, checked above
    checks = (
        ("least", lambda v, b: v >= b),
        ("above", lambda v, b: v > b),
        ("most", lambda v, b: v <= b),
        ("below", lambda v, b: v < b),
    )
    return all(rule not in rules or holds(value, rules[rule]) for rule, holds in checks)


def _bounds(rules: Mapping[str, Any]) -> str:
    words = {"least": "at least", "above": "more than", "most": "at most", "below": "less than"}
    parts = [f"{word} {rules[rule]:g}" for rule, word in words.items() if rule in rules]
    return " and ".join("positive" if part == "more than 0" else part for part in parts)


def _example(spec: dataclasses.Field[Any]) -> str:
    default = spec.default
    if "example" in spec.metadata:
        return str(spec.metadata["example"])
    if default is dataclasses.MISSING and spec.default_factory is not dataclasses.MISSING:
        default = spec.default_factory()
    if default is None:
        for rule in ("least", "above"):
            if rule in spec.metadata:
                return f"{spec.metadata[rule] + (rule == 'above'):g}"
        return "null"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, list):
        return "[" + ",".join(str(v) for v in default) + "]"
    return str(default)


def _schema_at(dotted: str) -> type | None:
    """The schema dataclass of the section at ``dotted`` ("" for the root)."""
    schema: Any = TorchSearchSchema
    for part in filter(None, dotted.split(".")):
        if part not in _fields(schema):
            return None
        schema = _hints(schema)[part]
        if not dataclasses.is_dataclass(schema):
            return None
    return schema


@cache
def _fields(schema: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(schema)}


@cache
def _hints(schema: type) -> dict[str, Any]:
    return typing.get_type_hints(schema)
