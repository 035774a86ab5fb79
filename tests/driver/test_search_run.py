"""Whole searches: records in the storage, resuming, the leaderboard and best.json."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from cli_helpers import FAST
from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import run_cli
from cli_helpers import trials_in
from optuna.trial import TrialState

from torchsearch.driver import run_search

pytestmark = pytest.mark.slow

RECORD_KEYS = {
    "architecture",
    "parent",
    "kind",
    "operation",
    "parameters",
    "validation",
    "train_seconds",
    "steps",
    "checkpoint",
}


def test_search_records_reports_and_resumes(make_config, tmp_path: Path, capsys) -> None:
    best = run_search(make_config(), tmp_path)
    out = capsys.readouterr().out
    assert "Best 3 of 3 completed trials (validation accuracy)" in out
    trials = trials_in(tmp_path)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    for t in trials:
        assert set(t.user_attrs) >= RECORD_KEYS
        assert t.user_attrs["kind"] == "search"
        assert (tmp_path / "artifacts" / t.user_attrs["checkpoint"]).is_file()
    assert trials[0].user_attrs["parent"] is None
    assert best is not None
    written = json.loads((tmp_path / "best.json").read_text())
    assert written["trial"] == best.trial
    assert set(written) >= {
        "architecture",
        "hyperparameters",
        "parameters",
        "validation",
        "test",
        "checkpoint",
        "model_file",
    }
    assert 0.0 <= written["test"]["accuracy"] <= 1.0
    # The exported model loads with plain PyTorch and agrees with the checkpoint's model.
    program = torch.export.load(written["model_file"])
    assert program.module()(torch.zeros(2, 1, 8, 8)).shape == (2, 10)  # raw digits

    before = {t.number: (t.value, t.datetime_complete) for t in trials}
    run_search(make_config("search.n_trials=5"), tmp_path)
    after = trials_in(tmp_path)
    assert len([t for t in after if t.state is TrialState.COMPLETE]) == 5
    assert {
        t.number: (t.value, t.datetime_complete) for t in after if t.number in before
    } == before
    run_search(make_config("search.n_trials=5"), tmp_path)
    assert len(trials_in(tmp_path)) == 5, "a finished budget runs no more trials"


def test_a_killed_run_continues_without_losing_or_repeating_trials(tmp_path: Path) -> None:
    args = [
        sys.executable,
        "-m",
        "torchsearch",
        f"hydra.run.dir={tmp_path}",
        *FAST,
        # Far more than it can finish before the kill: tiny trials take ~0.1 s each.
        "search.n_trials=100000",
    ]
    worker = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=OUTSIDE_SOURCE_TREE
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(t.state is TrialState.COMPLETE for t in trials_in(tmp_path)):
            break
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed = {
        t.number: t.datetime_complete
        for t in trials_in(tmp_path)
        if t.state is TrialState.COMPLETE
    }
    assert killed
    budget = len(killed) + 1
    result = run_cli(tmp_path, f"search.n_trials={budget}")
    assert result.returncode == 0, result.stderr
    trials = trials_in(tmp_path)
    complete = {t.number: t.datetime_complete for t in trials if t.state is TrialState.COMPLETE}
    assert len(complete) == budget
    assert all(complete[n] == when for n, when in killed.items())
    architectures = [
        json.dumps(t.user_attrs["architecture"]) for t in trials if t.state is TrialState.COMPLETE
    ]
    assert len(architectures) == budget


def test_ctrl_c_stops_cleanly_and_keeps_finished_trials(tmp_path: Path) -> None:
    args = [
        sys.executable,
        "-m",
        "torchsearch",
        f"hydra.run.dir={tmp_path}",
        *FAST,
        # Far more than it can finish before the signal: tiny trials take ~0.1 s each.
        "search.n_trials=100000",
    ]
    worker = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=OUTSIDE_SOURCE_TREE,
        # As a terminal's foreground process: a shell starting the test suite in the
        # background (`cmd &`) hands its children SIGINT ignored, and Python keeps it so.
        preexec_fn=_default_sigint,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(t.state is TrialState.COMPLETE for t in trials_in(tmp_path)):
            break
        time.sleep(0.2)
    worker.send_signal(signal.SIGINT)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 130, err
    assert "Rerun the same command" in err
    assert "Traceback" not in err
    assert any(t.state is TrialState.COMPLETE for t in trials_in(tmp_path))


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_the_same_seed_gives_the_same_trials(make_config, tmp_path: Path) -> None:
    values = []
    for folder in ("a", "b"):
        run_search(make_config("search.n_trials=2"), tmp_path / folder)
        values.append(
            [(t.value, t.user_attrs["architecture"]) for t in trials_in(tmp_path / folder)]
        )
    assert values[0] == values[1]


def test_a_trial_killed_mid_training_is_failed_and_retried_by_the_next_run(
    tmp_path: Path,
) -> None:
    # Heartbeats every second, dead after 2 s without one; trials long enough (30 epochs)
    # that the kill lands inside one.
    beats = ("storage.heartbeat_interval=1", "storage.grace_period=2")
    args = [
        sys.executable,
        "-m",
        "torchsearch",
        f"hydra.run.dir={tmp_path}",
        *FAST,
        *beats,
        "trainer.max_epochs=30",
        "search.n_trials=100000",
    ]
    worker = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=OUTSIDE_SOURCE_TREE
    )
    deadline = time.monotonic() + 180
    running: list[int] = []
    while time.monotonic() < deadline:
        trials = trials_in(tmp_path)
        if any(t.state is TrialState.COMPLETE for t in trials):
            running = [t.number for t in trials if t.state is TrialState.RUNNING]
            # Built (its record has a size), so all its hyperparameters are drawn.
            if running and "parameters" in trials[running[0]].user_attrs:
                break
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert running, "no trial was running when the worker was killed"
    killed = running[0]
    before = trials_in(tmp_path)[killed]
    time.sleep(3)  # past the grace period
    budget = sum(t.state is TrialState.COMPLETE for t in trials_in(tmp_path)) + 1
    result = run_cli(tmp_path, *beats, "trainer.max_epochs=30", f"search.n_trials={budget}")
    assert result.returncode == 0, result.stderr
    trials = trials_in(tmp_path)
    assert trials[killed].state is TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state is TrialState.COMPLETE
    assert (
        retries[0].user_attrs["architecture"]["towers"]
        == (before.user_attrs["architecture"]["towers"])
    )
    assert retries[0].params == before.params
    assert not any(t.state is TrialState.RUNNING for t in trials)
