"""Searches over several processes: torchrun (a worker per rank, or DDP per trial),
plain workers on one study, exact budgets, pruning."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from cli_helpers import FAST
from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import run_cli
from cli_helpers import start_cli
from cli_helpers import trials_in
from optuna.trial import TrialState

from torchsearch.driver import run_search

pytestmark = pytest.mark.slow


def _torchrun(run_dir: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "torchsearch",
        f"hydra.run.dir={run_dir}",
        *FAST,
        *overrides,
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=OUTSIDE_SOURCE_TREE,
    )


def _workers(trials: list[optuna.trial.FrozenTrial]) -> set[int]:
    return {t.user_attrs["worker"]["pid"] for t in trials}


@pytest.mark.parametrize("mode", ["trials", "ddp"])
def test_torchrun_ends_with_exactly_the_budget_and_one_report(tmp_path: Path, mode: str) -> None:
    done = _torchrun(tmp_path, f"trainer.parallel={mode}", "search.n_trials=4")
    assert done.returncode == 0, done.stderr[-3000:]
    trials = trials_in(tmp_path)
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert len(complete) == 4
    assert len({t.number for t in trials}) == len(trials)
    assert done.stdout.count("Best: trial") == 1  # rank 0 alone reports, once
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["trial"] in {t.number for t in complete}
    # A worker per rank, or rank 0 asking for every trial that all ranks train.
    assert len(_workers(complete)) == (2 if mode == "trials" else 1)
    if mode == "ddp":
        # Each rank trains on half of every epoch: 1078 examples in batches of 32 are
        # 34 steps an epoch alone, 17 a rank; the step budget stays 34.
        assert {t.user_attrs["steps"] for t in complete} == {34}


def test_plain_workers_on_one_study_end_with_exactly_the_budget(tmp_path: Path) -> None:
    workers = [start_cli(tmp_path, "search.n_trials=5", "trainer.threads=1") for _ in range(3)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    trials = trials_in(tmp_path)
    assert sum(t.state is TrialState.COMPLETE for t in trials) == 5
    assert len({t.number for t in trials}) == len(trials)
    # A trial that lost the race for the last place says so and counts for nothing.
    for trial in trials:
        if trial.state is TrialState.PRUNED:
            assert trial.user_attrs["reason"].startswith("surplus")


def test_a_journal_trial_whose_worker_was_killed_is_failed_by_the_next_run(
    tmp_path: Path,
) -> None:
    journal = ("storage=journal", "trainer.max_epochs=30", "search.n_trials=100000")
    worker = subprocess.Popen(
        [sys.executable, "-m", "torchsearch", f"hydra.run.dir={tmp_path}", *FAST, *journal],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=OUTSIDE_SOURCE_TREE,
    )
    study = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and study is None:
        time.sleep(0.2)
        study = _journal_study(tmp_path)
        if study is not None and not any(
            t.state is TrialState.RUNNING and "worker" in t.user_attrs for t in study.trials
        ):
            study = None
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert study is not None, "no trial was running when the worker was killed"
    killed = next(t.number for t in study.trials if t.state is TrialState.RUNNING)
    budget = sum(t.state is TrialState.COMPLETE for t in study.trials) + 1
    result = run_cli(tmp_path, "storage=journal", f"search.n_trials={budget}")
    assert result.returncode == 0, result.stderr
    trials = _journal_study(tmp_path).trials  # type: ignore[union-attr]
    assert trials[killed].state is TrialState.FAIL
    assert "stopped mid-trial" in trials[killed].user_attrs["error"]
    assert sum(t.state is TrialState.COMPLETE for t in trials) == budget
    assert not any(t.state is TrialState.RUNNING for t in trials)


def _journal_study(run_dir: Path) -> optuna.Study | None:
    from optuna.storages.journal import JournalFileBackend

    path = run_dir / "trials.journal"
    if not path.exists():
        return None
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    names = optuna.get_all_study_names(storage)
    return optuna.load_study(study_name=names[0], storage=storage) if names else None


def test_pruned_trials_report_stop_early_and_are_neither_counted_nor_parents(
    make_config, tmp_path: Path
) -> None:
    config = make_config(
        "search.n_trials=8",
        "search.pruner=successive_halving",
        "search.report_every=4",
        "trainer.max_epochs=2",
    )
    run_search(config, tmp_path)
    trials = trials_in(tmp_path)
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    assert len(complete) == 8
    assert pruned, "the pruner stopped no trial"
    for trial in pruned:
        assert trial.user_attrs["reason"].startswith("pruned at step")
        assert trial.intermediate_values and trial.user_attrs["steps"] < 68
        assert trial.value is None or trial.value == list(trial.intermediate_values.values())[-1]
        assert "accuracy" in trial.user_attrs["validation"]
    # Learning curves for dashboards, from every trial that trained.
    assert all(t.intermediate_values for t in complete if t.user_attrs["steps"] > 0)
    pruned_numbers = {t.number for t in pruned}
    assert not any(t.user_attrs.get("parent") in pruned_numbers for t in trials)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("trainer.parallel=ddp",), "trainer.parallel=ddp trains each trial over torchrun"),
        (("trainer.backend=nccl", "trainer.accelerator=cpu"), "trainer.backend=nccl needs"),
        (("search.pruner=asha",), "search.pruner='asha' is not one of none, median"),
        (("search.pruner=median", "trainer.loop=lightning"), "only the lean loop does"),
    ],
)
def test_bad_parallel_or_pruning_settings_are_one_line_and_write_nothing(
    tmp_path: Path, overrides: tuple[str, ...], message: str
) -> None:
    result = run_cli(tmp_path, *overrides)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "trials.db").exists()
