"""The built-in searchers pass the conformance suite that searcher plugins subclass.

``torchsearch.testing.ArchitectureSamplerTests`` runs each sampler with ask and tell on
file-backed SQLite and journal storages.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from torchsearch.blocks import BlockRegistry
from torchsearch.search import ArchitectureSampler
from torchsearch.search import CompletedTrial
from torchsearch.search import ConstrainedDescentSampler
from torchsearch.search import CoordinateDescentSampler
from torchsearch.search import Operation
from torchsearch.search import Proposal
from torchsearch.search import RandomArchitectureSampler
from torchsearch.search import SearchSettings
from torchsearch.testing import TOY_DENSE_BLOCKS
from torchsearch.testing import ArchitectureSamplerTests
from torchsearch.testing import SamplerFactory
from torchsearch.testing import StorageCase
from torchsearch.testing import toy_registry


class TestCoordinateDescentSampler(ArchitectureSamplerTests):
    @pytest.fixture
    def sampler_factory(self) -> SamplerFactory:
        return CoordinateDescentSampler


class TestConstrainedDescentSampler(ArchitectureSamplerTests):
    @pytest.fixture
    def sampler_factory(self) -> SamplerFactory:
        # Cells of two blocks, so that ten trials see reduction blocks inserted.
        return functools.partial(ConstrainedDescentSampler, num_blocks_in_cell=2)


class TestRandomArchitectureSampler(ArchitectureSamplerTests):
    proposes_parents = False

    @pytest.fixture
    def sampler_factory(self) -> SamplerFactory:
        return RandomArchitectureSampler


class _Forgetful(ArchitectureSampler):
    """Keeps its history in memory, and strays outside its blocks: what the suite must catch."""

    def __init__(self, settings: SearchSettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.calls = 0

    def propose(self, completed: Sequence[CompletedTrial], rng: random.Random) -> Proposal:
        self.calls += 1
        return Proposal(("NOT_A_SEARCH_BLOCK",) * self.calls, None, Operation.RANDOM)


@pytest.fixture
def suite_inputs(tmp_path: Path) -> tuple[SearchSettings, BlockRegistry, StorageCase]:
    settings = SearchSettings(
        blocks=TOY_DENSE_BLOCKS, problem="dnn", minimum_depth=1, direction="maximize"
    )
    return settings, toy_registry(), StorageCase("journal", "dnn", tmp_path / "s.journal")


def test_the_suite_catches_state_kept_in_memory(
    suite_inputs: tuple[SearchSettings, BlockRegistry, StorageCase], tmp_path: Path
) -> None:
    with pytest.raises(AssertionError, match="proposed otherwise"):
        ArchitectureSamplerTests().test_state_lives_in_storage(_Forgetful, *suite_inputs, tmp_path)


def test_the_suite_catches_blocks_outside_the_settings(
    suite_inputs: tuple[SearchSettings, BlockRegistry, StorageCase],
) -> None:
    with pytest.raises(AssertionError, match="uses blocks outside"):
        ArchitectureSamplerTests().test_proposals_are_valid(_Forgetful, *suite_inputs)
