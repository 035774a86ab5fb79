"""The installed plugin is found through its entry point, as any third-party searcher is.

These tests need the distribution installed (``pip install -e plugins/torchsearch-evolution``):
they read its metadata, never its source tree.
"""

from __future__ import annotations

import importlib.metadata

import pytest
from torchsearch import ConfigError
from torchsearch.search import SearchSettings
from torchsearch.search import create_sampler
from torchsearch.search import get_searcher
from torchsearch.search import list_searchers
from torchsearch.search import searcher_provider
from torchsearch.testing import TOY_DENSE_BLOCKS
from torchsearch.testing import toy_registry

import torchsearch_evolution
from torchsearch_evolution import EvolutionSampler

DISTRIBUTION = "torchsearch-evolution"


def test_the_entry_point_names_the_sampler() -> None:
    declared = {
        ep.name: ep.value
        for ep in importlib.metadata.entry_points(group="torchsearch.searchers")
        if ep.dist is not None and ep.dist.name == DISTRIBUTION
    }
    assert declared == {"evolution": "torchsearch_evolution._impl:EvolutionSampler"}


def test_torchsearch_lists_and_loads_it() -> None:
    assert "evolution" in list_searchers()
    assert get_searcher("evolution") is EvolutionSampler
    provider = searcher_provider("evolution")
    assert (provider.distribution, provider.version) == (DISTRIBUTION, "0.1.0")
    assert torchsearch_evolution.__version__ == "0.1.0"


def test_create_sampler_passes_the_options() -> None:
    settings = SearchSettings(blocks=TOY_DENSE_BLOCKS, problem="dnn")
    options = {"population_size": 8, "tournament_size": 3, "growth_probability": 0.25}
    sampler = create_sampler("evolution", settings, options, seed=0, registry=toy_registry())
    assert isinstance(sampler, EvolutionSampler)
    assert (sampler.population_size, sampler.tournament_size) == (8, 3)
    assert sampler.growth_probability == 0.25
    assert list(EvolutionSampler.options()) == list(options)
    with pytest.raises(ConfigError, match="it accepts: population_size, tournament_size"):
        create_sampler("evolution", settings, {"mutation_rate": 0.5})
