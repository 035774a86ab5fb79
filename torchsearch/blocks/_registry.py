"""The block registry: every block, torchsearch's own included, comes from an entry point.

Loading is done in two phases (STYLE.md rule 2): discovery reads the installed
distributions' metadata for the group ``torchsearch.blocks`` without importing anything,
then each entry point is imported. A plugin that fails to load costs a warning, never
the rest of the registry; two distributions claiming one name is an error naming both.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib.metadata
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torchsearch._errors import DuplicateBlockError
from torchsearch._errors import PluginError
from torchsearch._errors import UnknownBlockError
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


class PluginLoadWarning(UserWarning):
    """A block plugin could not be loaded; the other blocks remain available."""


@dataclass(frozen=True)
class BlockProvider:
    """Where a registered block comes from.

    Args:
        name: the block's lookup name.
        distribution: the installed distribution that declares it (e.g. ``torchsearch``).
        version: that distribution's version.
        target: the entry point's ``module:attribute``.
    """

    name: str
    distribution: str
    version: str
    target: str

    def __str__(self) -> str:
        return f"{self.distribution} {self.version} ({self.name} = {self.target})"


@dataclass(frozen=True)
class _Entry:
    provider: BlockProvider
    factory: Callable[..., Block]
    prototype: Block


class BlockRegistry:
    """An immutable map from lookup names to block factories and their providers.

    Build one with :meth:`from_entry_points` (what :func:`get_registry` does) or, in
    tests, with :meth:`from_factories`.
    """

    def __init__(self, entries: Iterable[_Entry]) -> None:
        by_name: dict[str, _Entry] = {}
        for entry in entries:
            name = entry.provider.name
            if name in by_name:
                raise DuplicateBlockError(
                    f"Block name {name!r} is provided twice: by {by_name[name].provider} and "
                    f"by {entry.provider}. Uninstall one of the two distributions, or rename "
                    "the entry point in the plugin's pyproject.toml."
                )
            by_name[name] = entry
        self._entries = dict(sorted(by_name.items()))

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> BlockRegistry:
        """Discovers the group's entry points, then loads each; failures become warnings."""
        discovered = sorted(
            importlib.metadata.entry_points(group=group),
            key=lambda ep: (ep.name, _distribution_name(ep)),
        )
        entries: list[_Entry] = []
        failures: dict[str, list[str]] = {}
        for ep in discovered:
            try:
                entries.append(_load(ep))
            except Exception as exc:
                failures.setdefault(_distribution_label(ep), []).append(
                    f"entry point {ep.name} = {ep.value}: {type(exc).__name__}: {exc}"
                )
        for distribution, problems in failures.items():
            warnings.warn(
                f"torchsearch could not load {len(problems)} block(s) from distribution "
                f"{distribution} ({'; '.join(problems)}). The other blocks work; fix, "
                "upgrade or uninstall that distribution.",
                PluginLoadWarning,
                stacklevel=3,
            )
        return cls(entries)

    @classmethod
    def from_factories(
        cls, factories: Mapping[str, Callable[..., Block]], distribution: str = "test"
    ) -> BlockRegistry:
        """A registry from in-memory factories, without reading entry points."""
        return cls(
            _make_entry(BlockProvider(name, distribution, "0", repr(factory)), factory)
            for name, factory in factories.items()
        )

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted lookup names matching the fnmatch ``pattern`` (case-sensitive)."""
        return [n for n in self._entries if fnmatch.fnmatchcase(n, pattern)]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def create(self, name: str, **overrides: Any) -> Block:
        """A new block for ``name``; ``None`` overrides are dropped (config defaults)."""
        entry = self._entry(name)
        settings = {k: v for k, v in overrides.items() if v is not None}
        if not settings:
            return entry.factory()
        try:
            return entry.factory(**settings)
        except TypeError as exc:
            raise PluginError(f"Block {name!r} rejects the settings {settings}: {exc}") from exc

    def prototype(self, name: str) -> Block:
        """The block for ``name`` with its registered settings (shared: do not mutate)."""
        return self._entry(name).prototype

    def provider(self, name: str) -> BlockProvider:
        """Which distribution and entry point provide ``name``."""
        return self._entry(name).provider

    def check(self, names: Iterable[str]) -> None:
        """Raises :class:`UnknownBlockError` for the first name that is not registered."""
        for name in names:
            self._entry(name)

    def _entry(self, name: str) -> _Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownBlockError(self._unknown_message(name)) from None

    def _unknown_message(self, name: str) -> str:
        upper = str(name).upper()
        close = difflib.get_close_matches(upper, self._entries, n=5, cutoff=0.6)
        if not close:
            close = [n for n in self._entries if upper and upper in n][:5]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return (
            f"Unknown block {name!r}.{hint} {len(self)} blocks are installed: list them with "
            "`python -m torchsearch.blocks`, or install the plugin that provides it."
        )


def _load(ep: importlib.metadata.EntryPoint) -> _Entry:
    factory = ep.load()
    provider = BlockProvider(
        ep.name, _distribution_name(ep), ep.dist.version if ep.dist else "?", ep.value
    )
    return _make_entry(provider, factory)


def _make_entry(provider: BlockProvider, factory: Any) -> _Entry:
    if not callable(factory):
        raise TypeError(f"{factory!r} is not callable; expected a Block class or variant")
    prototype = factory()
    if not isinstance(prototype, Block):
        raise TypeError(f"calling it returned {type(prototype).__name__}, not a Block")
    return _Entry(provider, factory, prototype)


def _distribution_name(ep: importlib.metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "<unknown distribution>"


def _distribution_label(ep: importlib.metadata.EntryPoint) -> str:
    version = f" {ep.dist.version}" if ep.dist is not None else ""
    return f"'{_distribution_name(ep)}{version}'"


_registry: BlockRegistry | None = None


def get_registry() -> BlockRegistry:
    """The process-wide registry, loaded from entry points on first use."""
    global _registry
    if _registry is None:
        _registry = BlockRegistry.from_entry_points()
    return _registry


def refresh_registry() -> BlockRegistry:
    """Reloads the registry, e.g. after installing or removing a plugin in this process."""
    global _registry
    importlib.invalidate_caches()
    _registry = None
    return get_registry()


def list_blocks(pattern: str = "*") -> list[str]:
    """Sorted names of the installed blocks that match the fnmatch ``pattern``."""
    return get_registry().names(pattern)


def create_block(name: str, **overrides: Any) -> Block:
    """A new block registered under ``name``, with optional setting overrides."""
    return get_registry().create(name, **overrides)


def block_provider(name: str) -> BlockProvider:
    """The distribution and entry point that provide the block ``name``."""
    return get_registry().provider(name)
