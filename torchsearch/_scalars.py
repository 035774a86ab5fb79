"""The run's scalar settings, read and checked from the resolved config with nothing
heavy imported: the command checks them before importing torch and Lightning, so a
wrong value is one line within a second or two, and the driver reads them the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torchsearch._errors import ConfigError

__all__ = [
    "METRICS",
    "RunScalars",
    "check_given",
    "flag",
    "get",
    "number",
    "optional_limit",
    "whole",
]

METRICS = {"accuracy": "maximize", "loss": "minimize"}
"""The metrics a search can optimise, with their natural direction."""


@dataclass(frozen=True)
class RunScalars:
    """The single-valued settings of a run (the rest are groups read by their owners)."""

    metric: str
    direction: str
    n_trials: int
    timeout_s: float | None
    max_parameters: int | None
    seed: int
    minimum_depth: int
    maximum_depth: int
    beam_size: int
    increase_complexity_probability: float
    parameter_scaled_training: bool

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RunScalars:
        """Reads and checks them; raises a one-line :class:`ConfigError` on the first
        wrong one, naming the key, the value and what is allowed."""
        check_given(config)
        metric = str(get(config, "objective", "metric"))
        if metric not in METRICS:
            raise ConfigError(f"objective.metric={metric!r} is not one of {', '.join(METRICS)}.")
        direction = get(config, "objective", "direction") or METRICS[metric]
        if direction not in ("maximize", "minimize"):
            raise ConfigError(f"objective.direction={direction!r}: use maximize or minimize.")
        space = get(config, "space")
        search = get(config, "search")
        timeout_s = optional_limit(search, "search.timeout_s", example=3600)
        max_parameters = optional_limit(space, "space.max_parameters", example=100000, whole=True)
        return cls(
            metric=metric,
            direction=direction,
            n_trials=whole(search, "search.n_trials", 0, least=1),
            timeout_s=None if timeout_s is None else float(timeout_s),
            max_parameters=None if max_parameters is None else int(max_parameters),
            seed=whole(config, "seed", 0, least=0),
            minimum_depth=whole(space, "space.minimum_depth", 1, least=0),
            maximum_depth=whole(space, "space.maximum_depth", 5, least=1),
            beam_size=whole(space, "space.beam_size", 1, least=1),
            increase_complexity_probability=number(
                space, "space.increase_complexity_probability", 1.0
            ),
            parameter_scaled_training=flag(space, "space.parameter_scaled_training", False),
        )


def optional_limit(
    section: Mapping[str, Any], key: str, *, example: int, whole: bool = False
) -> float | None:
    """The positive limit at ``key`` (dotted, as the user writes it); ``None`` when null or
    absent, so that a config written without the key runs unlimited.

    Args:
        section: the config section holding the key's last part.
        key: the dotted key, named in the error.
        example: a sensible value, shown as the fix.
        whole: only integers are accepted (a count, not a duration).
    """
    value = section.get(key.rsplit(".", 1)[-1])
    if value is None:
        return None
    kinds: tuple[type, ...] = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not 0 < value < math.inf:
        what = "integer" if whole else "number"
        raise ConfigError(
            f"{key} must be a positive {what} or null (no limit), got {value!r}; "
            f"e.g. {key}={example}."
        )
    return value


def whole(section: Mapping[str, Any], key: str, default: int, *, least: int) -> int:
    """The integer at ``key`` (dotted, as the user writes it), at least ``least``."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ConfigError(
            f"{key} must be an integer of at least {least}, got {value!r}; "
            f"e.g. {key}={max(default, least)}."
        )
    return value


def number(section: Mapping[str, Any], key: str, default: float) -> float:
    """The finite number at ``key`` (dotted, as the user writes it)."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{key} must be a number, got {value!r}; e.g. {key}={default}.")
    return float(value)


def flag(section: Mapping[str, Any], key: str, default: bool) -> bool:
    """The true or false at ``key`` (dotted, as the user writes it)."""
    value = section.get(key.rsplit(".", 1)[-1], default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}.")
    return value


def get(config: Mapping[str, Any], *keys: str) -> Any:
    """The value at ``keys`` of the resolved config, or an error naming the missing key."""
    node: Any = config
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            raise ConfigError(f"The config lacks '{'.'.join(keys)}'; check your overrides.")
        node = node[key]
    return node


MISSING = "???"
"""OmegaConf's mark of a value a config requires and does not give (``path: ???``)."""


def check_given(config: Mapping[str, Any], prefix: str = "") -> None:
    """Checks that no required value is left out (e.g. ``data=csv`` without its path).

    Raises:
        ConfigError: naming the first such key and how to give it.
    """
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if value == MISSING:
            raise ConfigError(f"{dotted} must be given: add {dotted}=... to the command.")
        if isinstance(value, Mapping) and key != "hydra":
            check_given(value, f"{dotted}.")
