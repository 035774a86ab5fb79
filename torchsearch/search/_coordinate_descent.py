"""Adaptive coordinate descent: Model Search's default "greedy beam" search.

Pick a parent uniformly among the ``beam_size`` best trials, then grow it by one random
block (with probability ``increase_complexity_probability``, when the depth schedule
allows a deeper tower) or replace one of its blocks by a random one. Before any trial has
completed the proposal is a random tower of ``minimum_depth`` (docs/model_search.md,
"Search algorithms").
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import get_registry
from torchsearch.search._depth import allowed_depth
from torchsearch.search._mutation import grow
from torchsearch.search._mutation import random_block
from torchsearch.search._mutation import replace_one
from torchsearch.search._proposal import Operation
from torchsearch.search._proposal import Proposal
from torchsearch.search._random_search import random_proposal
from torchsearch.search._selection import choose_parent
from torchsearch.search._settings import SearchSettings
from torchsearch.space import fix_architecture_order
from torchsearch.trials import CompletedTrial
from torchsearch.trials import rank

__all__ = ["propose_coordinate_descent"]


def propose_coordinate_descent(
    settings: SearchSettings,
    completed: Sequence[CompletedTrial],
    rng: random.Random,
    registry: BlockRegistry | None = None,
) -> Proposal:
    """The next tower of an adaptive coordinate descent.

    The draws come in Model Search's order: the parent, whether to grow, the new block,
    then (when replacing) the position.

    Args:
        settings: the search settings.
        completed: every completed trial; infeasible ones are never parents and do not
            count towards the depth schedule.
        rng: the source of randomness.
        registry: where to look the blocks up; the installed registry by default.

    Returns:
        The proposal: a grown or mutated copy of the parent's tower, or a random tower
        with no parent before any feasible trial has completed.

    Raises:
        UnknownBlockError: a search block, or a block of the parent, is not registered.
        ConfigError: the settings do not fit the registry, or the parent's tower has no
            block that may be replaced.
    """
    registry = get_registry() if registry is None else registry
    settings.check(registry)
    ranked = rank(completed, settings.direction)
    if not ranked:  # a random tower, not the oracle's initial architecture
        return random_proposal(settings, rng, registry)

    parent = choose_parent(ranked, settings.beam_size, rng)
    depth = allowed_depth(
        len(ranked), settings.increase_complexity_minimum_trials, settings.maximum_depth
    )
    explore = rng.random() < settings.increase_complexity_probability
    new_block = random_block(settings.blocks, rng)
    if len(parent.tower) < depth and explore:  # grow; a CNN's flatten counts
        tower = grow(parent.tower, new_block, settings.problem, registry)
        operation = Operation.GROW
    else:  # replace
        tower = replace_one(parent.tower, new_block, rng, registry)
        operation = Operation.REPLACE
    # Model Search reorders only after a replacement; growing a tower in CNN order keeps
    # it in order, so reordering both also repairs a parent that was not in order.
    tower = fix_architecture_order(tower, settings.problem, registry)
    return Proposal(tower, parent.number, operation, new_block)
