"""Stopping poor candidates early: ``search.pruner``, Optuna's pruners on our trials.

A trial under a pruner evaluates the validation split every ``search.report_every``
optimizer steps and reports the metric to its Optuna trial (so dashboards show the
learning curves); when the pruner finds it worse than the trials before it at the same
step it stops, ends PRUNED with its last metric recorded, and is never a parent.
Pruned trials count toward ``search.n_trials`` only with ``search.count_pruned=true``
(docs/parallel.md, "Pruning").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna

from torchsearch._errors import ConfigError
from torchsearch._schema import PRUNERS

__all__ = ["PRUNERS", "PruningSettings", "TrialStopped"]

REPORTS_PER_TRIAL = 10
"""Validations a pruned trial makes when ``search.report_every`` is null."""


class TrialStopped(optuna.TrialPruned):
    """Raised inside training when the pruner stops the trial.

    Attributes:
        step: the optimizer step at which it was stopped.
        metrics: the validation metrics at that step.
    """

    def __init__(self, step: int, metrics: Mapping[str, float]) -> None:
        super().__init__(f"pruned at step {step}")
        self.step = step
        self.metrics = dict(metrics)


@dataclass(frozen=True)
class PruningSettings:
    """The ``search.pruner``, ``search.report_every`` and ``search.count_pruned`` keys.

    Args:
        pruner: one of :data:`PRUNERS`.
        report_every: optimizer steps between validations; ``None`` for a tenth of the
            trial's steps.
        counted: pruned trials count toward ``search.n_trials``.
    """

    pruner: str = "none"
    report_every: int | None = None
    counted: bool = False

    @classmethod
    def from_config(cls, search: Mapping[str, Any]) -> PruningSettings:
        """Reads and checks the keys.

        Raises:
            ConfigError: an unknown pruner, or a report period that is not a positive
                integer.
        """
        pruner = str(search.get("pruner") or "none")
        if pruner not in PRUNERS:
            raise ConfigError(
                f"Unknown search.pruner {pruner!r}; choose one of {', '.join(PRUNERS)}."
            )
        every = search.get("report_every")
        if every is not None and (
            isinstance(every, bool) or not isinstance(every, int) or every < 1
        ):
            raise ConfigError(
                f"search.report_every must be a positive number of steps or null, got {every!r}."
            )
        counted = search.get("count_pruned", False)
        if not isinstance(counted, bool):
            raise ConfigError(f"search.count_pruned must be true or false, got {counted!r}.")
        return cls(pruner, every, counted)

    @property
    def active(self) -> bool:
        return self.pruner != "none"

    def make_pruner(self) -> optuna.pruners.BasePruner:
        """Optuna's pruner for the study (``NopPruner`` for none).

        The median pruner judges once 5 trials have completed; successive halving and
        Hyperband take their resource (steps) from the first trials; Optuna's defaults
        otherwise.
        """
        if self.pruner == "median":
            return optuna.pruners.MedianPruner(n_startup_trials=5)
        if self.pruner == "successive_halving":
            return optuna.pruners.SuccessiveHalvingPruner()
        if self.pruner == "hyperband":
            return optuna.pruners.HyperbandPruner()
        return optuna.pruners.NopPruner()

    def period(self, total_steps: int) -> int:
        """Steps between two reports of a trial of ``total_steps``."""
        if self.report_every is not None:
            return self.report_every
        return max(1, math.ceil(total_steps / REPORTS_PER_TRIAL))

    def reporter(
        self, trial: optuna.Trial, metric: str, worst: float
    ) -> Callable[[int, dict[str, float]], None]:
        """The ``on_validation`` callback of :func:`~torchsearch.train.fit` for ``trial``:
        reports ``metric`` (a diverged ``nan`` as ``worst``) and raises
        :class:`TrialStopped` when the pruner says so."""

        def report(step: int, metrics: dict[str, float]) -> None:
            value = float(metrics[metric])
            trial.report(worst if math.isnan(value) else value, step)
            if trial.should_prune():
                raise TrialStopped(step, metrics)

        return report
