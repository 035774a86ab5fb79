"""The Hydra option ``search=evolution`` comes from the plugin's own config package.

The plugin declares ``torchsearch_evolution.conf`` in the entry-point group
``torchsearch.configs``; torchsearch's root config puts every such package on Hydra's
search path, so ``torchsearch search=evolution`` composes with no Hydra plugin.
"""

from __future__ import annotations

import importlib.metadata
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


def test_the_config_package_is_declared() -> None:
    declared = {
        ep.value: ep.dist.name if ep.dist else None
        for ep in importlib.metadata.entry_points(group="torchsearch.configs")
    }
    assert declared.get("torchsearch_evolution.conf") == "torchsearch-evolution"


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
            cfg = compose(
                config_name="config",
                overrides=["search=evolution", "search.options.population_size=8"],
            )
        except Exception as exc:  # the other groups of the root config may be unfinished
            if "Could not find" in str(exc) and "search/evolution" not in str(exc):
                pytest.skip(f"torchsearch's root config does not compose yet: {exc}")
            raise
    search: dict[str, Any] = OmegaConf.to_container(cfg.search)  # type: ignore[assignment]
    assert search["name"] == "evolution"
    assert list(search) == CORE_KEYS
    assert search["options"]["population_size"] == 8
    assert set(search["options"]) == set(EvolutionSampler.options())
