"""The census of a shared study (exact budgets, dead workers, neighbours) and the
settings of the processes of one command."""

from __future__ import annotations

import os
import socket

import optuna
import pytest
import torch
from cli_helpers import dead_pid
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from torchsearch import ConfigError
from torchsearch.driver._parallel import ParallelSettings
from torchsearch.driver._pruning import PruningSettings
from torchsearch.driver._workers import Worker
from torchsearch.driver._workers import share_threads
from torchsearch.driver._workers import take_census

HOST = socket.gethostname()
ME = Worker(HOST, os.getpid())


def _trial(number: int, state: TrialState, **attrs: object) -> FrozenTrial:
    trial = optuna.trial.create_trial(
        state=state if state is not TrialState.RUNNING else TrialState.WAITING,
        value=0.5 if state is TrialState.COMPLETE else None,
        user_attrs=attrs,
    )
    trial.number = number
    trial.state = state
    return trial


def test_completed_and_live_trials_count_and_surplus_or_rejected_ones_do_not() -> None:
    neighbour = Worker(HOST, os.getppid())
    trials = [
        _trial(0, TrialState.COMPLETE),
        _trial(1, TrialState.PRUNED, reason="rejected: 9 parameters > space.max_parameters 1"),
        _trial(2, TrialState.PRUNED, reason="surplus: the trials before it ..."),
        _trial(3, TrialState.RUNNING, worker=neighbour.to_dict()),
        _trial(4, TrialState.RUNNING),  # asked, its worker not yet recorded: live
        _trial(5, TrialState.RUNNING, worker={"host": "elsewhere", "pid": 1}),
        _trial(6, TrialState.RUNNING, worker=ME.to_dict()),
        _trial(7, TrialState.FAIL),
    ]
    census = take_census(trials, ME)
    assert (census.completed, census.live, census.neighbours, census.dead) == (1, 4, 1, ())
    assert take_census(trials, ME, before=4).live == 1


def test_a_neighbour_between_two_trials_still_shares_the_cores() -> None:
    """A worker of short trials spends part of its time asking and telling: it counts
    as a neighbour while its process lives and it ran one of the latest trials."""
    alive = Worker(HOST, os.getppid()).to_dict()
    gone = {"host": HOST, "pid": dead_pid()}
    between = [_trial(0, TrialState.COMPLETE, worker=alive), _trial(1, TrialState.COMPLETE)]
    assert take_census(between, ME).neighbours == 1
    assert take_census([_trial(0, TrialState.COMPLETE, worker=gone)], ME).neighbours == 0
    long_ago = [_trial(0, TrialState.COMPLETE, worker=alive)]
    long_ago += [_trial(n, TrialState.COMPLETE, worker=ME.to_dict()) for n in range(1, 100)]
    assert take_census(long_ago, ME).neighbours == 0


def test_a_running_trial_whose_local_worker_is_gone_is_dead_not_live() -> None:
    gone = {"host": HOST, "pid": dead_pid()}
    trials = [_trial(0, TrialState.RUNNING, worker=gone), _trial(1, TrialState.COMPLETE)]
    census = take_census(trials, ME)
    assert (census.completed, census.live) == (1, 0)
    assert [t.number for t in census.dead] == [0]


def test_a_trial_whose_own_heartbeat_stopped_is_dead_on_any_host() -> None:
    """The journal's stand-in for a heartbeat: the attribute a worker refreshes."""
    elsewhere = {"host": "another-host", "pid": 1}
    trials = [
        _trial(0, TrialState.RUNNING, worker=elsewhere, heartbeat=1000.0),
        _trial(1, TrialState.RUNNING, worker=elsewhere, heartbeat=1150.0),
        _trial(2, TrialState.RUNNING, worker=elsewhere),  # not beating yet: live
    ]
    census = take_census(trials, ME, grace_period=100, now=1200.0)
    assert [t.number for t in census.dead] == [0] and census.live == 2
    assert take_census(trials, ME, now=1200.0).live == 3  # the storage's own heartbeat


def test_trials_the_pruner_stopped_count_only_when_asked() -> None:
    trials = [
        _trial(0, TrialState.COMPLETE),
        _trial(1, TrialState.PRUNED, reason="pruned at step 30 by the median pruner"),
        _trial(2, TrialState.PRUNED, reason="rejected: too big"),
    ]
    assert take_census(trials, ME).completed == 1
    assert take_census(trials, ME, count_pruned=True).completed == 2


def test_threads_are_the_cores_shared_among_the_hosts_workers() -> None:
    before = torch.get_num_threads()
    try:
        cores = len(os.sched_getaffinity(0))
        assert share_threads(1) == cores
        assert share_threads(cores * 4) == 1
        assert share_threads(3, threads=2) == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_alone_parallel_auto_is_none_and_ddp_needs_torchrun(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    settings = ParallelSettings.from_config({}, accelerator_is_gpu=False)
    assert (settings.mode, settings.backend, settings.workers_per_host) == ("none", "gloo", 1)
    with pytest.raises(ConfigError, match="torchrun --nproc_per_node=N"):
        ParallelSettings.from_config({"parallel": "ddp"}, accelerator_is_gpu=False)


def test_under_torchrun_auto_is_a_worker_per_rank(monkeypatch: pytest.MonkeyPatch) -> None:
    layout = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "2"}
    for name, value in layout.items():
        monkeypatch.setenv(name, value)
    settings = ParallelSettings.from_config({"parallel": "auto"}, accelerator_is_gpu=False)
    assert (settings.mode, settings.workers_per_host) == ("trials", 2)
    if torch.cuda.device_count() < 2:
        with pytest.raises(ConfigError, match="--nproc_per_node="):
            ParallelSettings.from_config({}, accelerator_is_gpu=True)


@pytest.mark.parametrize(
    ("trainer", "message"),
    [
        ({"parallel": "fsdp"}, "Unknown trainer.parallel 'fsdp'; choose one of"),
        ({"backend": "mpi"}, "Unknown trainer.backend 'mpi'"),
        ({"backend": "nccl"}, "trainer.backend=nccl needs CUDA GPUs"),
        ({"threads": 0}, "trainer.threads must be a positive integer or null"),
    ],
)
def test_bad_parallel_settings_are_one_line(trainer: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ParallelSettings.from_config(trainer, accelerator_is_gpu=False)


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ({"pruner": "asha"}, "Unknown search.pruner 'asha'; choose one of none, median"),
        ({"count_pruned": "yes"}, "search.count_pruned must be true or false"),
    ],
)
def test_bad_pruning_settings_are_one_line(search: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        PruningSettings.from_config(search)


def test_each_pruner_is_optunas() -> None:
    kinds = {
        "none": optuna.pruners.NopPruner,
        "median": optuna.pruners.MedianPruner,
        "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
        "hyperband": optuna.pruners.HyperbandPruner,
    }
    for name, kind in kinds.items():
        assert isinstance(PruningSettings(name).make_pruner(), kind)


def test_a_database_lost_mid_run_is_one_line_with_the_password_masked(tmp_path) -> None:
    import sqlalchemy.exc

    from torchsearch.driver._storage import StorageSettings
    from torchsearch.driver._storage import storage_lost

    settings = StorageSettings("postgresql", "postgresql://u:secretpw@db/x", "s")
    refused = sqlalchemy.exc.OperationalError(
        "SELECT 1", {}, Exception('connection to server at "db" failed: Connection refused')
    )
    error = storage_lost(refused, settings, tmp_path)
    assert error is not None
    assert "postgresql://u:***@db/x" in str(error) and "secretpw" not in str(error)
    assert "Connection refused" in str(error) and "\n" not in str(error)
    assert storage_lost(ValueError("not the database"), settings, tmp_path) is None


def test_a_census_rules_out_a_surplus_trial_only_when_no_race_can_fill_the_budget() -> None:
    trials = [
        _trial(0, TrialState.COMPLETE),
        _trial(1, TrialState.RUNNING),
        _trial(2, TrialState.WAITING),
    ]
    census = take_census(trials, ME)
    assert (census.waiting, census.next_number) == (1, 3)
    # Trial 3 is the next one: before it at most 1 completed, 1 live, 1 waiting.
    assert not census.may_fill(3, n_trials=4)
    assert census.may_fill(3, n_trials=3)
    # Trial 5: two more were created since the census, each may be live.
    assert census.may_fill(5, n_trials=5) and not census.may_fill(5, n_trials=6)
