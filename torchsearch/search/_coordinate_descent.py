"""Adaptive coordinate descent: Model Search's default "greedy beam" search.

Pick a parent uniformly among the ``beam_size`` best trials, then grow it by one random
block (with probability ``increase_complexity_probability``, when the depth schedule
allows a deeper tower) or replace one of its blocks by a random one. Before any trial has
completed the proposal is a random tower of ``minimum_depth`` (docs/model_search.md,
"Search algorithms").

:class:`DescentOptions` holds torchsearch's changes, each measured from no suggestion
(docs/model_search.md, "Coordinate descent's changes"): replace the block that has gone
longest unchanged, never train a tower twice, treat scores within a tolerance as tied
and prefer the faster trial, and let a child keep its parent's hyperparameters. With
:data:`MODEL_SEARCH_DESCENT` (the function's default) the draws are Model Search's.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

from torchsearch._errors import ConfigError
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import get_registry
from torchsearch.search._depth import allowed_depth
from torchsearch.search._lineage import ancestors
from torchsearch.search._lineage import block_ages
from torchsearch.search._mutation import grow
from torchsearch.search._mutation import random_block
from torchsearch.search._mutation import replace_one
from torchsearch.search._proposal import Operation
from torchsearch.search._proposal import Proposal
from torchsearch.search._random_search import random_proposal
from torchsearch.search._selection import choose_parent
from torchsearch.search._selection import speed_ranked
from torchsearch.search._settings import SearchSettings
from torchsearch.space import fix_architecture_order
from torchsearch.trials import CompletedTrial
from torchsearch.trials import rank

__all__ = [
    "MODEL_SEARCH_DESCENT",
    "REPLACE_POSITIONS",
    "DescentOptions",
    "propose_coordinate_descent",
]

REPLACE_POSITIONS = ("uniform", "oldest")
MAX_DUPLICATE_DRAWS = 20
"""Draws after the first when a proposal repeats a trained tower; the last one stands."""


@dataclass(frozen=True)
class DescentOptions:
    """torchsearch's changes to coordinate descent (``search.options``).

    Args:
        replace_position: ``"uniform"`` (Model Search) or ``"oldest"``: a replacement
            picks a position with odds proportional to one plus its age, the number of
            consecutive ancestors that hold the same block there.
        skip_duplicates: draw again (up to :data:`MAX_DUPLICATE_DRAWS` times) when the
            proposed tower is one a completed trial already trained, such as a block
            replaced by itself.
        beam_tolerance: scores within this much of the best (in the metric's units) tie,
            and the tied trials that trained fastest fill the beam first; 0: plain ranking.
        hparams_from_parent: the chance that a child keeps its parent's hyperparameters
            instead of having the hyperparameter sampler draw new ones.

    Raises:
        ConfigError: a value out of range.
    """

    replace_position: str = "uniform"
    skip_duplicates: bool = False
    beam_tolerance: float = 0.0
    hparams_from_parent: float = 0.0

    def __post_init__(self) -> None:
        if self.replace_position not in REPLACE_POSITIONS:
            raise ConfigError(
                f"replace_position must be one of {', '.join(REPLACE_POSITIONS)}, got "
                f"{self.replace_position!r}."
            )
        if not isinstance(self.skip_duplicates, bool):
            raise ConfigError(
                f"skip_duplicates must be true or false, got {self.skip_duplicates!r}."
            )
        tolerance = self.beam_tolerance
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, (int, float))
            or not math.isfinite(tolerance)
            or tolerance < 0
        ):
            raise ConfigError(f"beam_tolerance must be a number >= 0, got {tolerance!r}.")
        p = self.hparams_from_parent
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ConfigError(f"hparams_from_parent must be in [0, 1], got {p!r}.")


MODEL_SEARCH_DESCENT = DescentOptions()
"""Every change off: Model Search's coordinate descent, draw for draw."""


def propose_coordinate_descent(
    settings: SearchSettings,
    completed: Sequence[CompletedTrial],
    rng: random.Random,
    registry: BlockRegistry | None = None,
    options: DescentOptions = MODEL_SEARCH_DESCENT,
) -> Proposal:
    """The next tower of an adaptive coordinate descent.

    The draws come in Model Search's order: the parent, whether to grow, the new block,
    then (when replacing) the position; with ``options`` on, a duplicate draws all four
    again, and the hyperparameter choice is one more draw at the end.

    Args:
        settings: the search settings.
        completed: every completed trial; infeasible ones are never parents and do not
            count towards the depth schedule.
        rng: the source of randomness.
        registry: where to look the blocks up; the installed registry by default.
        options: torchsearch's changes; Model Search's behaviour by default.

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
    beam = speed_ranked(ranked, options.beam_tolerance)
    depth = allowed_depth(
        len(ranked), settings.increase_complexity_minimum_trials, settings.maximum_depth
    )
    by_number = {t.number: t for t in completed}
    trained = {t.architecture.blocks for t in completed} if options.skip_duplicates else set()
    for _ in range(MAX_DUPLICATE_DRAWS + 1):
        proposal = _mutate(settings, beam, depth, by_number, rng, registry, options)
        if proposal.tower not in trained:
            break
    if options.hparams_from_parent and rng.random() < options.hparams_from_parent:
        assert proposal.parent is not None
        hparams = dict(by_number[proposal.parent].architecture.hparams)
        proposal = dataclasses.replace(proposal, hparams=hparams)
    return proposal


def _mutate(
    settings: SearchSettings,
    beam: Sequence[CompletedTrial],
    depth: int,
    by_number: Mapping[int, CompletedTrial],
    rng: random.Random,
    registry: BlockRegistry,
    options: DescentOptions,
) -> Proposal:
    """One draw of a parent and its grown or mutated tower."""
    parent = choose_parent(beam, settings.beam_size, rng)
    explore = rng.random() < settings.increase_complexity_probability
    new_block = random_block(settings.blocks, rng)
    if len(parent.tower) < depth and explore:  # grow; a CNN's flatten counts
        tower = grow(parent.tower, new_block, settings.problem, registry)
        operation = Operation.GROW
    else:  # replace
        weights = None
        if options.replace_position == "oldest":
            weights = [age + 1 for age in block_ages(parent.tower, ancestors(parent, by_number))]
        tower = replace_one(parent.tower, new_block, rng, registry, weights)
        operation = Operation.REPLACE
    # Model Search reorders only after a replacement; growing a tower in CNN order keeps
    # it in order, so reordering both also repairs a parent that was not in order.
    tower = fix_architecture_order(tower, settings.problem, registry)
    return Proposal(tower, parent.number, operation, new_block)
