"""The searcher registry (entry-point group ``torchsearch.searchers``) and ``create_sampler``.

Plugins are throwaway ``.dist-info`` folders on ``sys.path`` (the ``make_distribution``
fixture), so discovery goes through the real ``importlib.metadata``. Until torchsearch's own
``pyproject.toml`` declares the built-in searchers, the ``builtin_searchers`` fixture
declares them from a stand-in distribution.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from torchsearch import ConfigError
from torchsearch import PluginError
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import PluginLoadWarning
from torchsearch.search import INNER_SAMPLERS
from torchsearch.search import ConstrainedDescentSampler
from torchsearch.search import CoordinateDescentSampler
from torchsearch.search import RandomArchitectureSampler
from torchsearch.search import SearchSettings
from torchsearch.search import create_inner_sampler
from torchsearch.search import create_sampler
from torchsearch.search import get_searcher
from torchsearch.search import list_searchers
from torchsearch.search import refresh_searchers
from torchsearch.search import searcher_provider
from torchsearch.testing import TOY_CONV_BLOCKS
from torchsearch.testing import TOY_DENSE_BLOCKS
from torchsearch.testing import toy_registry

MakeDistribution = Callable[..., Path]  # the make_distribution fixture of tests/conftest.py
GROUP = "torchsearch.searchers"
CONF = Path(__file__).resolve().parents[2] / "conf" / "search"
BUILTIN = {
    "coordinate_descent": CoordinateDescentSampler,
    "constrained_descent": ConstrainedDescentSampler,
    "random": RandomArchitectureSampler,
}


def _catalogue_warns() -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        BlockRegistry.from_entry_points()
    return any(issubclass(w.category, PluginLoadWarning) for w in caught)


# make_distribution's teardown reloads the block registry, which warns while the catalogue
# is incomplete; that is no concern of these tests (``pytest.warns`` below still sees all).
pytestmark = (
    [pytest.mark.filterwarnings("ignore::torchsearch.blocks.PluginLoadWarning")]
    if _catalogue_warns()
    else []
)

PLUGIN = """
from torchsearch.search import ArchitectureSampler, propose_random


class Greedy(ArchitectureSampler):
    def __init__(self, settings, *, greed: float = 0.5, **kwargs):
        super().__init__(settings, **kwargs)
        self.greed = greed

    def propose(self, completed, rng):
        return propose_random(self.settings, completed, rng, self.registry)


class NotASampler:
    pass
