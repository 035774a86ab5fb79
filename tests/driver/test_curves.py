"""Learning curves and per-trial loggers (docs/curves.md): every trial reports its
validation metric while it trains, the study holds what optuna-dashboard shows, the
loggers write the same values under the run folder, and none of it changes what a trial
trains."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
import wsgiref.util
from pathlib import Path
from typing import Any

import optuna
import pytest
import torch
from cli_helpers import FAST
from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import compose_config
from optuna.artifacts import FileSystemArtifactStore
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from torchsearch import ConfigError
from torchsearch._schema import LOGGERS
from torchsearch.driver import run_search
from torchsearch.driver._curves import CurveSettings
from torchsearch.driver._loggers import _MAKERS
from torchsearch.driver._loggers import check_loggers
from torchsearch.driver._plan import make_plan
from torchsearch.trials import load_state

HAS_TENSORBOARD = importlib.util.find_spec("tensorboard") is not None
HAS_DASHBOARD = importlib.util.find_spec("optuna_dashboard") is not None
# One epoch of digits' 1077 training examples in batches of 32: 34 steps, a report every
# 4 (a tenth), and the final evaluation at step 34.
STEPS = [4, 8, 12, 16, 20, 24, 28, 32, 34]


def test_the_report_period_is_a_tenth_a_given_count_or_none() -> None:
    assert CurveSettings().period(34) == 4
    assert CurveSettings(report_every=7).period(1000) == 7
    off = CurveSettings(report_every=0)
    assert off.period(1000) is None and not off.reports


@pytest.mark.parametrize(
    ("search", "trainer", "message"),
    [
        ({"report_every": -1}, {}, "search.report_every must be a number of steps"),
        ({"report_every": 2.5}, {}, "search.report_every must be a number of steps"),
        ({}, {"loggers": ["wandb"]}, "'wandb', which is not one of csv, tensorboard"),
        ({}, {"loggers": ["csv", "csv"]}, "trainer.loggers lists a name twice"),
        ({}, {"loggers": "csv"}, "trainer.loggers must be a list of names"),
    ],
)
def test_bad_curve_settings_are_one_line(
    search: dict[str, Any], trainer: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        CurveSettings.from_config(search, trainer)
    assert "\n" not in str(refused.value)


def test_the_schema_offers_the_loggers_there_are() -> None:
    assert set(LOGGERS) == set(_MAKERS)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("search.pruner=median", "search.report_every=0"), "search.report_every=0 turns"),
        (("search.report_every=5", "trainer.loop=lightning"), "only the lean loop does"),
    ],
)
def test_validations_the_loop_cannot_make_are_refused(
    overrides: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_plan(compose_config(*overrides))


def test_the_tensorboard_logger_without_its_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ConfigError, match=r'pip install "torchsearch\[tensorboard\]"') as refused:
        check_loggers(["csv", "tensorboard"])
    assert "\n" not in str(refused.value)
    assert check_loggers(["csv"]) == ("csv",)


@pytest.mark.slow
def test_the_command_refuses_the_tensorboard_logger_without_its_package_before_any_trial(
    tmp_path: Path,
) -> None:
    # tensorboard made unimportable in the command's process only.
    command = (
        "import sys; sys.modules['tensorboard'] = None; from torchsearch._cli import main; main()"
    )
    loggers = "trainer.loggers=[csv,tensorboard]"
    result = subprocess.run(
        [sys.executable, "-c", command, f"hydra.run.dir={tmp_path}", *FAST, loggers],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        cwd=OUTSIDE_SOURCE_TREE,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install "torchsearch[tensorboard]"' in lines[0], lines
    assert not (tmp_path / "trials.db").exists()
    assert not (tmp_path / "logs").exists()


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished search of 3 one-epoch trials with the loggers on (TensorBoard's when its
    package is installed)."""
    run_dir = tmp_path_factory.mktemp("curves")
    loggers = "[csv,tensorboard]" if HAS_TENSORBOARD else "[csv]"
    run_search(compose_config(f"trainer.loggers={loggers}"), run_dir)
    return run_dir


def _study(run_dir: Path) -> optuna.Study:
    """The study as optuna-dashboard opens it: by the database's URL alone."""
    url = f"sqlite:///{run_dir / 'trials.db'}"
    (name,) = optuna.get_all_study_names(url)
    return optuna.load_study(study_name=name, storage=url)


