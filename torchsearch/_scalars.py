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
from torchsearch._schema import TASK_LOSSES
from torchsearch._schema import TASK_METRICS
from torchsearch._settings_check import check_settings

__all__ = ["METRICS", "RunScalars", "get"]


@dataclass(frozen=True)
class RunScalars:
    """The single-valued settings of a run (the rest are groups read by their owners)."""

    task: str
    metric: str
    direction: str
    loss: str
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
        data = config.get("data")
        task = str((data.get("task") if isinstance(data, Mapping) else None) or "classification")
        objective = get(config, "objective")
        metric = _for_task(task, "objective.metric", objective.get("metric"), TASK_METRICS)
        loss = _for_task(task, "objective.loss", objective.get("loss"), TASK_LOSSES)
        space = get(config, "space")
        search = get(config, "search")
        timeout_s = search.get("timeout_s")
        max_parameters = space.get("max_parameters")
        return cls(
            task=task,
            metric=metric,
            direction=objective.get("direction") or METRICS[metric],
            loss=loss,
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


def _for_task(
    task: str, key: str, value: str | None, allowed: Mapping[str, tuple[str, ...]]
) -> str:
    """``value`` (``None``: the task's default, the first allowed), if the task takes it.

    Raises:
        ConfigError: it belongs to the other task (accuracy for a regression...).
    """
    if value is None:
        return allowed[task][0]
    if value not in allowed.get(task, ()):
        other = "regression" if task == "classification" else "classification"
        raise ConfigError(
            f"{key}={value} is for {other}, but data.task is {task}; choose one of "
            f"{', '.join(allowed[task])}, or leave {key} out for {allowed[task][0]}."
        )
    return value


def get(config: Mapping[str, Any], *keys: str) -> Any:
    """The value at ``keys`` of the resolved config, or an error naming the missing key."""
    node: Any = config
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            raise ConfigError(f"The config lacks '{'.'.join(keys)}'; check your overrides.")
        node = node[key]
    return node
