"""Non-adaptive random search: a random tower of ``minimum_depth`` for every trial.

Model Search's NONADAPTIVE_RANDOM_SEARCH trains the oracle's ``initial_architecture``:
``minimum_depth`` blocks chosen by the hyperparameter oracle, which is uniform random
search under ``--hypertuning_method=random``. torchsearch keeps the architecture out of
the Optuna parameters (docs/model_search.md, "Search algorithms"), so the blocks are
drawn here, uniformly and with replacement, at the same fixed depth; ``maximum_depth`` is
not used.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import get_registry
from torchsearch.search._mutation import random_tower
from torchsearch.search._proposal import Operation
from torchsearch.search._proposal import Proposal
from torchsearch.search._settings import SearchSettings
from torchsearch.space import fix_architecture_order
from torchsearch.trials import CompletedTrial

__all__ = ["propose_random", "random_proposal"]


def propose_random(
    settings: SearchSettings,
    completed: Sequence[CompletedTrial],
    rng: random.Random,
    registry: BlockRegistry | None = None,
) -> Proposal:
    """A random tower of ``minimum_depth`` blocks, in CNN order for a CNN.

    Args:
        settings: the search settings.
        completed: ignored; accepted so that every proposal function has one signature.
        rng: the source of randomness.
        registry: where to look the blocks up; the installed registry by default.

    Returns:
        The proposal, with no parent. A CNN tower has ``minimum_depth`` blocks plus the
        flatten that the CNN ordering rule adds.

    Raises:
        UnknownBlockError: a search block is not registered.
        ConfigError: the settings do not fit the registry.
    """
    del completed  # Random search does not adapt.
    registry = get_registry() if registry is None else registry
    settings.check(registry)
    return random_proposal(settings, rng, registry)


def random_proposal(
    settings: SearchSettings, rng: random.Random, registry: BlockRegistry
) -> Proposal:
    """:func:`propose_random` without the settings check, for the adaptive searches."""
    tower = random_tower(settings.blocks, settings.minimum_depth, rng)
    tower = fix_architecture_order(tower, settings.problem, registry)
    return Proposal(tower, None, Operation.RANDOM)
