"""The searcher registry: search algorithms found through the entry-point group
``torchsearch.searchers``, and the factory that turns a ``search`` config into a sampler.

Discovery, load warnings and the duplicate and unknown-name errors are the generic
registry's (``torchsearch._plugins``). Each entry point must name an
:class:`ArchitectureSampler` subclass; anything else is refused at load with a warning
naming its distribution.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from torchsearch._configs import SEARCHER_ENTRY_POINT_GROUP
from torchsearch._errors import ConfigError
from torchsearch._plugins import CachedRegistry
from torchsearch._plugins import PluginRegistry
from torchsearch._plugins import Provider
from torchsearch.blocks import BlockRegistry
from torchsearch.search._sampler import ArchitectureSampler
from torchsearch.search._seeding import create_inner_sampler
from torchsearch.search._settings import SearchSettings
from torchsearch.space import Architecture

__all__ = [
    "SEARCHER_GROUP",
    "create_sampler",
    "get_searcher",
    "list_searchers",
    "refresh_searchers",
    "searcher_provider",
]

SEARCHER_GROUP = SEARCHER_ENTRY_POINT_GROUP


def _load(target: object) -> type[ArchitectureSampler]:
    if not (isinstance(target, type) and issubclass(target, ArchitectureSampler)):
        raise TypeError(f"{target!r} is not an ArchitectureSampler subclass")
    if inspect.isabstract(target):
        raise TypeError(f"{target.__name__} is abstract (it does not implement propose)")
    return target


_cache: CachedRegistry[PluginRegistry[type[ArchitectureSampler]]] = CachedRegistry(
    lambda: PluginRegistry.from_entry_points(SEARCHER_GROUP, "searcher", _load)
)


def _searchers() -> PluginRegistry[type[ArchitectureSampler]]:
    return _cache.get()


def refresh_searchers() -> None:
    """Forgets the loaded searchers; the next lookup reads the entry points again (after
    installing or removing a plugin in this process)."""
    _cache.forget()


def list_searchers(pattern: str = "*") -> list[str]:
    """Sorted names of the installed searchers matching the fnmatch ``pattern``."""
    return _searchers().names(pattern)


def get_searcher(name: str) -> type[ArchitectureSampler]:
    """The sampler class registered as ``name``.

    Raises:
        PluginError: no installed distribution provides ``name``; the message lists the
            installed searchers and says to install the plugin that provides it.
    """
    return _searchers().get(name)


def searcher_provider(name: str) -> Provider:
    """The distribution and entry point that provide the searcher ``name``."""
    return _searchers().provider(name)


def create_sampler(
    name: str,
    settings: SearchSettings,
    options: Mapping[str, Any] | None = None,
    inner_name: str = "tpe",
    seed: int | None = None,
    suggestions: Sequence[Architecture | Mapping[str, Any]] = (),
    registry: BlockRegistry | None = None,
) -> ArchitectureSampler:
    """The sampler a ``search`` config describes (``conf/search/*.yaml``).

    Args:
        name: the searcher (``search.name``).
        settings: the search settings, from the space config.
        options: ``search.options``, passed as keyword arguments.
        inner_name: the hyperparameter sampler, ``"tpe"`` or ``"random"``.
        seed: the base seed; trial ``k`` draws from a stream seeded by ``(seed, k)``.
        suggestions: the space's suggestions, as architectures or ``{blocks, hparams}``.
        registry: where to look blocks up; the installed registry by default.

    Raises:
        PluginError: an unknown searcher.
        ConfigError: an unknown inner sampler, an unknown option (the message lists the
            accepted ones) or a bad option value.
    """
    cls = get_searcher(name)
    opts = dict(options or {})
    accepted = cls.options()
    unknown = sorted(set(opts) - set(accepted))
    if unknown:
        raise ConfigError(
            f"Searcher {name!r} has no option(s) {', '.join(unknown)}; it accepts: "
            f"{', '.join(accepted) or 'none'}."
        )
    inner = create_inner_sampler(inner_name, seed)
    return cls(
        settings, inner=inner, seed=seed, suggestions=suggestions, registry=registry, **opts
    )
