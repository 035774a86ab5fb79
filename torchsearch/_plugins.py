"""Entry-point plugin registries, shared by blocks, data sets and search algorithms.

Loading is done in two phases: discovery reads the installed distributions' metadata
for a group without importing anything, then each entry point is imported and checked.
A plugin that fails to load costs a warning naming its distribution, entry point and
cause, never the rest of the registry; two distributions claiming one name is an error
naming both; an unknown name is an error listing the closest installed names.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import importlib.metadata
import warnings
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic
from typing import TypeVar

from torchsearch._errors import PluginError

__all__ = ["CachedRegistry", "PluginLoadWarning", "PluginRegistry", "Provider"]

T = TypeVar("T")
R = TypeVar("R")


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; the other plugins remain available."""


@dataclass(frozen=True)
class Provider:
    """Where a registered plugin comes from.

    Args:
        name: the lookup name (the entry point's name).
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


class PluginRegistry(Generic[T]):
    """An immutable map from lookup names to loaded plugins and their providers.

    Args:
        kind: what the plugins are, for messages ("block", "data set", ...).
        entries: ``(provider, plugin)`` pairs.
        listing_hint: how a user lists the installed names, for messages.
        unknown_error: the exception type raised for an unknown name.
        duplicate_error: the exception type raised for a name provided twice.
    """

    def __init__(
        self,
        kind: str,
        entries: Iterable[tuple[Provider, T]],
        listing_hint: str = "",
        unknown_error: type[PluginError] = PluginError,
        duplicate_error: type[PluginError] = PluginError,
    ) -> None:
        self.kind = kind
        self._listing_hint = listing_hint
        self._unknown_error = unknown_error
        by_name: dict[str, tuple[Provider, T]] = {}
        for provider, plugin in entries:
            if provider.name in by_name:
                raise duplicate_error(
                    f"{kind.capitalize()} name {provider.name!r} is provided twice: by "
                    f"{by_name[provider.name][0]} and by {provider}. Uninstall one of the two "
                    "distributions, or rename the entry point in the plugin's pyproject.toml."
                )
            by_name[provider.name] = (provider, plugin)
        self._entries = dict(sorted(by_name.items()))

    @classmethod
    def from_entry_points(
        cls,
        group: str,
        kind: str,
        load: Callable[[object], T],
        **kwargs: object,
    ) -> PluginRegistry[T]:
        """Discovers ``group``'s entry points, then loads each through ``load``.

        ``load`` turns the imported object into the plugin, raising any exception when it
        is not a valid one; such failures become one :class:`PluginLoadWarning` per
        distribution.
        """
        discovered = sorted(
            importlib.metadata.entry_points(group=group),
            key=lambda ep: (ep.name, _distribution_name(ep)),
        )
        entries: list[tuple[Provider, T]] = []
        failures: dict[str, list[str]] = {}
        for ep in discovered:
            try:
                entries.append((_provider(ep), load(ep.load())))
            except Exception as exc:  # a broken plugin must not stop the rest
                failures.setdefault(_distribution_label(ep), []).append(
                    f"entry point {ep.name} = {ep.value}: {type(exc).__name__}: {exc}"
                )
        for distribution, problems in failures.items():
            warnings.warn(
                f"torchsearch could not load {len(problems)} {kind}(s) from distribution "
                f"{distribution} ({'; '.join(problems)}). The other {kind}s work; fix, "
                "upgrade or uninstall that distribution.",
                PluginLoadWarning,
                stacklevel=3,
            )
        return cls(kind, entries, **kwargs)  # type: ignore[arg-type]

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted lookup names matching the fnmatch ``pattern`` (case-sensitive)."""
        return [n for n in self._entries if fnmatch.fnmatchcase(n, pattern)]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, name: str) -> T:
        """The loaded plugin registered under ``name``."""
        return self._lookup(name)[1]

    def provider(self, name: str) -> Provider:
        """Which distribution and entry point provide ``name``."""
        return self._lookup(name)[0]

    def check(self, names: Iterable[str]) -> None:
        """Raises the unknown-name error for the first name that is not registered."""
        for name in names:
            self._lookup(name)

    def _lookup(self, name: str) -> tuple[Provider, T]:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise self._unknown_error(self.unknown_message(name)) from None

    def unknown_message(self, name: object) -> str:
        """The one-line message for an unknown name, with the closest installed names."""
        text = str(name)
        by_upper = {n.upper(): n for n in self._entries}
        close = difflib.get_close_matches(text.upper(), by_upper, n=5, cutoff=0.6)
        if not close:
            close = [n for n in by_upper if text and text.upper() in n][:5]
        hint = f" Did you mean {', '.join(by_upper[c] for c in close)}?" if close else ""
        listing = f": list them with {self._listing_hint}" if self._listing_hint else ""
        if len(self) <= 12:
            listing = f" ({', '.join(self._entries) or 'none'})"
        return (
            f"Unknown {self.kind} {text!r}.{hint} {len(self)} {self.kind}s are installed"
            f"{listing}; or install the plugin that provides it."
        )


def _provider(ep: importlib.metadata.EntryPoint) -> Provider:
    version = ep.dist.version if ep.dist is not None else "?"
    return Provider(ep.name, _distribution_name(ep), version, ep.value)


def _distribution_name(ep: importlib.metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "<unknown distribution>"


def _distribution_label(ep: importlib.metadata.EntryPoint) -> str:
    version = f" {ep.dist.version}" if ep.dist is not None else ""
    return f"'{_distribution_name(ep)}{version}'"


class CachedRegistry(Generic[R]):
    """A process-wide registry, built from the entry points on first use.

    Args:
        build: reads the entry points and returns the registry.
    """

    def __init__(self, build: Callable[[], R]) -> None:
        self._build = build
        self._registry: R | None = None

    def get(self) -> R:
        """The registry, built on the first call."""
        if self._registry is None:
            self._registry = self._build()
        return self._registry

    def forget(self) -> None:
        """Drops the registry; the next :meth:`get` reads the entry points again."""
        importlib.invalidate_caches()
        self._registry = None

    def refresh(self) -> R:
        """Reads the entry points again now, e.g. after a plugin was (un)installed."""
        self.forget()
        return self.get()
