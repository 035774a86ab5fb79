"""The block registry: every block, torchsearch's own included, comes from an entry point.

torchsearch's catalogue is declared in the group ``torchsearch.blocks`` exactly as a
third-party plugin's blocks are, so the path plugins take is the one we use every day.
Discovery, warnings and the duplicate and unknown-name errors are in ``_plugins``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torchsearch._errors import DuplicateBlockError
from torchsearch._errors import PluginError
from torchsearch._errors import UnknownBlockError
from torchsearch._plugins import CachedRegistry
from torchsearch._plugins import PluginLoadWarning
from torchsearch._plugins import PluginRegistry
from torchsearch._plugins import Provider
from torchsearch.blocks._contract import Block

__all__ = [
    "ENTRY_POINT_GROUP",
    "BlockProvider",
    "BlockRegistry",
    "PluginLoadWarning",
    "block_provider",
    "create_block",
    "get_registry",
    "list_blocks",
    "refresh_registry",
]

ENTRY_POINT_GROUP = "torchsearch.blocks"
LISTING_HINT = "`python -m torchsearch.blocks`"

BlockProvider = Provider
"""Where a registered block comes from: name, distribution, version, entry-point target."""


@dataclass(frozen=True)
class _BlockEntry:
    factory: Callable[..., Block]
    prototype: Block


class BlockRegistry:
    """An immutable map from lookup names to block factories and their providers.

    Build one with :meth:`from_entry_points` (what :func:`get_registry` does) or, in
    tests, with :meth:`from_factories`.
    """

    def __init__(self, plugins: PluginRegistry[_BlockEntry]) -> None:
        self._plugins = plugins

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> BlockRegistry:
        """Discovers the group's entry points, then loads each; failures become warnings."""
        return cls(PluginRegistry.from_entry_points(group, "block", _load, **_OPTIONS))

    @classmethod
    def from_factories(
        cls, factories: Mapping[str, Callable[..., Block]], distribution: str = "test"
    ) -> BlockRegistry:
        """A registry from in-memory factories, without reading entry points."""
        entries = (
            (Provider(name, distribution, "0", repr(factory)), _load(factory))
            for name, factory in factories.items()
        )
        return cls(PluginRegistry("block", entries, **_OPTIONS))

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted lookup names matching the fnmatch ``pattern`` (case-sensitive)."""
        return self._plugins.names(pattern)

    def __contains__(self, name: object) -> bool:
        return name in self._plugins

    def __len__(self) -> int:
        return len(self._plugins)

    def create(self, name: str, **overrides: Any) -> Block:
        """A new block for ``name``; ``None`` overrides are dropped (config defaults)."""
        factory = self._plugins.get(name).factory
        settings = {k: v for k, v in overrides.items() if v is not None}
        if not settings:
            return factory()
        try:
            return factory(**settings)
        except TypeError as exc:
            raise PluginError(f"Block {name!r} rejects the settings {settings}: {exc}") from exc

    def prototype(self, name: str) -> Block:
        """The block for ``name`` with its registered settings (shared: do not mutate)."""
        return self._plugins.get(name).prototype

    def provider(self, name: str) -> Provider:
        """Which distribution and entry point provide ``name``."""
        return self._plugins.provider(name)

    def check(self, names: Iterable[str]) -> None:
        """Raises :class:`UnknownBlockError` for the first name that is not registered."""
        self._plugins.check(names)


_OPTIONS: dict[str, Any] = {
    "listing_hint": LISTING_HINT,
    "unknown_error": UnknownBlockError,
    "duplicate_error": DuplicateBlockError,
}


def _load(factory: object) -> _BlockEntry:
    if not callable(factory):
        raise TypeError(f"{factory!r} is not callable; expected a Block class or variant")
    prototype = factory()
    if not isinstance(prototype, Block):
        raise TypeError(f"calling it returned {type(prototype).__name__}, not a Block")
    return _BlockEntry(factory, prototype)


_cache = CachedRegistry(BlockRegistry.from_entry_points)


def get_registry() -> BlockRegistry:
    """The process-wide registry, loaded from entry points on first use."""
    return _cache.get()


def refresh_registry() -> BlockRegistry:
    """Reloads the registry, e.g. after installing or removing a plugin in this process."""
    return _cache.refresh()


def list_blocks(pattern: str = "*") -> list[str]:
    """Sorted names of the installed blocks that match the fnmatch ``pattern``."""
    return get_registry().names(pattern)


def create_block(name: str, **overrides: Any) -> Block:
    """A new block registered under ``name``, with optional setting overrides."""
    return get_registry().create(name, **overrides)


def block_provider(name: str) -> Provider:
    """The distribution and entry point that provide the block ``name``."""
    return get_registry().provider(name)
