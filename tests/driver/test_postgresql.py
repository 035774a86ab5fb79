"""Searches on a PostgreSQL server: shared by concurrent workers, resumed, a clear
error when the server cannot be reached or goes away mid-run, and its password written
nowhere.

The server is the one ``TORCHSEARCH_TEST_POSTGRESQL_URL`` names (``.ci/postgresql``
starts a local one and prints its URL; ``.ci/run`` does so before nox); without it the
tests that need a server skip. Each test searches its own study (``pg-<uuid>``) and
deletes it afterwards, so reruns against the same database never collide.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from cli_helpers import run_cli
from cli_helpers import start_cli
from cli_helpers import wait_for_finished_trials
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from torchsearch._secrets import STORAGE_URL_VARIABLE
from torchsearch.trials import Key

pytestmark = pytest.mark.slow

URL_VARIABLE = "TORCHSEARCH_TEST_POSTGRESQL_URL"
NO_SERVER = f"no PostgreSQL server: set {URL_VARIABLE} (.ci/postgresql starts one)"


@pytest.fixture
def postgresql_url() -> str:
    """The test server's URL, or a skip that says how to get one."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        pytest.skip(NO_SERVER)
    return url


@pytest.fixture
def study_name(postgresql_url: str) -> Iterator[str]:
    """A study name no other run uses; the study is deleted after the test."""
    name = f"pg-{uuid.uuid4()}"
    yield name
    storage = optuna.storages.RDBStorage(postgresql_url)
    try:
        with contextlib.suppress(KeyError):  # the run failed before creating it
            optuna.delete_study(study_name=name, storage=storage)
    finally:
        storage.engine.dispose()


def _storage(url: str, study: str) -> tuple[str, ...]:
    return ("storage=postgresql", f"storage.url={url}", f"storage.study={study}")


def _trials(url: str, study: str) -> list[FrozenTrial]:
    """The study's trials (none before a worker has created it)."""
    storage = optuna.storages.RDBStorage(url)
    try:
        return optuna.load_study(study_name=study, storage=storage).get_trials(deepcopy=False)
    except KeyError:
        return []
    finally:
        storage.engine.dispose()


def _complete(trials: list[FrozenTrial]) -> list[FrozenTrial]:
    return [t for t in trials if t.state is TrialState.COMPLETE]


def test_two_workers_share_a_study_and_its_checkpoints(
    postgresql_url: str, study_name: str, tmp_path: Path
) -> None:
    artifacts = tmp_path / "artifacts"
    workers = [
        start_cli(
            tmp_path / f"worker{i}",
            *_storage(postgresql_url, study_name),
            f"storage.artifacts={artifacts}",
            "search.n_trials=4",
        )
        for i in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    trials = _trials(postgresql_url, study_name)
    complete = _complete(trials)
    assert len(complete) >= 4
    assert len({t.number for t in trials}) == len(trials)
    for t in complete:
        assert (artifacts / t.user_attrs[Key.CHECKPOINT.value]).is_file(), t.number
    assert len(complete) == 4  # the budget holds across workers


def test_an_unreachable_server_is_one_line_with_the_password_masked(tmp_path: Path) -> None:
    # No server needed: nothing listens on port 1.
    url = "postgresql://u:secretpw@127.0.0.1:1/db"
    result = run_cli(tmp_path, "storage=postgresql", f"storage.url={url}")
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("torchsearch: error: "), result.stderr
    assert "postgresql://u:***@127.0.0.1:1/db" in lines[0]
    assert "secretpw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


class _Relay:
    """A TCP relay to the server that can be cut: the server as a worker sees it when
    it stops (open connections reset, new ones refused)."""

    def __init__(self, host: str, port: int) -> None:
        self._server = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # cut
                return
            upstream = socket.create_connection(self._server)
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._copy, args=(source, sink), daemon=True).start()

    @staticmethod
    def _copy(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)

    def cut(self) -> None:
        """Stops listening and resets every open connection."""
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_a_server_gone_mid_run_is_one_line_and_keeps_the_finished_trials(
    postgresql_url: str, study_name: str, tmp_path: Path
) -> None:
    parts = urllib.parse.urlsplit(postgresql_url)
    relay = _Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
    relayed = parts._replace(netloc=parts.netloc.replace(f"{parts.port}", f"{relay.port}"))
    worker = start_cli(tmp_path, *_storage(relayed.geturl(), study_name), "search.n_trials=1000")
    try:
        wait_for_finished_trials(worker, lambda: _trials(postgresql_url, study_name), 2)
    finally:
        relay.cut()
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 1, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("torchsearch: error: Lost the trial database"), err
    assert "finished trials are kept" in lines[-1].lower(), err
    assert parts.password not in err
    finished = _complete(_trials(postgresql_url, study_name))
    assert len(finished) >= 2
    for trial in finished:
        assert (tmp_path / "artifacts" / trial.user_attrs[Key.CHECKPOINT.value]).is_file()


