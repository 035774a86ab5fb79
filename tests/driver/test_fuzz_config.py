"""Property-based sweep of the settings over every key of the config (and of each
built-in data set's), through the command's own check (torchsearch._cli.check_command):

- a value the schema forbids (wrong type, outside its range, not among its choices) and a
  key that does not exist are refused with one line naming the key;
- any value at all gives a run plan or torchsearch's one-line error, never another
  exception.

The examples per key are bounded to keep CI's time bounded; every key is swept.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from typing import Any

import pytest
from cli_helpers import compose_config
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from torchsearch import ConfigError
from torchsearch import TorchSearchError
from torchsearch._cli import check_command
from torchsearch._schema import DATA_SCHEMAS
from torchsearch._schema import TorchSearchSchema
from torchsearch.driver._plan import RunPlan
from torchsearch.driver._plan import make_plan

DATA_BASES = {
    "digits": [],
    "diabetes": ["data=diabetes"],
    "mnist1d": ["data=mnist1d"],
    "random_walk": ["data=random_walk"],
    "csv": ["data=csv", "data.path=train.csv"],
    "npz": ["data=npz", "data.path=train.npz"],
    "images": ["data=images", "data.path=photos"],
}
"""The overrides that choose each built-in data set (a path need not exist to check)."""


def _fields(schema: Any) -> dict[str, tuple[Any, dataclasses.Field[Any]]]:
    hints = typing.get_type_hints(schema)
    return {f.name: (hints[f.name], f) for f in dataclasses.fields(schema)}


def _leaves(schema: Any, prefix: str = "") -> list[tuple[str, Any, dataclasses.Field[Any]]]:
    """Every setting of a schema: (dotted key, type, field)."""
    found = []
    for name, (kind, spec) in _fields(schema).items():
        if dataclasses.is_dataclass(kind):
            found += _leaves(kind, f"{prefix}{name}.")
        elif name != "data" or prefix:
            found.append((f"{prefix}{name}", kind, spec))
    return found


CASES = [([], *leaf) for leaf in _leaves(TorchSearchSchema)] + [
    (DATA_BASES[name], *leaf)
    for name, schema in DATA_SCHEMAS.items()
    for leaf in _leaves(schema, "data.")
    if leaf[0] != "data.name"
]


def test_every_key_of_the_composed_config_is_in_the_sweep() -> None:
    swept = {key for base, key, _, _ in CASES if not base and not key.startswith("data.")}
    composed = OmegaConf.to_container(compose_config(fast=False))
    assert isinstance(composed, dict)
    for data, base in DATA_BASES.items():
        data_keys = OmegaConf.to_container(compose_config(*base, fast=False).data)
        assert isinstance(data_keys, dict)
        assert {f"data.{k}" for k in data_keys} - {"data.name"} <= {
            key for b, key, _, _ in CASES if b == base
        }, data
    composed.pop("data")
    assert _dotted(composed) == swept


def _dotted(node: Mapping[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in node.items():
        if isinstance(value, Mapping) and key not in ("options",):
            keys |= _dotted(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def _literal(value: Any) -> str:
    """``value`` in Hydra's override grammar."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ",".join(_literal(v) for v in value) + "]"
    return "{" + ",".join(f"{k}:{_literal(v)}" for k, v in value.items()) + "}"


def _wrong_values(kind: Any, spec: dataclasses.Field[Any]) -> st.SearchStrategy[Any]:
    """Values the schema forbids for a field of type ``kind``."""
    rules = spec.metadata
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    optional = origin is typing.Union and type(None) in args
    if optional:
        kind = next(a for a in args if a is not type(None))
        origin = typing.get_origin(kind)
    wrong: list[st.SearchStrategy[Any]] = []
    # Not yes/no/on/off/y/n: OmegaConf reads those (and integers) as booleans.
    words = st.text("abcxz", min_size=1, max_size=6)
    if kind is bool:
        wrong += [words, st.just([True])]
    elif kind is int:
        wrong += [words, st.floats(0.1, 0.9), st.just([1, 2])]
    elif kind is float:
        wrong += [words, st.just([1.0])]
    elif kind is str:
        wrong += [st.just([1, 2]), st.just({"a": 1})]
    elif origin is list:
        wrong += [words.map(lambda w: f"{w}!"), st.just({"a": 1})]
    if "choices" in rules:
        wrong.append(words.map(lambda w: f"no_{w}"))
    for bound, outside in (
        ("least", lambda b: st.floats(b - 100, b - 0.5)),
        ("above", lambda b: st.floats(b - 100, b)),
        ("most", lambda b: st.floats(b + 0.5, b + 100)),
        ("below", lambda b: st.floats(b, b + 100)),
    ):
        if bound in rules:
            value = outside(rules[bound])
            if kind is int or rules.get("also_int"):
                value = value.map(lambda v: math.floor(v) if v < 0 else math.ceil(v))
                value = value.filter(lambda v, b=bound, r=rules: not _inside(v, b, r[b]))
            wrong.append(value.map(lambda v: [v] if origin is list else v))
    if not wrong:
        pytest.skip("this setting takes any value")
    return st.one_of(wrong)


def _inside(value: float, bound: str, limit: float) -> bool:
    return {
        "least": value >= limit,
        "above": value > limit,
        "most": value <= limit,
        "below": value < limit,
    }[bound]


@pytest.mark.parametrize(("base", "key", "kind", "spec"), CASES, ids=[c[1] for c in CASES])
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_value_the_schema_forbids_is_one_line_naming_the_key(
    data: st.DataObject, base: list[str], key: str, kind: Any, spec: Any
) -> None:
    value = data.draw(_wrong_values(kind, spec), label="value")
    with pytest.raises(ConfigError) as refused:
        check_command([*base, f"{key}={_literal(value)}"])
    message = str(refused.value)
    assert "\n" not in message and key in message, message


@pytest.mark.parametrize(("base", "key"), [(c[0], c[1]) for c in CASES[::7]])
def test_a_key_that_does_not_exist_is_one_line_with_the_closest(base: list[str], key: str) -> None:
    with pytest.raises(ConfigError, match=r"is not a setting of .*did you mean") as refused:
        check_command([*base, f"{key}x=1"])
    assert key in str(refused.value)


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["abc", "", "32", "bf16-mixed", "auto", "cpu", "median", "../x", "1e3"]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.dictionaries(
        st.sampled_from([c[1] for c in CASES if not c[0]]), values, min_size=1, max_size=3
    )
)
def test_any_setting_gives_a_plan_or_torchsearchs_error(changes: dict[str, Any]) -> None:
    overrides = [f"{key}={_literal(value)}" for key, value in changes.items()]
    try:
        check_command(overrides)
        plan = make_plan(compose_config(*overrides, fast=False))
    except TorchSearchError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip(), exc
        return
    assert isinstance(plan, RunPlan)
