"""The Hydra option ``search=evolution`` comes from the plugin, through a search-path plugin.

``hydra_plugins`` is a namespace package scanned by Hydra; the plugin appends
``pkg://torchsearch_evolution.conf``, so every Hydra app in the environment sees the option.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra import compose
from hydra import initialize_config_dir
from hydra import initialize_config_module
from hydra.core.plugins import Plugins
from hydra.plugins.search_path_plugin import SearchPathPlugin
from omegaconf import OmegaConf

import torchsearch_evolution
from torchsearch_evolution import EvolutionSampler

REPO_CONF = Path(__file__).resolve().parents[3] / "conf"
# The keys of every search option, in order: those of torchsearch's own random search.
_CORE_SEARCH = importlib.util.find_spec("torchsearch.conf")
_RANDOM = (
    (Path(_CORE_SEARCH.origin).parent if _CORE_SEARCH and _CORE_SEARCH.origin else REPO_CONF)
    / "search"
    / "random.yaml"
)
CORE_KEYS = list(yaml.safe_load(_RANDOM.read_text()))


def test_hydra_discovers_the_search_path_plugin() -> None:
    names = {p.__name__ for p in Plugins.instance().discover(SearchPathPlugin)}
    assert "TorchsearchEvolutionSearchPathPlugin" in names


def test_the_option_composes_in_any_app(tmp_path: Path) -> None:
    with initialize_config_dir(config_dir=str(tmp_path), version_base="1.3"):
        cfg = compose(overrides=["+search=evolution", "search.options.population_size=8"])
    search: dict[str, Any] = OmegaConf.to_container(cfg.search)  # type: ignore[assignment]
    assert list(search) == CORE_KEYS
    assert search["name"] == "evolution"
    assert search["options"]["population_size"] == 8
    assert set(search["options"]) == set(EvolutionSampler.options())


def test_the_shipped_options_are_the_sampler_defaults() -> None:
    path = Path(torchsearch_evolution.__file__).parent / "conf" / "search" / "evolution.yaml"
    options = yaml.safe_load(path.read_text())["options"]
    defaults = EvolutionSampler.options()
    assert options == {k: defaults[k] for k in options}


@contextmanager
def torchsearch_config() -> Iterator[None]:
    """torchsearch's own root config: its package if it is one, else the repository's."""
    if importlib.util.find_spec("torchsearch.conf") is not None:
        with initialize_config_module("torchsearch.conf", version_base="1.3"):
            yield
    elif (REPO_CONF / "config.yaml").exists():
        with initialize_config_dir(config_dir=str(REPO_CONF), version_base="1.3"):
            yield
    else:
        pytest.skip("torchsearch's root config is not available here")


def test_search_evolution_in_torchsearchs_config() -> None:
    with torchsearch_config():
        try:
            cfg = compose(config_name="config", overrides=["search=evolution"])
        except Exception as exc:  # the other groups of the root config may be unfinished
            if "Could not find" in str(exc) and "search/evolution" not in str(exc):
                pytest.skip(f"torchsearch's root config does not compose yet: {exc}")
            raise
    assert cfg.search.name == "evolution"
    assert list(cfg.search) == CORE_KEYS
