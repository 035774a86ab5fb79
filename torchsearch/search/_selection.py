"""Selection: pick a parent from the best completed trials.

Kept apart from mutation: a search is "select, then mutate". Model Search draws the
parent uniformly from the first ``beam_size`` ranked trials
(:func:`torchsearch.trials.rank`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from torchsearch._errors import ConfigError
from torchsearch.trials import CompletedTrial

__all__ = ["choose_parent"]


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
