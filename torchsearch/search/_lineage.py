"""Lineage: how long each block of a tower has gone unchanged along its ancestors.

Coordinate descent revisits one coordinate (block position) at a time. Model Search
draws the position of a replacement uniformly, so in a tower that keeps growing an early
block is drawn ever more rarely and, once a good-enough ancestor fixed it, survives in
every descendant. The age of a position counts the ancestors that hold the same block
there; :func:`block_ages` gives them for a replacement to favour the oldest.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence

from torchsearch.trials import CompletedTrial

__all__ = ["ancestors", "block_ages"]


def ancestors(
    trial: CompletedTrial, by_number: Mapping[int, CompletedTrial]
) -> list[CompletedTrial]:
    """``trial``'s parent, grandparent and so on, as far as the completed trials go."""
    chain: list[CompletedTrial] = []
    seen = {trial.number}
    parent = trial.parent
    while parent is not None and parent in by_number and parent not in seen:
        seen.add(parent)
        trial = by_number[parent]
        chain.append(trial)
        parent = trial.parent
    return chain


def block_ages(tower: Sequence[str], chain: Sequence[CompletedTrial]) -> list[int]:
    """For each position of ``tower``, how many consecutive ancestors in ``chain``
    (nearest first) hold the same block at the same position.

    Growth inserts before a CNN's flatten or at the end, so the positions before it keep
    their index along a lineage.
    """
    ages = []
    for position, block in enumerate(tower):
        age = 0
        for ancestor in chain:
            blocks = ancestor.architecture.blocks
            if position >= len(blocks) or blocks[position] != block:
                break
            age += 1
        ages.append(age)
    return ages
