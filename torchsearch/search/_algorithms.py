"""Model Search's search algorithms as samplers: each a thin shell over a ``propose_*``.

The entry points of the group ``torchsearch.searchers`` name these classes
(``coordinate_descent``, ``constrained_descent``, ``random``).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Any

from torchsearch.search._constrained_descent import ConstrainedSettings
from torchsearch.search._constrained_descent import propose_constrained_descent
from torchsearch.search._coordinate_descent import DescentOptions
from torchsearch.search._coordinate_descent import propose_coordinate_descent
from torchsearch.search._proposal import Proposal
from torchsearch.search._random_search import propose_random
from torchsearch.search._sampler import ArchitectureSampler
from torchsearch.search._settings import SearchSettings
from torchsearch.trials import CompletedTrial

__all__ = ["ConstrainedDescentSampler", "CoordinateDescentSampler", "RandomArchitectureSampler"]


class CoordinateDescentSampler(ArchitectureSampler):
    """ADAPTIVE_COORDINATE_DESCENT, Model Search's default search, with torchsearch's
    changes on by default (:class:`DescentOptions`; all off is Model Search's).

    Args:
        settings: the search settings.
        replace_position: ``"oldest"`` or ``"uniform"``: which block a replacement picks.
        skip_duplicates: never propose a tower a completed trial already trained.
        beam_tolerance: scores this close to the best tie; the fastest tied trials fill
            the beam first.
        hparams_from_parent: the chance that a child keeps its parent's hyperparameters.
        **kwargs: the :class:`ArchitectureSampler` arguments.

    Raises:
        ConfigError: an option out of range.
    """

    def __init__(
        self,
        settings: SearchSettings,
        *,
        replace_position: str = "oldest",
        skip_duplicates: bool = True,
        beam_tolerance: float = 0.005,
        hparams_from_parent: float = 0.5,
        **kwargs: Any,
    ) -> None:
        self._options = DescentOptions(
            replace_position, skip_duplicates, beam_tolerance, hparams_from_parent
        )
        super().__init__(settings, **kwargs)

    @property
    def descent_options(self) -> DescentOptions:
        """The changes in use."""
        return self._options

    def propose(self, completed: Sequence[CompletedTrial], rng: random.Random) -> Proposal:
        return propose_coordinate_descent(
            self.settings, completed, rng, self.registry, self._options
        )


class RandomArchitectureSampler(ArchitectureSampler):
    """NONADAPTIVE_RANDOM_SEARCH: a random ``minimum_depth`` tower per trial."""

    def propose(self, completed: Sequence[CompletedTrial], rng: random.Random) -> Proposal:
        return propose_random(self.settings, completed, rng, self.registry)


class ConstrainedDescentSampler(ArchitectureSampler):
    """CONSTRAINED_ADAPTIVE_COORDINATE_DESCENT: cells with reductions.

    Args:
        settings: the search settings; a :class:`ConstrainedSettings` is taken as it is
            when no cell option is given.
        num_blocks_in_cell: the blocks between two reduction blocks (proto default 4).
        reduction_block_type: the reduction block after each cell.
        replicate_cell: search one cell and tile it up to ``maximum_depth``.
        **kwargs: the :class:`ArchitectureSampler` arguments.

    Raises:
        ConfigError: the cell options do not fit the settings.
    """

    def __init__(
        self,
        settings: SearchSettings,
        *,
        num_blocks_in_cell: int | None = None,
        reduction_block_type: str | None = None,
        replicate_cell: bool | None = None,
        **kwargs: Any,
    ) -> None:
        cell = {
            "num_blocks_in_cell": num_blocks_in_cell,
            "reduction_block_type": reduction_block_type,
            "replicate_cell": replicate_cell,
        }
        given = {k: v for k, v in cell.items() if v is not None}
        if not isinstance(settings, ConstrainedSettings) or given:
            base = {f.name: getattr(settings, f.name) for f in dataclasses.fields(SearchSettings)}
            if isinstance(settings, ConstrainedSettings):
                base |= {k: getattr(settings, k) for k in cell}
            settings = ConstrainedSettings(**{**base, **given})
        super().__init__(settings, **kwargs)

    @property
    def settings(self) -> ConstrainedSettings:
        """The search settings, with the cell fields."""
        settings = super().settings
        assert isinstance(settings, ConstrainedSettings)
        return settings

    def propose(self, completed: Sequence[CompletedTrial], rng: random.Random) -> Proposal:
        return propose_constrained_descent(self.settings, completed, rng, self.registry)
