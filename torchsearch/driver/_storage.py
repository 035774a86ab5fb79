"""Opening the trial database (an Optuna storage) and the checkpoint store.

Everything a later trial, another worker or a report needs lives here, so a killed
worker loses at most the trial it was running (docs/architecture.md, "The trial record").
"""

from __future__ import annotations

import functools
import sqlite3
import time
import warnings
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy.exc
from optuna.artifacts import FileSystemArtifactStore

from torchsearch._errors import StorageError
from torchsearch._errors import StorageLostError
from torchsearch._secrets import redact
from torchsearch._storage_location import StorageSettings
from torchsearch._storage_location import database_reason
from torchsearch._storage_location import database_url
from torchsearch._storage_location import journal_path
from torchsearch._storage_location import sqlite_path

CREATE_ATTEMPTS = 5
SQLITE_LOCK_TIMEOUT = 60

__all__ = [
    "DATABASE_ERRORS",
    "StorageSettings",
    "artifact_folder",
    "open_artifact_store",
    "open_storage",
    "storage_lost",
]

DATABASE_ERRORS = (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError)
"""What a storage call raises when the database goes away or refuses mid-run."""


def open_storage(settings: StorageSettings, run_dir: Path) -> optuna.storages.BaseStorage:
    """Connects to the trial database, creating its tables or file if needed.

    Raises:
        StorageError: the database cannot be reached, opened or created.
    """
    if settings.name == "journal":
        return _open_journal(settings, run_dir)
    url = database_url(settings, run_dir)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    heartbeat: dict[str, Any] = {}
    if settings.heartbeat_interval:
        heartbeat = {
            "heartbeat_interval": int(settings.heartbeat_interval),
            "grace_period": int(settings.grace_period or 2 * settings.heartbeat_interval),
            "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=1
            ),
        }
    for attempt in range(CREATE_ATTEMPTS):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # heartbeat options are experimental
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=_engine_options(url), **heartbeat
                )
        except Exception as exc:  # SQLAlchemy and driver errors are many: "cannot use it"
            if attempt + 1 < CREATE_ATTEMPTS and _is_creation_race(exc):
                # Workers started together race to create the tables; the loser retries.
                time.sleep(0.2 * (attempt + 1))
                continue
            raise StorageError(
                f"Cannot open the trial database {redact(url)}: {database_reason(exc)}. Check "
                "storage.url (and that the database server runs and accepts this user)."
            ) from exc
    raise AssertionError("unreachable")


def artifact_folder(settings: StorageSettings, run_dir: Path) -> Path:
    """The folder of the checkpoint store (``storage.artifacts``, or one in the run folder)."""
    return (Path(settings.artifacts) if settings.artifacts else run_dir / "artifacts").resolve()


def open_artifact_store(settings: StorageSettings, run_dir: Path) -> FileSystemArtifactStore:
    """The folder where trial checkpoints are kept, created if needed."""
    folder = artifact_folder(settings, run_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"Cannot create the checkpoint folder {folder}: {exc.strerror}. "
            "Set storage.artifacts to a writable folder."
        ) from exc
    return FileSystemArtifactStore(str(folder.resolve()))


def storage_lost(
    exc: BaseException, settings: StorageSettings, run_dir: Path
) -> StorageLostError | None:
    """The one-line error of a database lost mid-run, or ``None`` for another error."""
    if not isinstance(exc, DATABASE_ERRORS):
        return None
    # Optuna wraps the driver's error in a generic one ("... e.g. exceeding max
    # length"); the database's own words are at the bottom of the chain.
    cause: BaseException = exc
    while isinstance(cause.__cause__ or cause.__context__, DATABASE_ERRORS):
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    where = redact(settings.url or str(run_dir / "trials.db"))
    reason = database_reason(cause)
    back = "it is writable" if "readonly" in reason.replace("-", "") else "the database is back"
    return StorageLostError(
        f"Lost the trial database {where}: {reason}. Finished trials are kept; rerun the "
        f"same command once {back} (a trial left running is failed and retried after "
        "storage.grace_period)."
    )


def _open_journal(settings: StorageSettings, run_dir: Path) -> optuna.storages.BaseStorage:
    from optuna.storages.journal import JournalFileBackend

    path = journal_path(settings, run_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    except OSError as exc:
        raise StorageError(
            f"Cannot open the journal file {path}: {exc.strerror}. Check storage.url."
        ) from exc


def _is_creation_race(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(m in text for m in ("unique constraint", "already exists", "database is locked"))


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite:////"):
        return {"creator": functools.partial(_connect_sqlite, url[len("sqlite:///") :])}
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_LOCK_TIMEOUT}}
    if url.startswith("postgresql"):
        # As SQLite's WAL with synchronous=NORMAL (see _connect_sqlite): a commit does not
        # wait for the server's disk (9 ms a write measured on loopback, 4 ms without);
        # a server crash can lose the last fraction of a second of commits, never
        # corrupt the database. It is this session's setting only.
        # A server that went away is an error within seconds, not a hang: connecting
        # gives up after 10 s, and keepalives find a dead connection within 30 s.
        options = {
            "options": "-c synchronous_commit=off",
            "connect_timeout": 10,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 4,
        }
        return {"pool_pre_ping": True, "connect_args": options}
    return {"pool_pre_ping": True}


def _connect_sqlite(path: str) -> sqlite3.Connection:
    """A connection to the SQLite file in write-ahead-log mode.

    A trial makes some thirty small writes (attributes, heartbeats, its state); with
    SQLite's default rollback journal each commit waits for the disk (about 5 ms here),
    which on tiny candidates cost more than the training. In WAL mode with
    ``synchronous=NORMAL`` a commit only appends to the log: a crashed or killed worker
    still loses nothing committed; a power cut can lose the last commits, never corrupt
    the file. Readers and one writer no longer block each other, which suits several
    workers on one file. Several workers wait up to a minute for a lock rather than fail.
    """
    connection = sqlite3.connect(path, timeout=SQLITE_LOCK_TIMEOUT, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection
