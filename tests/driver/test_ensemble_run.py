"""Whole searches with ensembles, distillation, replay and replicas: what the records say."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from cli_helpers import run_cli
from cli_helpers import trials_in
from optuna.trial import TrialState

from torchsearch.driver import run_search
from torchsearch.trials import CompletedTrial
from torchsearch.trials import read_completed

pytestmark = pytest.mark.slow


def _completed(run_dir: Path) -> dict[int, CompletedTrial]:
    records = (read_completed(t) for t in trials_in(run_dir))
    return {r.number: r for r in records if r is not None}


def test_intermixed_every_third_trial_is_an_average_ensemble_that_trains_nothing(
    make_config, tmp_path: Path, capsys
) -> None:
    config = make_config(
        "ensemble=intermixed",
        "ensemble.every=3",
        "ensemble.width=2",
        # The two best towers exactly (not 2 sampled of the best 3, which may draw trial
        # 2's members again: a repeat is not trained, the trial searches instead).
        "ensemble.trials_considered=2",
        "distill=none",
        "search.n_trials=6",
    )
    best = run_search(config, tmp_path)
    trials = _completed(tmp_path)
    ensembles = sorted(n for n, t in trials.items() if t.kind == "ensemble")
    # Trial 5 (id 6) ensembles the two best towers of trials 0-4, unless they are trial
    # 2's members again: a repeat is not trained, and the trial searches instead.
    towers = sorted(
        (n for n in range(5) if trials[n].kind == "search"), key=lambda n: -trials[n].value
    )
    repeat = tuple(sorted(towers[:2])) == trials[2].ensemble.members  # type: ignore[union-attr]
    assert ensembles == ([2] if repeat else [2, 5])  # ids 3 and 6
    assert trials[5].kind == ("search" if repeat else "ensemble")
    for number in ensembles:
        trial = trials[number]
        assert trial.ensemble is not None and trial.ensemble.strategy == "intermixed"
        assert len(trial.ensemble.members) == 2 and trial.steps == 0
        assert all(trials[m].kind == "search" for m in trial.ensemble.members)
        assert trial.ensemble.members == tuple(sorted(trial.ensemble.members))
        members = sum(trials[m].parameters or 0 for m in trial.ensemble.members)
        assert trial.parameters == members
    assert "ensemble" in capsys.readouterr().out
    written = json.loads((tmp_path / "best.json").read_text())
    assert best is not None and written["kind"] == trials[best.trial].kind
    if written["kind"] == "ensemble":
        assert written["members"] == list(trials[best.trial].ensemble.members)  # type: ignore[union-attr]
    # The exported program is the whole ensemble, as its checkpoint evaluates, on raw
    # digits (1x8x8 pixels of 0-16).
    program = torch.export.load(str(tmp_path / "best_model.pt2")).module()
    assert program(torch.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_a_missing_member_checkpoint_fails_that_ensemble_trial_and_the_search_goes_on(
    make_config, tmp_path: Path
) -> None:
    run_search(make_config("search.n_trials=2"), tmp_path)
    shutil.rmtree(tmp_path / "artifacts")  # the members' weights are gone
    run_search(
        make_config(
            "ensemble=intermixed", "ensemble.every=3", "distill=none", "search.n_trials=4"
        ),
        tmp_path,
    )
    trials = trials_in(tmp_path)
    failed = [t for t in trials if t.state is TrialState.FAIL]
    assert [t.number for t in failed] == [2]
    assert "checkpoint" in failed[0].user_attrs["error"]
    assert sum(t.state is TrialState.COMPLETE for t in trials) == 4


def test_replay_reproduces_the_recorded_validation_metric_and_points_to_the_original(
    make_config, tmp_path: Path
) -> None:
    run_search(
        make_config(
            "ensemble=intermixed",
            "ensemble.every=3",
            "ensemble.combiner=weighted",
            "search.n_trials=3",
        ),
        tmp_path,
    )
    for original in (1, 2):  # a single tower, then a weighted ensemble (its mixture trains)
        run_search(make_config(f"replay.trial={original}"), tmp_path)
        trials = _completed(tmp_path)
        replay = trials[max(trials)]
        assert replay.parent == original and replay.operation == "replay"
        assert replay.validation == trials[original].validation
        assert replay.steps == trials[original].steps
        assert replay.ensemble == trials[original].ensemble
    assert trials[2].kind == "ensemble" and trials[2].steps and trials[2].steps > 0
    # Another seed and a longer budget: a new model, recorded as such.
    run_search(make_config("replay.trial=1", "replay.seed=7", "replay.steps=40"), tmp_path)
    again = _completed(tmp_path)
    newest = again[max(again)]
    assert newest.training is not None and newest.training.seed == 7 and newest.steps == 40
    assert newest.validation != trials[1].validation


def test_replicas_retrain_the_best_tower_and_become_one_average_ensemble(
    make_config, tmp_path: Path, capsys
) -> None:
    run_search(make_config("search.n_trials=3"), tmp_path)
    run_search(make_config("replay.trial=best", "replay.replicas=2"), tmp_path)
    trials = _completed(tmp_path)
    replicas = [trials[3], trials[4]]
    assert [r.kind for r in replicas] == ["replica", "replica"]
    assert replicas[0].parent == replicas[1].parent
    assert replicas[0].training != replicas[1].training  # other seeds, other data order
    ensemble = trials[5]
    assert ensemble.kind == "ensemble" and ensemble.ensemble is not None
    assert ensemble.ensemble.members == (3, 4) and ensemble.ensemble.strategy == "replicas"
    out = capsys.readouterr().out
    assert "replica" in out and "average of trials 3, 4" in out


def test_distillation_without_ensembles_gets_a_teacher(make_config, tmp_path: Path) -> None:
    """Model Search built no teacher without an ensemble spec: distillation silently
    trained on labels alone. Here every trial after the pool has one."""
    config = make_config(
        "ensemble=none",
        "distill=adaptively_balance",
        "distill.minimal_pool_size=1",
        "search.n_trials=4",
    )
    run_search(config, tmp_path)
    trials = _completed(tmp_path)
    assert trials[0].teacher is None and trials[0].kind == "search"
    for number in (1, 2, 3):
        trial = trials[number]
        assert trial.kind == "distillation" and trial.teacher is not None
        assert trial.teacher.kind == "adaptively_balance" and trial.teacher.trial < number


def test_intermixed_distillation_retrains_the_best_single_tower_from_its_weights(
    make_config, tmp_path: Path
) -> None:
    config = make_config(
        "ensemble=intermixed",
        "ensemble.every=3",
        "distill=cross_entropy",
        "distill.temperature=2.0",
        "search.n_trials=5",
    )
    run_search(config, tmp_path)
    trials = _completed(tmp_path)
    student = trials[3]  # id 4: right after the ensemble trial of id 3
    assert trials[2].kind == "ensemble"
    assert student.kind == "distillation" and student.operation == "warm_start"
    assert student.teacher is not None and student.teacher.temperature == 2.0
    assert student.parent is not None and trials[student.parent].kind == "search"
    assert student.architecture.blocks == trials[student.parent].architecture.blocks


def test_adaptive_ensembles_grow_from_the_best_trial_of_each_round(
    make_config, tmp_path: Path
) -> None:
    config = make_config(
        "ensemble=adaptive",
        "ensemble.every=2",
        "ensemble.minimal_pool_size=2",
        "ensemble.combiner=weighted",
        "search.n_trials=6",
    )
    run_search(config, tmp_path)
    trials = _completed(tmp_path)
    assert trials[0].ensemble is None and trials[1].ensemble is None
    grown = [t for t in trials.values() if t.ensemble is not None]
    assert grown and all(t.kind == "search" and t.has_own_tower for t in grown)
    for trial in grown:
        assert trial.ensemble is not None and trial.ensemble.strategy == "adaptive"
        assert all(m < trial.number for m in trial.ensemble.members)
    # A later round imports an earlier adaptive trial's towers: its members and its own.
    nested = [t for t in grown if any(trials[m].ensemble for m in t.ensemble.members)]  # type: ignore[union-attr]
    for trial in nested:
        for member in trial.ensemble.members:  # type: ignore[union-attr]
            assert trials[member].has_own_tower


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (("replay.trial=9",), "has no trial 9"),
        (("replay.trial=abc",), "replay.trial='abc' is not one of best or a whole number"),
        (("distill=mse_logits", "distill.temperature=0"), "distill.temperature must be positive"),
        (("ensemble.width=0", "ensemble=intermixed"), "ensemble.width"),
    ],
)
def test_bad_exploitation_settings_are_one_line(
    tmp_path: Path, overrides: tuple[str, ...], needle: str
) -> None:
    if "replay.trial=9" in overrides:  # the others are refused before any study is read
        assert run_cli(tmp_path, "search.n_trials=1").returncode == 0
    result = run_cli(tmp_path, *overrides)
    assert result.returncode == 1
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_replay_of_a_failed_trial_is_one_line(make_config, tmp_path: Path) -> None:
    run_search(make_config("search.n_trials=2"), tmp_path)
    shutil.rmtree(tmp_path / "artifacts")
    run_search(
        make_config("ensemble=intermixed", "ensemble.every=3", "search.n_trials=3"), tmp_path
    )
    result = run_cli(tmp_path, "replay", "trial=2", fast=False)
    assert result.returncode == 1
    assert "did not complete (it is FAIL)" in result.stderr


def test_a_weighted_ensemble_trains_under_lightnings_trainer_too(
    make_config, tmp_path: Path
) -> None:
    config = make_config(
        "ensemble=intermixed",
        "ensemble.every=3",
        "ensemble.combiner=weighted",
        "trainer.loop=lightning",
        "search.n_trials=3",
    )
    run_search(config, tmp_path)
    ensemble = _completed(tmp_path)[2]
    assert ensemble.kind == "ensemble" and ensemble.steps and ensemble.steps > 0


def test_the_dnn_space_ensembles_the_three_best_and_distils_after_each_ensemble(
    make_config, tmp_path: Path
) -> None:
    """The shipped dnn space: intermixed every 5th trial (the 3 best towers), then the
    best single tower retrained from its weights with the best model as teacher."""
    run_search(make_config("search.n_trials=6"), tmp_path)
    trials = _completed(tmp_path)
    ensemble, student = trials[4], trials[5]
    ranked = sorted(
        (t for t in trials.values() if t.number < 4), key=lambda t: (-t.value, t.number)
    )
    assert ensemble.kind == "ensemble" and ensemble.ensemble is not None
    assert ensemble.ensemble.members == tuple(sorted(t.number for t in ranked[:3]))
    assert student.kind == "distillation" and student.operation == "warm_start"
    assert student.teacher is not None and student.teacher.kind == "adaptively_balance"
