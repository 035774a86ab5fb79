"""What a search algorithm returns: the next tower, where it came from and how.

An Optuna sampler stores a :class:`Proposal` in the new trial's attributes; its parent
drives weight grafting (Model Search's SNAPSHOT transfer, docs/transfer_learning.md)
and, with the operation, the lineage shown in reports (Model Search's
``search_edge.txt``).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Protocol
from typing import TypeVar

from torchsearch.blocks import BlockRegistry
from torchsearch.search._settings import SearchSettings
from torchsearch.space import JSONScalar
from torchsearch.trials import CompletedTrial

__all__ = ["Operation", "Proposal", "Proposer"]

_SettingsT = TypeVar("_SettingsT", bound=SearchSettings, contravariant=True)


class Operation(str, enum.Enum):
    """How a proposed tower relates to its parent."""

    RANDOM = "random"
    """Drawn at random; there is no parent."""
    GROW = "grow"
    """The parent's tower with one block added."""
    REPLACE = "replace"
    """The parent's tower with one block replaced (possibly by the same block)."""


@dataclass(frozen=True)
class Proposal:
    """A tower to train next.

    Args:
        tower: the block names, in CNN order for a CNN.
        parent: the number of the trial it was derived from, ``None`` for a random tower.
        operation: how it was derived; :attr:`Operation.RANDOM` exactly when there is
            no parent.
        new_block: the block added or put in, ``None`` for a random tower.
        hparams: hyperparameters to train it with (e.g. its parent's); the ones left out
            are drawn by the hyperparameter sampler.
    """

    tower: tuple[str, ...]
    parent: int | None
    operation: Operation
    new_block: str | None = None
    hparams: Mapping[str, JSONScalar] = field(default_factory=dict)


class Proposer(Protocol[_SettingsT]):
    """The signature every proposal function shares, so a sampler can hold any of them."""

    def __call__(
        self,
        settings: _SettingsT,
        completed: Sequence[CompletedTrial],
        rng: random.Random,
        registry: BlockRegistry | None = None,
    ) -> Proposal: ...
