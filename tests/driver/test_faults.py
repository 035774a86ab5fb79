"""Faults a shared search meets: its folder moved mid-run, and workers that died
mid-trial, on this host or another. Each ends in one line or is cleaned up by the next
run of the same command, and no finished trial is lost."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from cli_helpers import FAST
from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import dead_pid
from cli_helpers import run_cli
from cli_helpers import trials_in
from optuna.trial import TrialState

pytestmark = pytest.mark.slow


def test_a_run_folder_moved_mid_run_is_one_line_and_keeps_the_finished_trials(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "torchsearch",
            f"hydra.run.dir={run_dir}",
            *FAST,
            "search.n_trials=100000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=OUTSIDE_SOURCE_TREE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if sum(t.state is TrialState.COMPLETE for t in trials_in(run_dir)) >= 2:
            break
        time.sleep(0.2)
    else:
        worker.kill()
        pytest.fail("no trial completed within 120 s")
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
    again = run_cli(tmp_path, "search.n_trials=3")  # the same command, budget met
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert "training the best trial again from its record" in again.stdout
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["kind"] == "replay" and Path(best["checkpoint"]).is_file()
    assert (tmp_path / "best_model.pt2").is_file()
