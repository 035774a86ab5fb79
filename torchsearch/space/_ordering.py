"""The CNN ordering rule and structural growth, as in Model Search.

See docs/model_search.md, "Architectures and the CNN order".

A CNN tower is conv-like blocks (``is_input_order_important``), then exactly one flatten
block, then dense blocks. DNN and RNN towers accept any order and grow by appending.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import get_registry
from torchsearch.space._architecture import ProblemType

__all__ = [
    "DEFAULT_FLATTEN",
    "fix_architecture_order",
    "flatten_index",
    "increase_structure_depth",
]

DEFAULT_FLATTEN = "PLATE_REDUCTION_FLATTEN"
"""The flatten block inserted into a CNN tower that has none, as in Model Search."""

_log = logging.getLogger(__name__)


def fix_architecture_order(
    blocks: Sequence[str], problem: ProblemType | str, registry: BlockRegistry | None = None
) -> tuple[str, ...]:
    """Puts a CNN tower in CNN order; other problem types are returned unchanged.

    The first flatten block found is kept (``PLATE_REDUCTION_FLATTEN`` is inserted when
    there is none) and any other flatten is dropped; conv-like blocks keep their order
    before it, dense blocks keep theirs after it.

    Args:
        blocks: the tower's block names.
        problem: the problem type.
        registry: where to look the blocks up; the installed registry by default.

    Returns:
        The tower in CNN order.

    Raises:
        UnknownBlockError: a name is not registered.
    """
    if ProblemType.parse(problem) is not ProblemType.CNN:
        return tuple(blocks)
    registry = registry or get_registry()
    registry.check(blocks)
    flattens = [b for b in blocks if registry.prototype(b).is_flatten]
    if not flattens:
        _log.debug("CNN tower %s has no flatten block; adding %s.", list(blocks), DEFAULT_FLATTEN)
    conv = [b for b in blocks if _is_conv(b, registry)]
    dense = [
        b for b in blocks if not _is_conv(b, registry) and not registry.prototype(b).is_flatten
    ]
    return (*conv, flattens[0] if flattens else DEFAULT_FLATTEN, *dense)


def increase_structure_depth(
    blocks: Sequence[str],
    new_block: str,
    problem: ProblemType | str,
    registry: BlockRegistry | None = None,
) -> tuple[str, ...]:
    """Grows a tower by one block.

    In a CNN a conv-like block goes just before the first order-unimportant block (the
    flatten), so the blocks around it keep their positions within their section; any
    other block, and every block of a DNN or RNN, is appended.

    Args:
        blocks: the tower's block names.
        new_block: the name of the block to add.
        problem: the problem type.
        registry: where to look the blocks up; the installed registry by default.

    Returns:
        The grown tower.
    """
    if ProblemType.parse(problem) is not ProblemType.CNN:
        return (*blocks, new_block)
    registry = registry or get_registry()
    if not _is_conv(new_block, registry):
        return (*blocks, new_block)
    at = next((i for i, b in enumerate(blocks) if not _is_conv(b, registry)), len(blocks))
    return (*blocks[:at], new_block, *blocks[at:])


def flatten_index(blocks: Sequence[str], registry: BlockRegistry | None = None) -> int | None:
    """Index of the first flatten block of a tower, or ``None``."""
    registry = registry or get_registry()
    return next((i for i, b in enumerate(blocks) if registry.prototype(b).is_flatten), None)


def _is_conv(name: str, registry: BlockRegistry) -> bool:
    block = registry.prototype(name)
    return bool(block.is_input_order_important) and not block.is_flatten