def test_a_search_resumes_from_the_server(
    postgresql_url: str, study_name: str, tmp_path: Path
) -> None:
    storage = _storage(postgresql_url, study_name)
    first = run_cli(tmp_path, *storage, "search.n_trials=2")
    assert first.returncode == 0, first.stderr
    before = {
        t.number: t.datetime_complete for t in _complete(_trials(postgresql_url, study_name))
    }
    assert len(before) == 2
    second = run_cli(tmp_path, *storage, "search.n_trials=3")
    assert second.returncode == 0, second.stderr
    after = {t.number: t.datetime_complete for t in _complete(_trials(postgresql_url, study_name))}
    assert len(after) == 3
    assert {n: after[n] for n in before} == before  # kept, not trained again


def _everything_recorded(url: str, study: str) -> str:
    """The study's and its trials' attributes, as one text."""
    storage = optuna.storages.RDBStorage(url)
    try:
        loaded = optuna.load_study(study_name=study, storage=storage)
        study_id = storage.get_study_id_from_name(study)
        parts: list[object] = [loaded.user_attrs, storage.get_study_system_attrs(study_id)]
        for trial in loaded.get_trials(deepcopy=False):
            parts += [trial.user_attrs, trial.system_attrs, trial.params]
        return json.dumps(parts, default=str)
    finally:
        storage.engine.dispose()


def test_the_password_is_written_nowhere(
    postgresql_url: str, study_name: str, tmp_path: Path
) -> None:
    password = urllib.parse.urlsplit(postgresql_url).password or ""
    user = urllib.parse.urlsplit(postgresql_url).username or ""
    if len(password) < 8 or password in postgresql_url.replace(f":{password}@", "@"):
        pytest.skip("the server's password is too plain to search for (.ci/postgresql sets one)")
    masked = postgresql_url.replace(f":{password}@", ":***@")
    run_dir = tmp_path / "run"
    # From the environment variable, as docs/parallel.md recommends...
    by_variable = run_cli(
        run_dir,
        "storage=postgresql",
        f"storage.study={study_name}",
        "search.n_trials=2",
        env={STORAGE_URL_VARIABLE: postgresql_url},
    )
    assert by_variable.returncode == 0, by_variable.stderr
    # ... and on the command line, then three failures: torchsearch's own error, a
    # setting of the wrong type that repeats the value, and a database that refuses the
    # login.
    on_command_line = run_cli(run_dir, *_storage(postgresql_url, study_name), "search.n_trials=3")
    assert on_command_line.returncode == 0, on_command_line.stderr
    failures = [
        run_cli(run_dir, *_storage(postgresql_url, study_name), "search.n_trials=0"),
        run_cli(
            run_dir,
            *_storage(postgresql_url, study_name),
            f"storage.grace_period={postgresql_url}",
        ),
        run_cli(
            run_dir,
            "storage=postgresql",
            f"storage.url={postgresql_url.replace(f'{user}:', 'nobody:')}",
            f"storage.study={study_name}",
        ),
    ]
    for failed in failures:
        assert failed.returncode != 0, failed.stdout
        assert "Traceback" not in failed.stderr, failed.stderr
    assert "postgresql://" in failures[1].stderr and ":***@" in failures[1].stderr
    assert masked.replace(f"{user}:", "nobody:") in failures[2].stderr
    assert masked in (run_dir / "best.json").read_text()
    said = [r.stdout + r.stderr for r in (by_variable, on_command_line, *failures)]
    assert not [text for text in said if password in text]
    files = [f for f in run_dir.rglob("*") if f.is_file()]
    assert {".hydra/config.yaml", "best.json", "torchsearch.log"} <= {
        f.relative_to(run_dir).as_posix() for f in files
    }
    assert not [f for f in files if password.encode() in f.read_bytes()]
    assert password not in _everything_recorded(postgresql_url, study_name)
    settings = [*run_dir.glob(".hydra/*.yaml"), run_dir / "best.json", run_dir / "torchsearch.log"]
    assert {oct(f.stat().st_mode & 0o777) for f in settings} == {"0o600"}
