"""Helpers for driving whole searches: composed configs in-process, the CLI in a subprocess."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

import optuna
import sqlalchemy.exc
from hydra import compose
from hydra import initialize_config_module
from omegaconf import DictConfig

# Run commands from here, so that ``python -m torchsearch`` imports the installed package
# and not the source tree of the working directory (conf/ is only inside the former).
OUTSIDE_SOURCE_TREE = Path(tempfile.gettempdir())

# Small and fast: a few one-epoch trials of shallow towers.
FAST = ("search.n_trials=3", "trainer.max_epochs=1", "space.maximum_depth=2")


def compose_config(*overrides: str, fast: bool = True) -> DictConfig:
    """The composed config for ``overrides`` (after the fast settings unless ``fast`` is
    false), as the command line would give it."""
    with initialize_config_module("torchsearch.conf", version_base="1.3"):
        return compose(config_name="config", overrides=[*(FAST if fast else ()), *overrides])


def run_cli(
    run_dir: Path,
    *overrides: str,
    fast: bool = True,
    timeout: float = 300,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m torchsearch`` with ``overrides`` into ``run_dir`` (``env``: extra
    environment variables)."""
    args = [sys.executable, "-m", "torchsearch", f"hydra.run.dir={run_dir}"]
    args += [*(FAST if fast else ()), *overrides]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=OUTSIDE_SOURCE_TREE,
    )


def start_cli(
    run_dir: Path, *overrides: str, stdout: int | None = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """Starts ``python -m torchsearch`` (fast settings, then ``overrides``) into
    ``run_dir`` without waiting; its standard error is captured (and its standard output
    when ``stdout=subprocess.PIPE``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "torchsearch", f"hydra.run.dir={run_dir}", *FAST, *overrides],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        cwd=OUTSIDE_SOURCE_TREE,
    )


def dead_pid() -> int:
    """The process id of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def wait_for_finished_trials(
    worker: subprocess.Popen[str],
    trials: Callable[[], Sequence[optuna.trial.FrozenTrial]],
    count: int,
    timeout: float = 120,
) -> None:
    """Waits until ``trials()`` holds ``count`` COMPLETE trials; kills ``worker`` and
    fails the test if that takes longer than ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        finished = [t for t in trials() if t.state is optuna.trial.TrialState.COMPLETE]
        if len(finished) >= count:
            return
        if worker.poll() is not None:
            break
        time.sleep(0.2)
    worker.kill()
    _, err = worker.communicate()
    raise AssertionError(f"{count} trials did not complete within {timeout} s: {err}")


def trials_in(run_dir: Path, study: str | None = None) -> Sequence[optuna.trial.FrozenTrial]:
    """The trials in the run folder's default SQLite storage (none if it does not exist).

    Safe to poll while a worker starts: it never creates tables (the worker's and the
    reader's check-then-create would race), and tables not yet created mean no trials.
    """
    path = run_dir / "trials.db"
    if not path.exists() or not _tables_written(path):
        return []
    try:
        # Inside the try: the constructor reads ``version_info`` too, which a worker that
        # has just created the file may not have written yet.
        storage = optuna.storages.RDBStorage(
            f"sqlite:///{path}", skip_table_creation=True, skip_compatibility_check=True
        )
        studies = optuna.get_all_study_names(storage)
        if not studies:
            return []
        return optuna.load_study(study_name=study or studies[0], storage=storage).trials
    except (sqlalchemy.exc.OperationalError, optuna.exceptions.StorageInternalError) as exc:
        # Optuna wraps the driver's error; the worker may be half way through creating
        # the tables (``version_info`` is among the last).
        if any("no such table" in str(e) for e in (exc, exc.__cause__, exc.__context__)):
            return []
        raise


def _tables_written(path: Path) -> bool:
    """Whether a worker has finished creating the database: Optuna stamps the schema
    version last, and a reader that finds it missing stamps it itself, racing the
    worker's own insert (a UNIQUE constraint error under load)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                return False
            return db.execute("SELECT count(*) FROM alembic_version").fetchone()[0] > 0
    except sqlite3.OperationalError:  # locked, or half written
        return False
