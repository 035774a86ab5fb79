"""Faults a shared search meets: its folder moved mid-run, its database made read-only,
and workers that died mid-trial, on this host or another. Each ends in one line or is
cleaned up by the next run of the same command, and no finished trial is lost."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from cli_helpers import dead_pid
from cli_helpers import run_cli
from cli_helpers import start_cli
from cli_helpers import trials_in
from cli_helpers import wait_for_finished_trials
from optuna.trial import TrialState

from torchsearch.driver import _budget
from torchsearch.driver import _loop

pytestmark = pytest.mark.slow


def test_a_run_folder_moved_mid_run_is_one_line_and_keeps_the_finished_trials(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    worker = start_cli(run_dir, "search.n_trials=100000")
    wait_for_finished_trials(worker, lambda: trials_in(run_dir), 2)
    moved = tmp_path / "moved"
    run_dir.rename(moved)
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 1, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("torchsearch: error: "), err
    assert "finished trials are kept" in last, last
    finished = [t for t in trials_in(moved) if t.state is TrialState.COMPLETE]
    assert len(finished) >= 2
    for trial in finished:
        assert (moved / "artifacts" / trial.user_attrs["checkpoint"]).is_file()


@contextlib.contextmanager
def _unwritable(path: Path) -> Iterator[None]:
    """``path`` made unwritable for this user: its mode for a user, its immutable
    attribute for root, whom modes do not stop (a skip where neither can be set)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"root cannot make {path} unwritable here: chattr +i said {made.stderr}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_database_is_one_line_and_the_rerun_goes_on(tmp_path: Path) -> None:
    first = run_cli(tmp_path, "search.n_trials=2")
    assert first.returncode == 0, first.stderr
    with _unwritable(tmp_path / "trials.db"):
        refused = run_cli(tmp_path, "search.n_trials=3")
    assert refused.returncode == 1, refused.stderr
    assert "Traceback" not in refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("torchsearch: error: "), refused.stderr
    assert "readonly database" in lines[0] and "finished trials are kept" in lines[0].lower()
    assert sum(t.state is TrialState.COMPLETE for t in trials_in(tmp_path)) == 2
    again = run_cli(tmp_path, "search.n_trials=3")  # writable again: the search goes on
    assert again.returncode == 0, again.stderr
    assert sum(t.state is TrialState.COMPLETE for t in trials_in(tmp_path)) == 3


@pytest.mark.parametrize("storage", ["sqlite", "journal"])
def test_a_dead_workers_trial_is_failed_by_the_next_run_even_with_the_budget_met(
    tmp_path: Path, storage: str
) -> None:
    first = run_cli(tmp_path, f"storage={storage}", "search.n_trials=2")
    assert first.returncode == 0, first.stderr
    url = (
        f"sqlite:///{tmp_path / 'trials.db'}"
        if storage == "sqlite"
        else optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(tmp_path / "trials.journal"))
        )
    )
    study = optuna.load_study(study_name=optuna.get_all_study_names(url)[0], storage=url)
    # Killed mid-trial on this host, and silent for an hour on another.
    dead_here = study.ask()
    dead_here.set_user_attr("worker", {"host": socket.gethostname(), "pid": dead_pid()})
    silent = study.ask()
    silent.set_user_attr("worker", {"host": "another-host", "pid": os.getpid()})
    silent.set_user_attr("heartbeat", time.time() - 3600)

    again = run_cli(tmp_path, f"storage={storage}", "search.n_trials=2")
    assert again.returncode == 0, again.stderr
    trials = optuna.load_study(study_name=study.study_name, storage=url).trials
    assert trials[dead_here.number].state is TrialState.FAIL
    assert "stopped mid-trial" in trials[dead_here.number].user_attrs["error"]
    if storage == "journal":  # the journal's own heartbeat attribute
        assert trials[silent.number].state is TrialState.FAIL
    assert sum(t.state is TrialState.COMPLETE for t in trials) == 2


def test_deleted_checkpoints_make_the_report_train_the_best_again(tmp_path: Path) -> None:
    first = run_cli(tmp_path, "search.n_trials=3")
    assert first.returncode == 0, first.stderr
    shutil.rmtree(tmp_path / "artifacts")
    # Without best.json the end of the search chooses again (with it, a rerun only shows
    # its record: test_report.py), and no completed trial's checkpoint loads.
    (tmp_path / "best.json").unlink()
    again = run_cli(tmp_path, "search.n_trials=3")  # the same command, budget met
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert "training the best trial again from its record" in again.stdout
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["kind"] == "replay" and Path(best["checkpoint"]).is_file()
    assert (tmp_path / "best_model.pt2").is_file()


def test_a_failed_heartbeat_write_is_retried_not_the_end_of_the_beating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database busy with other workers' writes can refuse one heartbeat; the next one
    # must still come, or the trial passes for dead under its running worker.
    storage = optuna.storages.RDBStorage(
        f"sqlite:///{tmp_path / 'trials.db'}", heartbeat_interval=1, grace_period=2
    )
    study = optuna.create_study(storage=storage)
    trial = study.ask()
    calls = []
    record = storage.record_heartbeat

    def busy_once(trial_id: int) -> None:
        calls.append(trial_id)
        if len(calls) == 1:
            raise optuna.exceptions.StorageInternalError("database is locked")
        record(trial_id)

    monkeypatch.setattr(storage, "record_heartbeat", busy_once)
    with _loop._heartbeat(study, trial):
        time.sleep(2.5)
    assert len(calls) >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    assert study.trials[0].state is TrialState.RUNNING


def test_a_trial_ended_by_another_worker_keeps_that_end_and_the_search_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'trials.db'}")
    trial = study.ask()
    study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)  # judged dead
    loop = _loop.TrialLoop.__new__(_loop.TrialLoop)
    loop.study = study
    loop._tell(trial, _budget.Outcome(TrialState.COMPLETE, value=0.9))
    assert study.trials[0].state is TrialState.FAIL
    assert "trial 0 was ended by another worker" in capsys.readouterr().out
