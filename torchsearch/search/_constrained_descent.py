"""Constrained coordinate descent: search cells, with a reduction block after each.

As in Model Search (docs/model_search.md, "Search algorithms"): the search blocks hold
no reduction block; the searched tower is cut into cells of ``num_blocks_in_cell``
blocks and a ``reduction_block_type`` block follows each full cell. Without
``replicate_cell`` the tower (reductions stripped) grows or mutates as in coordinate
descent; with it, only the parent's first cell is mutated and then tiled as often as
``maximum_depth`` allows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from torchsearch._errors import ConfigError
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
from torchsearch.search._settings import check_registered
from torchsearch.search._settings import require_int
from torchsearch.space import ProblemType
from torchsearch.space import fix_architecture_order
from torchsearch.trials import CompletedTrial
from torchsearch.trials import rank

__all__ = [
    "ConstrainedSettings",
    "cell_allowed_depth",
    "is_reduction_block",
    "propose_constrained_descent",
]

_REDUCTION_MARKERS = ("REDUCTION", "DOWNSAMPLE", "POOL")


def is_reduction_block(name: str) -> bool:
    """Model Search's rule: a name holding REDUCTION, DOWNSAMPLE or POOL."""
    return any(marker in name.upper() for marker in _REDUCTION_MARKERS)


@dataclass(frozen=True, kw_only=True)
class ConstrainedSettings(SearchSettings):
    """:class:`SearchSettings` plus the cell fields, with the original's defaults.

    Model Search raises ``ValueError`` only when a reduction block happens to be drawn
    from ``blocks``; here such a list is refused when the settings are made.

    Args:
        num_blocks_in_cell: the blocks between two reduction blocks.
        reduction_block_type: the block put after each cell; a reduction block.
        replicate_cell: search one cell and tile it up to ``maximum_depth``.
    """

    num_blocks_in_cell: int = 4
    reduction_block_type: str = "DOWNSAMPLE_CONVOLUTION_3X3"
    replicate_cell: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        cell = require_int("num_blocks_in_cell", self.num_blocks_in_cell)
        if cell < 1:
            raise ConfigError(f"num_blocks_in_cell must be at least 1, got {cell}.")
        reduction = self.reduction_block_type
        if not isinstance(reduction, str) or not is_reduction_block(reduction):
            raise ConfigError(
                f"reduction_block_type must name a reduction block (a name holding "
                f"{', '.join(_REDUCTION_MARKERS)}), got {reduction!r}."
            )
        reductions = sorted({b for b in self.blocks if is_reduction_block(b)})
        if reductions:
            raise ConfigError(
                f"Constrained descent places reduction blocks itself; remove {reductions} "
                "from blocks (names holding REDUCTION, DOWNSAMPLE or POOL)."
            )
        replicate = self.replicate_cell
        if not isinstance(replicate, bool):
            raise ConfigError(f"replicate_cell must be true or false, got {replicate!r}.")
        if replicate and cell_allowed_depth(self, 0) < cell:
            raise ConfigError(
                f"With replicate_cell, maximum_depth={self.maximum_depth} cannot hold one cell "
                f"of {cell} blocks and its reduction block."
            )

    def check(self, registry: BlockRegistry) -> None:
        """:meth:`SearchSettings.check`, and ``reduction_block_type`` is registered."""
        super().check(registry)
        check_registered(registry, [self.reduction_block_type], "reduction_block_type")
        if registry.prototype(self.reduction_block_type).is_flatten:
            raise ConfigError(
                f"reduction_block_type {self.reduction_block_type!r} is a flatten block; "
                "a tower holds one flatten at most, so it cannot follow every cell."
            )


def cell_allowed_depth(settings: ConstrainedSettings, num_completed: int) -> int:
    """The allowed number of searched blocks, net of reduction blocks.

    With ``replicate_cell`` the whole ``maximum_depth`` is used. A CNN's flatten is
    counted too, as Model Search's comment says it should be but its code does not: the
    original lets a CNN tower exceed ``maximum_depth`` by one (docs/model_search.md,
    "Deliberate differences").
    """
    if settings.replicate_cell:
        depth = settings.maximum_depth
    else:
        depth = allowed_depth(
            num_completed, settings.increase_complexity_minimum_trials, settings.maximum_depth
        )
    if settings.problem is ProblemType.CNN:
        depth = max(depth - 1, 0)
    return depth - depth // settings.num_blocks_in_cell


def propose_constrained_descent(
    settings: ConstrainedSettings,
    completed: Sequence[CompletedTrial],
    rng: random.Random,
    registry: BlockRegistry | None = None,
) -> Proposal:
    """The next tower of a constrained coordinate descent.

    The draws come in Model Search's order: the new block, the parent (or a random
    tower), whether to grow (not with ``replicate_cell``), then the position to replace.
    Before any trial has completed, a random ``minimum_depth`` tower is grown or mutated
    like a parent's, and the proposal has no parent.

    Args:
        settings: the search settings.
        completed: every completed trial; infeasible ones are never parents.
        rng: the source of randomness.
        registry: where to look the blocks up; the installed registry by default.

    Returns:
        The proposal, with reduction blocks after each full cell, in CNN order for a CNN.

    Raises:
        UnknownBlockError: a search block, or a block of the parent, is not registered.
        ConfigError: the settings do not fit the registry, or the tower has no block that
            may be replaced.
    """
    registry = get_registry() if registry is None else registry
    settings.check(registry)
    cell = settings.num_blocks_in_cell
    new_block = random_block(settings.blocks, rng)
    ranked = rank(completed, settings.direction)
    if ranked:
        parent = choose_parent(ranked, settings.beam_size, rng)
        base, parent_number = parent.tower, parent.number
    else:
        base, parent_number = random_proposal(settings, rng, registry).tower, None

    if settings.replicate_cell:
        # Only the first cell is searched, and never grown. As in Model Search it is the
        # parent's first blocks as they stand (a short CNN parent's may hold its flatten,
        # which is never replaced and is deduplicated by the CNN order below).
        searched, explore = base[:cell], False
    else:
        searched = tuple(b for b in base if not is_reduction_block(b))
        explore = rng.random() < settings.increase_complexity_probability

    depth = cell_allowed_depth(settings, len(ranked))
    if len(searched) < depth and explore:
        searched, operation = grow(searched, new_block, settings.problem, registry), Operation.GROW
    else:
        searched = replace_one(searched, new_block, rng, registry)
        operation = Operation.REPLACE
    if settings.replicate_cell:
        searched = searched * (depth // cell)

    tower = _add_reductions(searched, cell, settings.reduction_block_type)
    tower = fix_architecture_order(tower, settings.problem, registry)
    if parent_number is None:
        return Proposal(tower, None, Operation.RANDOM)
    return Proposal(tower, parent_number, operation, new_block)


def _add_reductions(tower: Sequence[str], every: int, reduction: str) -> tuple[str, ...]:
    """``tower`` with ``reduction`` after each ``every`` blocks."""
    out: list[str] = []
    for i, name in enumerate(tower, start=1):
        out.append(name)
        if i % every == 0:
            out.append(reduction)
    return tuple(out)
