"""Where a run's trial database is: the ``storage`` settings and the URL or file they name.

Light (no Optuna, no SQLAlchemy), so that the search, which opens the storage to write,
and ``torchsearch report``, which opens it read-only, resolve the same settings to the
same database (README, "Seeing what the search found").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch._names import check_study_name
from torchsearch._secrets import STORAGE_URL_VARIABLE

__all__ = [
    "SQLITE_PREFIX",
    "StorageSettings",
    "database_reason",
    "database_url",
    "journal_path",
    "sqlite_path",
]

SQLITE_PREFIX = "sqlite:///"
"""How an SQLite URL begins; a fourth slash starts an absolute path."""


@dataclass(frozen=True)
class StorageSettings:
    """The ``storage`` config group.

    Args:
        name: ``sqlite``, ``journal`` or ``postgresql`` (any SQLAlchemy URL works as ``url``).
        url: the database URL or journal path; ``None`` puts a file in the run folder.
        study: the study name; rerunning with the same name resumes the study.
        artifacts: the checkpoint folder; ``None`` is ``<run folder>/artifacts``.
        heartbeat_interval: seconds between heartbeats of a running trial (the RDB
            storage's own; on the journal, the trial's heartbeat attribute).
        grace_period: seconds without a heartbeat before a trial counts as dead.
    """

    name: str
    url: str | None
    study: str
    artifacts: str | None = None
    heartbeat_interval: int | None = 60
    grace_period: int | None = 180

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> StorageSettings:
        """Reads the ``storage`` group; a server storage must name its URL."""
        settings = cls(**{k: cfg.get(k) for k in cls.__dataclass_fields__ if k in cfg})
        check_study_name(settings.study)
        if settings.name == "postgresql" and not settings.url:
            raise ConfigError(
                f"storage=postgresql needs the database's URL: export {STORAGE_URL_VARIABLE}="
                "postgresql://user:password@host/db (kept out of every file), or pass "
                "storage.url=..."
            )
        return settings


def database_url(settings: StorageSettings, run_dir: Path) -> str:
    """The SQLAlchemy URL of a database storage; an SQLite path made absolute (three
    slashes make a path relative to the working directory: docs/library_notes.md,
    "Optuna"), ``<run folder>/trials.db`` when no URL is set."""
    url = settings.url or f"{SQLITE_PREFIX}{(run_dir / 'trials.db').resolve()}"
    if url.startswith(SQLITE_PREFIX) and not url.startswith(f"{SQLITE_PREFIX}/"):
        url = f"{SQLITE_PREFIX}{Path(url[len(SQLITE_PREFIX) :]).resolve()}"
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of an absolute SQLite URL (as :func:`database_url` gives), else ``None``."""
    if url.startswith(f"{SQLITE_PREFIX}/"):
        return Path(url[len(SQLITE_PREFIX) :])
    return None


def journal_path(settings: StorageSettings, run_dir: Path) -> Path:
    """The journal file of ``storage=journal``: ``storage.url``, or one in the run folder."""
    return (Path(settings.url) if settings.url else run_dir / "trials.journal").resolve()


def database_reason(exc: BaseException) -> str:
    """The first line of what the database (or its driver) said, under SQLAlchemy's and
    Optuna's wrapping."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
