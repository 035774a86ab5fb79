"""Selection: rank completed trials and pick a parent from the best of them.

Kept apart from mutation (STYLE.md rule 7). Model Search ranks with
``get_best_k(trials, k=1e10, valid_only=True)`` and draws the parent uniformly from the
first ``beam_size`` (MODEL_SEARCH.md §4.2 steps 1, 2 and 4).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from torchsearch._errors import ConfigError
from torchsearch.space import Architecture

__all__ = ["DIRECTIONS", "CompletedTrial", "check_direction", "choose_parent", "rank"]

DIRECTIONS = ("minimize", "maximize")
"""The two optimisation directions, spelled as Optuna spells them."""


@dataclass(frozen=True)
class CompletedTrial:
    """What the search needs to know about a finished trial.

    Args:
        number: the trial's number, recorded as the parent of the trials forked from it.
        architecture: what the trial trained; its first tower is the one searched.
        value: the objective value (a loss by default).
        feasible: ``False`` for a trial that finished but must never be a parent
            (Model Search's ``trial_infeasible``).
    """

    number: int
    architecture: Architecture
    value: float
    feasible: bool = True

    @property
    def tower(self) -> tuple[str, ...]:
        """The searched tower: the first tower of the architecture."""
        return self.architecture.blocks


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
    parents and do not count towards the depth schedule (MODEL_SEARCH.md §4.2 step 1).
    Ties keep the lower trial number first, whatever order the storage returns trials in.

    Args:
        trials: completed trials, in any order.
        direction: ``"minimize"`` or ``"maximize"``.

    Returns:
        The ranked trials.

    Raises:
        ConfigError: ``direction`` is neither.
    """
    sign = 1.0 if check_direction(direction) == "minimize" else -1.0
    valid = [t for t in trials if t.feasible and not math.isnan(t.value)]
    return tuple(sorted(valid, key=lambda t: (sign * t.value, t.number)))


def choose_parent(
    ranked: Sequence[CompletedTrial], beam_size: int, rng: random.Random
) -> CompletedTrial:
    """A trial drawn uniformly from the first ``beam_size`` of ``ranked`` (§4.2 step 4).

    Raises:
        ConfigError: ``beam_size`` is below 1.
        ValueError: ``ranked`` is empty.
    """
    if beam_size < 1:
        raise ConfigError(f"beam_size must be at least 1, got {beam_size}.")
    if not ranked:
        raise ValueError("Cannot choose a parent: no ranked trial.")
    beam = ranked[:beam_size]
    return beam[rng.randrange(len(beam))]
