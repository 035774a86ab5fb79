"""The data set registry: entry-point discovery, providers, and its failure modes.

Distributions are real ``.dist-info`` folders on ``sys.path`` (``make_distribution`` in
``tests/conftest.py``), so discovery goes through ``importlib.metadata`` as it does for
an installed plugin.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from pathlib import Path

import pytest

from torchsearch import ConfigError
from torchsearch.data import CsvProvider
from torchsearch.data import DatasetRegistry
from torchsearch.data import DigitsProvider
from torchsearch.data import DuplicateDatasetError
from torchsearch.data import PluginLoadWarning
from torchsearch.data import UnknownDatasetError
from torchsearch.data import create_provider
from torchsearch.data import dataset_provider
from torchsearch.data import list_datasets
from torchsearch.data import load_dataset
from torchsearch.data import provider_from_config
from torchsearch.data import refresh_dataset_registry

BUILTIN = {
    "csv": "torchsearch.data._csv:CsvProvider",
    "diabetes": "torchsearch.data._diabetes:DiabetesProvider",
    "digits": "torchsearch.data._digits:DigitsProvider",
    "images": "torchsearch.data._images:ImageFolderProvider",
    "mnist1d": "torchsearch.data._mnist1d:Mnist1dProvider",
    "npz": "torchsearch.data._npz:NpzProvider",
    "random_walk": "torchsearch.data._walk:RandomWalkProvider",
}
"""The entry points torchsearch declares in ``[project.entry-points."torchsearch.datasets"]``."""

TINY_PLUGIN = """
import torch
from torchsearch.blocks import TensorSpec
from torchsearch.data import DataProvider, DataSplits, Split


class Tiny(DataProvider):
    name = "tiny"

    def __init__(self, n: int = 4):
        self.n = n

    def load(self):
        split = Split(torch.zeros(self.n, 2), torch.arange(self.n) % 2)
        return DataSplits(split, split, split, TensorSpec.flat(2), 2, self.name, ("a", "b"))


class NotAProvider:
    pass
"""


def _installed_by_torchsearch() -> set[str]:
    return {
        ep.name
        for ep in importlib.metadata.entry_points(group="torchsearch.datasets")
        if ep.dist is not None and ep.dist.name == "torchsearch"
    }


@pytest.fixture
def builtins(make_dataset_distribution) -> str:
    """The five bundled data sets, discoverable: torchsearch's own entry points once its
    metadata declares them, else a throwaway distribution declaring the same targets."""
    if _installed_by_torchsearch() >= set(BUILTIN):
        return "torchsearch"
    make_dataset_distribution("torchsearch-datasets-stand-in", BUILTIN)
    refresh_dataset_registry()
    return "torchsearch-datasets-stand-in"


def test_the_five_data_sets_are_listed_and_created(builtins: str) -> None:
    assert set(BUILTIN) <= set(list_datasets())
    for name, target in BUILTIN.items():
        provider = dataset_provider(name)
        assert provider.distribution == builtins and provider.target == target
    assert isinstance(create_provider("digits", seed=3), DigitsProvider)
    assert list_datasets("*s") == [n for n in list_datasets() if n.endswith("s")]


def test_provider_from_config_drops_the_name(builtins: str) -> None:
    provider = provider_from_config({"name": "csv", "path": "a.csv", "label": "y"})
    assert isinstance(provider, CsvProvider) and provider.label == "y"
    with pytest.raises(ConfigError, match=r"needs a name"):
        provider_from_config({"path": "a.csv"})


def test_unknown_name_lists_close_and_installed_names(builtins: str) -> None:
    with pytest.raises(UnknownDatasetError) as info:
        create_provider("digit")
    message = str(info.value)
    assert "Unknown data set 'digit'. Did you mean digits?" in message
    assert "csv, diabetes, digits, images, mnist1d, npz" in message


def test_unknown_setting_through_the_registry(builtins: str) -> None:
    with pytest.raises(ConfigError, match=r"data=mnist1d has no setting 'test_fraction'"):
        create_provider("mnist1d", test_fraction=0.1)


def test_a_plugin_adds_a_data_set(make_dataset_distribution) -> None:
    make_dataset_distribution(
        "datapack", {"tiny": "datapack_tiny:Tiny"}, {"datapack_tiny": TINY_PLUGIN}
    )
    refresh_dataset_registry()
    assert "tiny" in list_datasets()
    assert dataset_provider("tiny").distribution == "datapack"
    assert len(load_dataset("tiny", n=6).train) == 6


def test_a_broken_plugin_warns_naming_its_distribution(make_dataset_distribution) -> None:
    make_dataset_distribution(
        "brokenpack",
        {
            "good": "brokenpack_mod:Tiny",
            "bad": "brokenpack_mod:Missing",
            "odd": "brokenpack_mod:NotAProvider",
        },
        {"brokenpack_mod": TINY_PLUGIN},
    )
    with pytest.warns(PluginLoadWarning) as caught:
        registry = DatasetRegistry.from_entry_points()
    message = str(caught[0].message)
    assert "could not load 2 data set(s) from distribution 'brokenpack 1.0'" in message
    assert "bad = brokenpack_mod:Missing: AttributeError" in message
    assert "odd = brokenpack_mod:NotAProvider: TypeError" in message
    assert "good" in registry and "bad" not in registry


def test_a_duplicate_name_names_both_distributions(make_dataset_distribution) -> None:
    for dist in ("pack-one", "pack-two"):
        module = dist.replace("-", "_")
        make_dataset_distribution(dist, {"twin": f"{module}:Tiny"}, {module: TINY_PLUGIN})
    with pytest.raises(DuplicateDatasetError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        DatasetRegistry.from_entry_points()
    assert "pack-one 1.0 (twin = pack_one:Tiny)" in str(info.value)
    assert "pack-two 1.0 (twin = pack_two:Tiny)" in str(info.value)


def test_in_memory_registry() -> None:
    registry = DatasetRegistry.from_classes({"digits": DigitsProvider, "csv": CsvProvider})
    assert registry.names() == ["csv", "digits"] and len(registry) == 2
    assert registry.provider_class("csv") is CsvProvider
    assert registry.provider("digits").target == "torchsearch.data._digits:DigitsProvider"
    with pytest.raises(TypeError, match=r"not a DataProvider subclass"):
        DatasetRegistry.from_classes({"x": int})  # type: ignore[dict-item]


def test_pyproject_declares_the_bundled_entry_points() -> None:
    tomllib = pytest.importorskip("tomllib")
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    groups = tomllib.loads(pyproject.read_text())["project"].get("entry-points", {})
    if "torchsearch.datasets" not in groups:
        pytest.skip('pyproject.toml has no [project.entry-points."torchsearch.datasets"] yet')
    assert groups["torchsearch.datasets"] == BUILTIN
