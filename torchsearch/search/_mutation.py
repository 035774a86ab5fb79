"""Mutators: draw, replace and add blocks in a tower, never touching their inputs.

Mutation stays separate from selection: each function takes a tower, returns a new
tuple, draws from the ``random.Random`` it is given and raises when there is nothing to
mutate. Every random index is drawn with ``rng.randrange(n)``, so a test can script the
draws with a small ``random.Random`` subclass, as Model Search's tests patched
``numpy.random.randint``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from torchsearch._errors import ConfigError
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import get_registry
from torchsearch.space import ProblemType
from torchsearch.space import increase_structure_depth

__all__ = ["ImmutableTowerError", "grow", "random_block", "random_tower", "replace_one"]


class ImmutableTowerError(ConfigError):
    """A tower has no block that may be replaced (it is empty or only flatten blocks)."""


def random_block(blocks: Sequence[str], rng: random.Random) -> str:
    """One block name drawn uniformly from ``blocks``.

    Raises:
        ConfigError: ``blocks`` is empty.
    """
    if not blocks:
        raise ConfigError("There are no blocks to draw from; list at least one search block.")
    return blocks[rng.randrange(len(blocks))]


def random_tower(blocks: Sequence[str], depth: int, rng: random.Random) -> tuple[str, ...]:
    """``depth`` blocks drawn uniformly from ``blocks``, with replacement.

    The tower is not put in CNN order; see :func:`torchsearch.space.fix_architecture_order`.
    """
    return tuple(random_block(blocks, rng) for _ in range(depth))


def replace_one(
    tower: Sequence[str],
    new_block: str,
    rng: random.Random,
    registry: BlockRegistry | None = None,
    weights: Sequence[float] | None = None,
) -> tuple[str, ...]:
    """Replaces one block, never a flatten block, with ``new_block``: chosen uniformly, or
    in proportion to ``weights`` (one per position of ``tower``) when given.

    As Model Search's ``mutate_replace``, the new block may equal the old one, giving an
    identical tower. The original redraws positions until one is not a flatten block,
    which loops forever on a tower of flattens; drawing among the other positions gives
    the same distribution and can fail cleanly instead.

    Args:
        tower: the block names.
        new_block: the block to put in.
        rng: the source of randomness.
        registry: where to look the blocks up; the installed registry by default.
        weights: how likely each position is to be chosen (one draw of ``rng.random``);
            ``None``: uniformly (one ``rng.randrange``, as Model Search).

    Returns:
        A new tower of the same length.

    Raises:
        ImmutableTowerError: every position holds a flatten block, or the tower is empty.
        UnknownBlockError: a block of the tower is not registered.
    """
    registry = get_registry() if registry is None else registry
    blocks = tuple(tower)
    mutable = [i for i, name in enumerate(blocks) if not registry.prototype(name).is_flatten]
    if not mutable:
        raise ImmutableTowerError(
            f"Cannot mutate the tower {list(blocks)}: it has no block other than flatten blocks."
        )
    if weights is None:
        at = mutable[rng.randrange(len(mutable))]
    else:
        if len(weights) != len(blocks) or any(not w >= 0 for w in weights):
            raise ValueError(f"Need one non-negative weight per block, got {list(weights)}.")
        at = rng.choices(mutable, [weights[i] for i in mutable])[0]
    return (*blocks[:at], new_block, *blocks[at + 1 :])


def grow(
    tower: Sequence[str],
    new_block: str,
    problem: ProblemType | str,
    registry: BlockRegistry | None = None,
) -> tuple[str, ...]:
    """Adds ``new_block``: before a CNN's flatten if it is conv-like, else at the end.

    This is Model Search's ``increase_structure_depth``, via
    :func:`torchsearch.space.increase_structure_depth`.
    """
    registry = get_registry() if registry is None else registry
    return increase_structure_depth(tuple(tower), new_block, problem, registry)
