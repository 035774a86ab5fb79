"""The data set registry: every provider, the bundled ones included, comes from an entry point.

torchsearch's five data sets are declared in the group ``torchsearch.datasets`` exactly
as a third-party plugin's are. Discovery, the warning for a broken plugin, the
duplicate-name and unknown-name errors are the shared ones of ``torchsearch._plugins``;
this module only says what a valid data set plugin is (a :class:`DataProvider`
subclass) and how one is created from config settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchsearch._configs import DATASET_ENTRY_POINT_GROUP
from torchsearch._errors import ConfigError
from torchsearch._errors import PluginError
from torchsearch._plugins import CachedRegistry
from torchsearch._plugins import PluginRegistry
from torchsearch._plugins import Provider
from torchsearch.data._provider import DataProvider
from torchsearch.data._records import DataSplits

__all__ = [
    "ENTRY_POINT_GROUP",
    "DatasetRegistry",
    "DuplicateDatasetError",
    "UnknownDatasetError",
    "create_provider",
    "dataset_provider",
    "get_dataset_registry",
    "list_datasets",
    "load_dataset",
    "provider_from_config",
    "refresh_dataset_registry",
]

ENTRY_POINT_GROUP = DATASET_ENTRY_POINT_GROUP


class DuplicateDatasetError(PluginError):
    """Two installed distributions provide a data set under the same name."""


class UnknownDatasetError(PluginError, LookupError):
    """No installed distribution provides a data set of the requested name."""

    def __str__(self) -> str:  # LookupError would quote the message like a key.
        return str(self.args[0]) if self.args else ""


class DatasetRegistry:
    """An immutable map from data set names to provider classes and their distributions.

    Build one with :meth:`from_entry_points` (what :func:`get_dataset_registry` does) or,
    in tests, with :meth:`from_classes`.
    """

    def __init__(self, plugins: PluginRegistry[type[DataProvider]]) -> None:
        self._plugins = plugins

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> DatasetRegistry:
        """Discovers the group's entry points, then loads each; failures become warnings."""
        return cls(PluginRegistry.from_entry_points(group, "data set", _check, **_OPTIONS))

    @classmethod
    def from_classes(
        cls, classes: Mapping[str, type[DataProvider]], distribution: str = "test"
    ) -> DatasetRegistry:
        """A registry from in-memory provider classes, without reading entry points."""
        entries = (
            (Provider(name, distribution, "0", f"{c.__module__}:{c.__qualname__}"), _check(c))
            for name, c in classes.items()
        )
        return cls(PluginRegistry("data set", entries, **_OPTIONS))

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted data set names matching the fnmatch ``pattern``."""
        return self._plugins.names(pattern)

    def __contains__(self, name: object) -> bool:
        return name in self._plugins

    def __len__(self) -> int:
        return len(self._plugins)

    def provider_class(self, name: str) -> type[DataProvider]:
        """The provider class registered under ``name``."""
        return self._plugins.get(name)

    def provider(self, name: str) -> Provider:
        """Which distribution and entry point provide the data set ``name``."""
        return self._plugins.provider(name)

    def create(self, name: str, **settings: Any) -> DataProvider:
        """A provider for ``name`` built from keyword settings.

        Raises:
            UnknownDatasetError: no data set has that name; lists the close names.
            ConfigError: a setting is unknown, missing or has a bad value.
        """
        return self.provider_class(name)(**settings)


_OPTIONS: dict[str, Any] = {
    "listing_hint": "`torchsearch.data.list_datasets()`",
    "unknown_error": UnknownDatasetError,
    "duplicate_error": DuplicateDatasetError,
}


def _check(plugin: object) -> type[DataProvider]:
    if not (isinstance(plugin, type) and issubclass(plugin, DataProvider)):
        raise TypeError(f"{plugin!r} is not a DataProvider subclass")
    return plugin


_cache = CachedRegistry(DatasetRegistry.from_entry_points)


def get_dataset_registry() -> DatasetRegistry:
    """The process-wide registry, loaded from entry points on first use."""
    return _cache.get()


def refresh_dataset_registry() -> DatasetRegistry:
    """Reloads the registry, e.g. after installing or removing a plugin in this process."""
    return _cache.refresh()


def list_datasets(pattern: str = "*") -> list[str]:
    """Sorted names of the installed data sets that match the fnmatch ``pattern``."""
    return get_dataset_registry().names(pattern)


def create_provider(name: str, **settings: Any) -> DataProvider:
    """A provider for the installed data set ``name``, from keyword settings.

    Raises:
        UnknownDatasetError: no data set has that name; lists the close and installed names.
        ConfigError: a setting is unknown (the message lists the accepted ones), missing
            or has a bad value.
    """
    return get_dataset_registry().create(name, **settings)


def provider_from_config(config: Mapping[str, Any]) -> DataProvider:
    """A provider from the config subtree ``data``: its ``name`` plus the settings.

    Args:
        config: e.g. ``{"name": "csv", "path": "train.csv"}`` (convert an OmegaConf node
            with ``OmegaConf.to_container(cfg.data, resolve=True)`` first).

    Raises:
        ConfigError: the subtree has no ``name``, or a setting is bad.
        UnknownDatasetError: no data set has that name.
    """
    settings = dict(config)
    name = settings.pop("name", None)
    if not isinstance(name, str):
        raise ConfigError(
            f"The data config needs a name (data=<name>, one of {', '.join(list_datasets())})."
        )
    return create_provider(name, **settings)


def dataset_provider(name: str) -> Provider:
    """The distribution and entry point that provide the data set ``name``."""
    return get_dataset_registry().provider(name)


def load_dataset(name: str, **settings: Any) -> DataSplits:
    """Shorthand for ``create_provider(name, **settings).load()``."""
    return create_provider(name, **settings).load()
