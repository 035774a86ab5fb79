"""Selection: pick a parent from the best completed trials.

Kept apart from mutation: a search is "select, then mutate". Model Search draws the
parent uniformly from the first ``beam_size`` ranked trials
(:func:`torchsearch.trials.rank`). :func:`speed_ranked` reorders that ranking for a
noisy metric: trials within a tolerance of the best count as tied, and the tied trials
that trained fastest come first (docs/model_search.md, "Coordinate descent's changes").
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from torchsearch._errors import ConfigError
from torchsearch.trials import CompletedTrial

__all__ = ["choose_parent", "speed_ranked"]


def choose_parent(
    ranked: Sequence[CompletedTrial], beam_size: int, rng: random.Random
) -> CompletedTrial:
    """A trial drawn uniformly from the first ``beam_size`` of ``ranked``.

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


def speed_ranked(ranked: Sequence[CompletedTrial], tolerance: float) -> list[CompletedTrial]:
    """``ranked`` (best first) with the trials within ``tolerance`` of the best moved to
    the front in order of training time, fastest first.

    A validation score measured on a few hundred examples moves by a few examples from
    one training to the next; a deeper, slower tower that wins by less than that has not
    shown it is better, and each of its children costs more. Trials with no recorded
    training time count as the slowest; ties keep the ranking's order.
    """
    if tolerance <= 0 or not ranked:
        return list(ranked)
    best = ranked[0].value
    tied = [t for t in ranked if abs(t.value - best) <= tolerance]
    rest = [t for t in ranked if abs(t.value - best) > tolerance]
    return sorted(tied, key=_seconds) + rest


def _seconds(trial: CompletedTrial) -> float:
    value = trial.train_seconds
    return math.inf if value is None or not math.isfinite(value) else value