"""


@pytest.fixture
def searchers(make_distribution: MakeDistribution) -> Iterator[MakeDistribution]:
    """``make_distribution`` for the searcher group; the registry is reloaded around it."""
    refresh_searchers()
    yield make_distribution
    refresh_searchers()


@pytest.fixture
def builtin_searchers(searchers: MakeDistribution) -> None:
    """Declares the built-ins from a stand-in distribution unless torchsearch does."""
    declared = {
        ep.name
        for ep in importlib.metadata.entry_points(group=GROUP)
        if ep.dist is not None and ep.dist.name == "torchsearch"
    }
    if not set(BUILTIN) <= declared:
        targets = {name: f"torchsearch.search:{cls.__name__}" for name, cls in BUILTIN.items()}
        searchers("torchsearch-builtin-searchers", targets, group=GROUP)
    refresh_searchers()


def dnn() -> SearchSettings:
    return SearchSettings(blocks=TOY_DENSE_BLOCKS, problem="dnn", minimum_depth=1)


def test_the_builtin_searchers_are_registered(builtin_searchers: None) -> None:
    assert set(BUILTIN) <= set(list_searchers())
    for name, cls in BUILTIN.items():
        assert get_searcher(name) is cls
        assert searcher_provider(name).target == f"torchsearch.search:{cls.__name__}"


def test_a_plugin_searcher_is_found_with_its_distribution(searchers: MakeDistribution) -> None:
    searchers(
        "greedy-search", {"greedy": "greedy_plugin:Greedy"}, {"greedy_plugin": PLUGIN}, group=GROUP
    )
    assert "greedy" in list_searchers("gr*")
    provider = searcher_provider("greedy")
    assert (provider.distribution, provider.version) == ("greedy-search", "1.0")
    sampler = create_sampler("greedy", dnn(), {"greed": 0.9}, seed=1, registry=toy_registry())
    assert type(sampler).__name__ == "Greedy" and sampler.greed == 0.9  # type: ignore[attr-defined]


def test_targets_that_are_not_samplers_are_refused_with_a_warning(
    searchers: MakeDistribution,
) -> None:
    searchers(
        "odd-search",
        {
            "greedy": "odd_plugin:Greedy",
            "plain": "odd_plugin:NotASampler",
            "abstract": "torchsearch.search:ArchitectureSampler",
            "missing": "odd_plugin:Nowhere",
        },
        {"odd_plugin": PLUGIN},
        group=GROUP,
    )
    with pytest.warns(
        PluginLoadWarning, match="3 searcher\\(s\\) from distribution 'odd-search 1.0'"
    ) as w:
        names = list_searchers()
    message = str(w[0].message)
    assert "not an ArchitectureSampler subclass" in message
    assert "is abstract" in message and "AttributeError" in message
    assert "greedy" in names and not {"plain", "abstract", "missing"} & set(names)


def test_an_unknown_searcher_says_to_install_its_plugin(builtin_searchers: None) -> None:
    with pytest.raises(PluginError, match=r"Unknown searcher 'evolutoin'.*install the plugin"):
        create_sampler("evolutoin", dnn())


def test_one_name_from_two_distributions_is_an_error(searchers: MakeDistribution) -> None:
    searchers(
        "first-search", {"greedy": "first_plugin:Greedy"}, {"first_plugin": PLUGIN}, group=GROUP
    )
    searchers(
        "second-search", {"greedy": "second_plugin:Greedy"}, {"second_plugin": PLUGIN}, group=GROUP
    )
    with pytest.raises(PluginError, match=r"provided twice.*first-search.*second-search"):
        list_searchers()


def test_create_sampler_builds_the_inner_sampler(builtin_searchers: None) -> None:
    for inner in INNER_SAMPLERS:
        sampler = create_sampler(
            "random", dnn(), inner_name=inner, seed=3, registry=toy_registry()
        )
        assert isinstance(sampler, RandomArchitectureSampler)
        assert sampler.seed == 3
        assert repr(sampler.inner) == f"PerTrialSeededSampler({inner}, seed=3)"
    with pytest.raises(ConfigError, match="Unknown inner sampler 'cmaes'; use one of tpe, random"):
        create_sampler("random", dnn(), inner_name="cmaes")
    with pytest.raises(ConfigError, match="Unknown inner sampler"):
        create_inner_sampler("gp")


def test_create_sampler_checks_options(builtin_searchers: None) -> None:
    with pytest.raises(ConfigError, match="no option\\(s\\) beam_width; it accepts: replace_"):
        create_sampler("coordinate_descent", dnn(), {"beam_width": 3})
    with pytest.raises(ConfigError, match="no option\\(s\\) beam_width; it accepts: none"):
        create_sampler("random", dnn(), {"beam_width": 3})
    with pytest.raises(ConfigError, match="beam_tolerance must be a number >= 0, got -1"):
        create_sampler("coordinate_descent", dnn(), {"beam_tolerance": -1})
    with pytest.raises(ConfigError, match="replace_position must be one of uniform, oldest"):
        create_sampler("coordinate_descent", dnn(), {"replace_position": "first"})
    with pytest.raises(ConfigError, match="it accepts: num_blocks_in_cell, reduction_block_type"):
        create_sampler("constrained_descent", dnn(), {"seed": 3})


@pytest.mark.parametrize("path", sorted(CONF.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_search_config_makes_its_sampler(path: Path, builtin_searchers: None) -> None:
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    assert list(config) == [
        "name",
        "n_trials",
        "timeout_s",
        "inner_sampler",
        "options",
        "pruner",
        "report_every",
        "count_pruned",
    ]
    assert config["name"] == path.stem
    settings = SearchSettings(
        blocks=(*TOY_CONV_BLOCKS, *TOY_DENSE_BLOCKS), problem="cnn", minimum_depth=1
    )
    sampler = create_sampler(
        config["name"],
        settings,
        config["options"],
        inner_name=config["inner_sampler"],
        seed=0,
        registry=toy_registry(),
    )
    assert isinstance(sampler, BUILTIN[config["name"]])
    # Constrained descent's options are settings; coordinate descent's its DescentOptions.
    holder = getattr(sampler, "descent_options", sampler.settings)
    for option, value in (config["options"] or {}).items():
        assert getattr(holder, option) == value
