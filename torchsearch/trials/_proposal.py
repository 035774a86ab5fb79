"""Where a trial came from: the sampler's decision, the first part of its record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch.space import Architecture
from torchsearch.space import JSONScalar
from torchsearch.trials._schema import GIVEN
from torchsearch.trials._schema import Key
from torchsearch.trials._schema import TrialKind

__all__ = ["TrialProposal"]


@dataclass(frozen=True)
class TrialProposal:
    """A trial's architecture and where it came from, as the sampler decided it.

    Args:
        architecture: the towers; ``hparams`` holds values to lay over the sampled ones
            (a suggestion's, or an enqueued architecture's), empty for a search trial.
        parent: the number of the completed trial it was derived from, or ``None``.
        operation: ``"random"``, ``"grow"``, ``"replace"``, ``"suggested"`` or ``"given"``.
        kind: a :class:`TrialKind` value.
        new_block: the block added or put in by a mutation, else ``None``.
    """

    architecture: Architecture
    parent: int | None
    operation: str
    kind: str = TrialKind.SEARCH.value
    new_block: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the record's keys and values (also ``relative_params``)."""
        return {
            Key.ARCHITECTURE.value: self.architecture.to_dict(),
            Key.PARENT.value: self.parent,
            Key.OPERATION.value: self.operation,
            Key.KIND.value: self.kind,
            Key.NEW_BLOCK.value: self.new_block,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialProposal:
        """The inverse of :meth:`to_dict`; a missing operation is ``"given"``.

        Raises:
            ConfigError: ``data`` holds no valid architecture, or a parent that is not a
                trial number.
        """
        if Key.ARCHITECTURE.value not in data:
            raise ConfigError(f"A trial proposal needs an architecture, got {dict(data)!r}.")
        parent = data.get(Key.PARENT.value)
        if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int)):
            raise ConfigError(f"A trial's parent must be a trial number, got {parent!r}.")
        new_block = data.get(Key.NEW_BLOCK.value)
        return cls(
            architecture=Architecture.from_dict(data[Key.ARCHITECTURE.value]),
            parent=parent,
            operation=str(data.get(Key.OPERATION.value) or GIVEN),
            kind=str(data.get(Key.KIND.value) or TrialKind.SEARCH.value),
            new_block=None if new_block is None else str(new_block),
        )

    def merged(self, sampled: Mapping[str, JSONScalar]) -> Architecture:
        """The architecture to train: this proposal's hparams laid over ``sampled``."""
        return Architecture(self.architecture.towers, {**sampled, **self.architecture.hparams})