@pytest.mark.slow
def test_every_trial_has_a_learning_curve_of_its_metric_in_the_study(searched: Path) -> None:
    study = _study(searched)
    trials = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == 3
    for trial in trials:
        curve = trial.intermediate_values
        assert sorted(curve) == STEPS, trial.number
        assert all(0.0 <= v <= 1.0 for v in curve.values())  # accuracies
        # The curve ends at the trial's value: the recorded final validation accuracy.
        assert curve[STEPS[-1]] == trial.values[0] == trial.user_attrs["validation"]["accuracy"]
        assert len(set(curve.values())) > 1
        assert trial.user_attrs["architecture"]["towers"]
        assert trial.params, "the hyperparameters are Optuna params"


@pytest.mark.slow
def test_the_csv_logger_writes_each_report(searched: Path) -> None:
    for trial in _study(searched).get_trials(states=(TrialState.COMPLETE,)):
        path = searched / "logs" / f"trial_{trial.number}" / "metrics.csv"
        with path.open(newline="") as file:
            rows = list(csv.DictReader(file))
        assert [int(r["step"]) for r in rows] == STEPS
        assert [float(r["validation_accuracy"]) for r in rows] == [
            trial.intermediate_values[s] for s in STEPS
        ]
        assert float(rows[-1]["validation_loss"]) == trial.user_attrs["validation"]["loss"]
        # The only epoch ends at the last step: no training loss before it.
        assert [r["train_loss"] for r in rows[:-1]] == [""] * (len(STEPS) - 1)
        assert float(rows[-1]["train_loss"]) > 0


@pytest.mark.slow
@pytest.mark.skipif(not HAS_TENSORBOARD, reason="tensorboard is not installed")
def test_the_tensorboard_logger_writes_the_same_curve(searched: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for trial in _study(searched).get_trials(states=(TrialState.COMPLETE,)):
        events = EventAccumulator(str(searched / "logs" / f"trial_{trial.number}")).Reload()
        accuracy = events.Scalars("validation/accuracy")
        assert [e.step for e in accuracy] == STEPS
        expected = [trial.intermediate_values[s] for s in STEPS]
        assert [e.value for e in accuracy] == pytest.approx(expected, rel=1e-6)  # float32
        assert [e.step for e in events.Scalars("train/loss")] == [STEPS[-1]]


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DASHBOARD, reason="optuna-dashboard is not installed")
def test_optuna_dashboard_serves_the_curves(searched: Path) -> None:
    import optuna_dashboard

    app = optuna_dashboard.wsgi(f"sqlite:///{searched / 'trials.db'}")
    (study,) = _get(app, "/api/studies")["study_summaries"]
    detail = _get(app, f"/api/studies/{study['study_id']}")
    assert detail["has_intermediate_values"]
    for trial in detail["trials"]:
        assert [p["step"] for p in trial["intermediate_values"]] == STEPS
        assert trial["intermediate_values"][-1]["value"] == trial["values"][0]
        assert "architecture" in {a["key"] for a in trial["user_attrs"]}


def _get(app: Any, path: str) -> Any:
    """``GET path`` of a WSGI app, as JSON."""
    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    wsgiref.util.setup_testing_defaults(environ)
    status: list[str] = []
    body = b"".join(app(environ, lambda s, _headers, *_: status.append(s)))
    assert status == ["200 OK"], (status, body[:200])
    return json.loads(body)


@pytest.mark.slow
def test_curves_change_nothing_a_trial_trains(tmp_path: Path) -> None:
    trained = {}
    for every in (0, 3):
        run_dir = tmp_path / str(every)
        run_search(compose_config("search.n_trials=2", f"search.report_every={every}"), run_dir)
        trials = _study(run_dir).get_trials(states=(TrialState.COMPLETE,))
        assert all(bool(t.intermediate_values) == bool(every) for t in trials)
        trained[every] = [_outcome(t, run_dir) for t in trials]
    (off, on) = trained[0], trained[3]
    assert [o[0] for o in off] == [o[0] for o in on]  # values, metrics, architectures, params
    for (_, weights_off), (_, weights_on) in zip(off, on, strict=True):
        assert weights_off.keys() == weights_on.keys()
        assert all(torch.equal(weights_off[k], weights_on[k]) for k in weights_off)


def _outcome(trial: FrozenTrial, run_dir: Path) -> tuple[Any, dict[str, torch.Tensor]]:
    record = (
        trial.values,
        trial.user_attrs["validation"],
        trial.user_attrs["architecture"],
        trial.params,
    )
    store = FileSystemArtifactStore(str(run_dir / "artifacts"))
    return record, load_state(store, trial.user_attrs["checkpoint"])
