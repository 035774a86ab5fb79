"""Records are input: a study whose records were corrupted by hand (or written by an
older or hostile client) still searches, from two workers, and reports a valid model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import optuna
import pytest
from cli_helpers import run_cli
from cli_helpers import start_cli
from optuna.trial import TrialState
from optuna.trial import create_trial

pytestmark = pytest.mark.slow

FORGED_OPTIMIZER = "__import__('os').system('id')"


def _corrupt(run_dir: Path) -> dict[str, int]:
    """Adds a COMPLETE trial for each kind of damage, each scoring a perfect validation
    accuracy (so that it would be the best, were it trusted); returns their numbers by
    what is wrong."""
    storage = f"sqlite:///{run_dir / 'trials.db'}"
    study = optuna.load_study(study_name=optuna.get_all_study_names(storage)[0], storage=storage)
    good = next(t for t in study.trials if t.state is TrialState.COMPLETE)
    towers = good.user_attrs["architecture"]["towers"]
    damage = {
        "hparams of the wrong type": {"architecture": {"towers": towers, "hparams": "x"}},
        "wrong JSON": {"architecture": "{not json"},
        "unknown block": {"architecture": {"towers": [["NO_SUCH_BLOCK"]], "hparams": {}}},
        "non-integer parent": {"parent": "abc"},
        "forged hyperparameters": {
            "architecture": {
                "towers": towers,
                "hparams": {"optimizer": FORGED_OPTIMIZER, "learning_rate": -1},
            }
        },
        "a later parent": {"parent": 10_000},
        "a checkpoint that is not an id": {"checkpoint": 12345},
        "a value that is not its metric": {"validation": {"accuracy": 0.5, "loss": 0.7}},
    }
    numbers = {}
    for what, changes in damage.items():
        attrs = {**good.user_attrs, "validation": {"accuracy": 1.0, "loss": 0.0}, **changes}
        study.add_trial(create_trial(state=TrialState.COMPLETE, value=1.0, user_attrs=attrs))
        numbers[what] = study.trials[-1].number
    study.enqueue_trial({}, user_attrs={"parent": "abc", "architecture": {"towers": towers}})
    return numbers


def test_a_study_with_corrupted_records_searches_from_two_workers(tmp_path: Path) -> None:
    first = run_cli(tmp_path, "search.n_trials=2")
    assert first.returncode == 0, first.stderr
    corrupted = _corrupt(tmp_path)
    workers = [start_cli(tmp_path, "search.n_trials=14", stdout=subprocess.PIPE) for _ in "ab"]
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
        assert "Traceback" not in err
        said = out + err  # warnings go to the console's log handler (stdout)
        for what, number in corrupted.items():  # one warning per bad record and worker
            assert said.count(f"Trial {number}: ignoring its record") == 1, (what, said)
        assert FORGED_OPTIMIZER not in said and "best accuracy 1.0000" not in said
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["trial"] not in corrupted.values()
    assert best["validation"]["accuracy"] < 1.0 and FORGED_OPTIMIZER not in json.dumps(best)
    storage = f"sqlite:///{tmp_path / 'trials.db'}"
    trials = optuna.load_study(
        study_name=optuna.get_all_study_names(storage)[0], storage=storage
    ).trials
    new = [t for t in trials if t.number > max(corrupted.values()) + 1]
    assert sum(t.state is TrialState.COMPLETE for t in new) >= 3  # the search went on
    enqueued = trials[max(corrupted.values()) + 1]
    assert enqueued.state is TrialState.FAIL
    assert "parent must be a trial number" in enqueued.user_attrs["error"]
