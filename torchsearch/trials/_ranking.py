"""Completed trials as every layer sees them, and ranking them best first.

As Model Search's ``get_best_k(trials, k=1e10, valid_only=True)``, infeasible trials
never rank. The search's beam, the leaderboard and the best model all come from
:func:`rank`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch.space import Architecture
from torchsearch.trials._schema import TrialKind

__all__ = ["DIRECTIONS", "CompletedTrial", "check_direction", "rank"]

DIRECTIONS = ("minimize", "maximize")
"""The two optimisation directions, spelled as Optuna spells them."""


@dataclass(frozen=True)
class CompletedTrial:
    """A finished trial's record, read from the storage.

    Searchers see the first four fields (the contract of ``ArchitectureSampler.propose``);
    the rest is what the report, transfer learning and ensembles need.

    Args:
        number: the trial's number, recorded as the parent of the trials forked from it.
        architecture: what the trial trained; its first tower is the one searched.
        value: the objective value.
        feasible: ``False`` for a trial that finished but must never be a parent
            (Model Search's ``trial_infeasible``): a positive Optuna constraint or a
            value that is not finite.
        parent: the trial it was derived from.
        kind: a :class:`TrialKind` value.
        operation: how it was derived from its parent.
        parameters: trainable parameters of its model, when recorded.
        validation: its validation metrics.
        checkpoint: the artifact id of its weights, when recorded.
        graft: what transfer learning gave it (``GraftRecord.to_dict()``), when any.
        train_seconds: how long it trained.
        steps: how many optimizer steps it trained for.
    """

    number: int
    architecture: Architecture
    value: float
    feasible: bool = True
    parent: int | None = None
    kind: str = TrialKind.SEARCH.value
    operation: str | None = None
    parameters: int | None = None
    validation: Mapping[str, float] = field(default_factory=dict)
    checkpoint: str | None = None
    graft: Mapping[str, Any] | None = None
    train_seconds: float | None = None
    steps: int | None = None

    @property
    def tower(self) -> tuple[str, ...]:
        """The searched tower: the first tower of the architecture."""
        return self.architecture.blocks

    @property
    def loss(self) -> float:
        """The validation loss (``nan`` when not recorded)."""
        return float(self.validation.get("loss", math.nan))


def check_direction(direction: str) -> str:
    """``direction`` in lower case, if it is ``"minimize"`` or ``"maximize"``.

    Raises:
        ConfigError: any other value.
    """
    normal = str(direction).strip().lower()
    if normal not in DIRECTIONS:
        raise ConfigError(f"Unknown direction {direction!r}; use 'minimize' or 'maximize'.")
    return normal


def rank(trials: Iterable[CompletedTrial], direction: str) -> tuple[CompletedTrial, ...]:
    """The feasible trials, best first.

    Infeasible trials and trials whose value is NaN are left out, so they are never
    parents, never the best model and do not count towards the depth schedule. Ties keep
    the lower trial number first, whatever order the storage returns trials in.

    Args:
        trials: completed trials, in any order.
        direction: ``"minimize"`` or ``"maximize"``.

    Raises:
        ConfigError: ``direction`` is neither.
    """
    sign = 1.0 if check_direction(direction) == "minimize" else -1.0
    valid = [t for t in trials if t.feasible and not math.isnan(t.value)]
    return tuple(sorted(valid, key=lambda t: (sign * t.value, t.number)))
