"""Opening a study read-only, for ``torchsearch report``.

The report never creates a database file, a table or a study, and never writes: an
SQLite file is opened in its existing mode with ``query_only`` set (in the WAL mode the
search gives it, reading neither waits for a running search nor holds it up), PostgreSQL
in read-only transactions, and a journal file only read. A storage or study that is not
there is one line naming what is there instead.
"""

from __future__ import annotations

import functools
import sqlite3
import warnings
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from torchsearch._errors import StorageError
from torchsearch._secrets import redact
from torchsearch._storage_location import StorageSettings
from torchsearch._storage_location import database_reason
from torchsearch._storage_location import database_url
from torchsearch._storage_location import journal_path
from torchsearch._storage_location import sqlite_path

if TYPE_CHECKING:
    import optuna

__all__ = ["open_study"]

READ_TIMEOUT_S = 10
"""How long a read waits for a lock (only a database not in WAL mode has one to wait for)."""


def open_study(settings: StorageSettings, run_dir: Path) -> optuna.Study:
    """The study ``settings.study`` of the storage ``settings`` names, opened read-only.

    Raises:
        StorageError: the storage is not there or cannot be read, or holds no such study
            (the message lists the studies it holds).
    """
    import optuna

    storage, where = _open_storage(settings, run_dir)
    try:
        names = sorted(s.study_name for s in storage.get_all_studies())
    except Exception as exc:  # a file that is not an Optuna storage, a server that refuses
        raise StorageError(f"Cannot read the studies of {where}: {database_reason(exc)}.") from exc
    if settings.study not in names:
        held = ", ".join(names) if names else "none"
        raise StorageError(
            f"There is no study {settings.study!r} in {where} (studies there: {held}). Give "
            "the search's own settings, or storage.study=NAME."
        )
    return optuna.load_study(study_name=settings.study, storage=storage)


def _open_storage(
    settings: StorageSettings, run_dir: Path
) -> tuple[optuna.storages.BaseStorage, str]:
    """The storage, opened read-only, and how to name it in a message."""
    import optuna

    if settings.name == "journal":
        path = journal_path(settings, run_dir)
        _check_file(path, "trial journal")
        from optuna.storages.journal import JournalFileBackend

        try:  # reads the whole journal; the backend writes (and locks) only to append
            return optuna.storages.JournalStorage(JournalFileBackend(str(path))), str(path)
        except Exception as exc:
            raise StorageError(f"Cannot read the trial journal {path}: {exc}.") from exc
    url = database_url(settings, run_dir)
    path = sqlite_path(url)
    if path is not None:
        _check_file(path, "trial database")
    where = str(path) if path is not None else redact(url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            storage = optuna.storages.RDBStorage(
                url, engine_kwargs=_read_only_engine(url, path), skip_table_creation=True
            )
    except Exception as exc:
        raise StorageError(
            f"Cannot read the trial database {where}: {database_reason(exc)}. Check "
            "storage.url (an SQLite file or a database a search wrote)."
        ) from exc
    return storage, where


def _check_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise StorageError(
            f"There is no {what} at {path}: run the search first, or give the search's own "
            "settings (storage=..., storage.url=..., storage.study=..., hydra.run.dir=...)."
        )


def _read_only_engine(url: str, path: Path | None) -> dict[str, Any]:
    """SQLAlchemy engine options that make every connection read-only."""
    if path is not None:
        return {"creator": functools.partial(_connect_sqlite, path)}
    if url.startswith("postgresql"):
        options = "-c default_transaction_read_only=on"
        return {"connect_args": {"options": options, "connect_timeout": 10}}
    return {}


def _connect_sqlite(path: Path) -> sqlite3.Connection:
    """A connection that cannot create the file (``mode=rw``) nor write to it
    (``query_only``); the last connection to close still tidies the WAL files away."""
    connection = sqlite3.connect(
        f"{path.as_uri()}?mode=rw", uri=True, timeout=READ_TIMEOUT_S, check_same_thread=False
    )
    connection.execute("PRAGMA query_only=ON")
    return connection
