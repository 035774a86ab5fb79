"""Regularized (aging) evolution for torchsearch: the ``evolution`` searcher.

Installing the distribution ``torchsearch-evolution`` registers :class:`EvolutionSampler`
in the entry-point group ``torchsearch.searchers`` and adds the Hydra option
``search=evolution`` (``conf/search/evolution.yaml``, declared in the entry-point group
``torchsearch.configs``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from torchsearch_evolution._impl import EvolutionSampler
    from torchsearch_evolution._impl import population
    from torchsearch_evolution._impl import tournament

try:
    __version__ = _version("torchsearch-evolution")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["EvolutionSampler", "__version__", "population", "tournament"]


def __getattr__(name: str) -> Any:
    # The sampler imports torch; torchsearch imports this package for its config alone
    # (conf/, on every command's search path), so the sampler loads on first use.
    if name in ("EvolutionSampler", "population", "tournament"):
        return getattr(importlib.import_module("torchsearch_evolution._impl"), name)
    raise AttributeError(f"module 'torchsearch_evolution' has no attribute {name!r}")
