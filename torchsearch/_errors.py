"""The exception hierarchy: one root, one subclass per kind of user-facing problem.

The command line turns any :class:`TorchSearchError` into a single line naming the
problem and its fix, and a non-zero exit; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "DuplicateBlockError",
    "PluginError",
    "StorageError",
    "StorageLostError",
    "TorchSearchError",
    "UnknownBlockError",
    "caused_by_interrupt",
]


class TorchSearchError(Exception):
    """Root of every error torchsearch raises on purpose."""


class ConfigError(TorchSearchError):
    """A setting, an architecture or a combination of them cannot work."""


class DataError(TorchSearchError):
    """A data set is missing, unreadable or unusable for a search."""


class StorageError(TorchSearchError):
    """The trial database or the artifact store cannot be reached or used."""


class StorageLostError(StorageError):
    """The trial database or the checkpoint folder went away mid-run: no later trial
    can be recorded, so the run stops (where a trial's own problem fails that trial
    only)."""


class PluginError(TorchSearchError):
    """A plugin (block, searcher, data set) is invalid, conflicting or missing."""


class DuplicateBlockError(PluginError):
    """Two installed distributions provide a block under the same name."""


class UnknownBlockError(PluginError, LookupError):
    """No installed distribution provides a block of the requested name."""

    def __str__(self) -> str:  # LookupError would quote the message like a key.
        return str(self.args[0]) if self.args else ""


def caused_by_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` came out of a Ctrl-C: an interrupt in the middle of a database
    call can surface as the error of the clean-up that followed it."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return False
