"""The evolution sampler passes torchsearch's searcher conformance suite."""

from __future__ import annotations

import functools

import pytest
from torchsearch.testing import ArchitectureSamplerTests
from torchsearch.testing import SamplerFactory

from torchsearch_evolution import EvolutionSampler


class TestEvolutionSampler(ArchitectureSamplerTests):
    @pytest.fixture
    def sampler_factory(self) -> SamplerFactory:
        # A small population, so that the suite's ten trials reach the tournaments.
        return functools.partial(
            EvolutionSampler, population_size=3, tournament_size=2, growth_probability=0.5
        )
