"""Stopping poor candidates early: ``search.pruner``, Optuna's pruners on our trials.

Every trial reports its validation metric to its Optuna trial every
``search.report_every`` optimizer steps (``_curves``); under a pruner, a trial that the
pruner finds worse than the trials before it at the same step stops, ends PRUNED with
its last metric recorded, and is never a parent.
Pruned trials count toward ``search.n_trials`` only with ``search.count_pruned=true``
(docs/parallel.md, "Pruning").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna

from torchsearch._errors import ConfigError
from torchsearch._schema import PRUNERS

__all__ = ["PRUNERS", "PruningSettings", "TrialStopped"]


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
    """The ``search.pruner`` and ``search.count_pruned`` keys.

    Args:
        pruner: one of :data:`PRUNERS`.
        counted: pruned trials count toward ``search.n_trials``.
    """

    pruner: str = "none"
    counted: bool = False

    @classmethod
    def from_config(cls, search: Mapping[str, Any]) -> PruningSettings:
        """Reads and checks the keys.

        Raises:
            ConfigError: an unknown pruner, or a count_pruned that is not a boolean.
        """
        pruner = str(search.get("pruner") or "none")
        if pruner not in PRUNERS:
            raise ConfigError(
                f"Unknown search.pruner {pruner!r}; choose one of {', '.join(PRUNERS)}."
            )
        counted = search.get("count_pruned", False)
        if not isinstance(counted, bool):
            raise ConfigError(f"search.count_pruned must be true or false, got {counted!r}.")
        return cls(pruner, counted)

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
