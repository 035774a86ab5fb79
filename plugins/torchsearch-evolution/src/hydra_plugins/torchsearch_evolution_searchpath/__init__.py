"""Adds torchsearch-evolution's configs to every Hydra app's search path.

``hydra_plugins`` is a namespace package (no ``__init__.py``) that Hydra scans; this module
only appends ``pkg://torchsearch_evolution.conf``, so ``search=evolution`` composes.
"""

from __future__ import annotations

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin


class TorchsearchEvolutionSearchPathPlugin(SearchPathPlugin):
    """Appends the plugin's ``conf`` package to the config search path."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        search_path.append(
            provider="torchsearch-evolution", path="pkg://torchsearch_evolution.conf"
        )
