"""The run's scalar settings, read from the resolved config with nothing heavy imported:
the command checks the config (:func:`torchsearch._settings_check.check_settings`) and
reads them before importing torch and Lightning, and the driver reads them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch._schema import METRICS
from torchsearch._settings_check import check_settings

__all__ = ["METRICS", "RunScalars", "get"]


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
        """Checks the config against its schema, then reads them.

        Raises:
            ConfigError: one line for the first wrong setting, naming the key, the value
                and what is allowed.
        """
        check_settings(config)
        metric = str(get(config, "objective", "metric"))
        space = get(config, "space")
        search = get(config, "search")
        timeout_s = search.get("timeout_s")
        max_parameters = space.get("max_parameters")
        return cls(
            metric=metric,
            direction=get(config, "objective", "direction") or METRICS[metric],
            n_trials=int(search.get("n_trials", 20)),
            timeout_s=None if timeout_s is None else float(timeout_s),
            max_parameters=None if max_parameters is None else int(max_parameters),
            seed=int(config.get("seed", 0)),
            minimum_depth=int(space.get("minimum_depth", 1)),
            maximum_depth=int(space.get("maximum_depth", 5)),
            beam_size=int(space.get("beam_size", 1)),
            increase_complexity_probability=float(
                space.get("increase_complexity_probability", 1.0)
            ),
            parameter_scaled_training=bool(space.get("parameter_scaled_training", False)),
        )


def get(config: Mapping[str, Any], *keys: str) -> Any:
    """The value at ``keys`` of the resolved config, or an error naming the missing key."""
    node: Any = config
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            raise ConfigError(f"The config lacks '{'.'.join(keys)}'; check your overrides.")
        node = node[key]
    return node
