"""The two budgets besides ``search.n_trials``: wall-clock time and model size.

``search.timeout_s`` stops a run from starting trials; ``space.max_parameters`` prunes a
candidate before training. Real SQLite storage and real (tiny) training throughout; only
the clock of the time budget is replaced, so that "time passes" exactly per trial.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_helpers import run_cli
from cli_helpers import trials_in
from optuna.trial import TrialState

from torchsearch import ConfigError
from torchsearch.driver import _budget
from torchsearch.driver import run_search
from torchsearch.driver._loop import TrialLoop
from torchsearch.driver._loop import _postfix

SMALL, BIG = "FIXED_OUTPUT_FULLY_CONNECTED_128", "FIXED_OUTPUT_FULLY_CONNECTED_1024"
# Fewer hyperparameters, fewer storage writes: a rejected trial costs little but those.
LEAN = (
    "space.learning.dropout.apply=false",
    "space.learning.exponential_decay.apply=false",
    "space.learning.gradient_clipping.apply=false",
)
REASON = re.compile(r"rejected: ([\d,]+) parameters > space\.max_parameters 20,000")


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The time budget's clock, advanced by 100 s at the end of every trial."""
    clock = Clock()
    monkeypatch.setattr(_budget, "monotonic", clock)
    train = TrialLoop.run_trial

    def train_for_100_seconds(self: TrialLoop, trial):  # type: ignore[no-untyped-def]
        try:
            return train(self, trial)
        finally:
            clock.now += 100.0

    monkeypatch.setattr(TrialLoop, "run_trial", train_for_100_seconds)
    return clock


def complete(run_dir: Path) -> list:  # type: ignore[type-arg]
    return [t for t in trials_in(run_dir) if t.state is TrialState.COMPLETE]


def test_the_time_budget_stops_the_run_reports_and_a_rerun_continues(
    make_config, tmp_path: Path, clock: Clock, capsys
) -> None:
    config = make_config("search.n_trials=10", "search.timeout_s=150")
    best = run_search(config, tmp_path)
    out = capsys.readouterr().out
    # Trial 0 ends at 100 s, under the budget; trial 1 ends at 200 s: no third starts.
    assert [t.state for t in trials_in(tmp_path)] == [TrialState.COMPLETE] * 2
    assert (
        "torchsearch: search.timeout_s=150 reached after 200 s; 2 trials finished in this "
        "run, 2 of 10 in the study. Rerun the same command to continue"
    ) in out
    assert "Best 2 of 2 completed trials" in out
    assert best is not None and (tmp_path / "best.json").is_file()

    kept = {t.number: t.datetime_complete for t in complete(tmp_path)}
    run_search(config, tmp_path)  # the same command: a fresh 150 s
    out = capsys.readouterr().out
    after = complete(tmp_path)
    assert len(after) == 4
    assert {t.number: t.datetime_complete for t in after if t.number in kept} == kept
    assert "2 trials finished in this run, 4 of 10 in the study" in out


def test_without_a_timeout_the_trial_budget_ends_the_run(
    make_config, tmp_path: Path, clock: Clock, capsys
) -> None:
    run_search(make_config("search.n_trials=2"), tmp_path)
    assert len(complete(tmp_path)) == 2
    assert "timeout_s" not in capsys.readouterr().out


def test_candidates_over_max_parameters_are_pruned_untrained(
    make_config, tmp_path: Path, capsys
) -> None:
    best = run_search(
        make_config(
            f"space.blocks=[{SMALL},{BIG}]",
            f"space.suggestions=[{{blocks:[{BIG}]}}]",  # too big: rejected like any other
            "space.max_parameters=20000",
            "search.n_trials=3",
        ),
        tmp_path,
    )
    trials = trials_in(tmp_path)
    rejected = [t for t in trials if t.state is TrialState.PRUNED]
    finished = complete(tmp_path)
    assert len(finished) == 3, "rejected trials do not count toward search.n_trials"
    assert len(finished) + len(rejected) == len(trials), "a rejection is not a failure"
    assert rejected[0].number == 0 and rejected[0].user_attrs["kind"] == "suggestion"
    for t in rejected:
        parameters = t.user_attrs["parameters"]
        match = REASON.fullmatch(t.user_attrs["reason"])
        assert match and match.group(1) == f"{parameters:,}" and parameters > 20_000
        assert "checkpoint" not in t.user_attrs and "validation" not in t.user_attrs
    assert all(t.user_attrs["parameters"] <= 20_000 for t in finished)
    parents = {t.user_attrs["parent"] for t in trials} - {None}
    assert parents <= {t.number for t in finished}, "only completed trials are parents"
    assert "Best 3 of 3 completed trials" in capsys.readouterr().out
    assert best is not None and best.parameters <= 20_000
    assert (tmp_path / "best.json").is_file()


def test_rejections_are_not_failures_but_a_long_streak_stops_the_run(
    make_config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More rejections than the failure limit of 10: only the rejection guard may stop it.
    monkeypatch.setattr(_budget, "MAX_CONSECUTIVE_REJECTIONS", 12)
    with pytest.raises(ConfigError) as info:
        run_search(make_config("space.max_parameters=10", *LEAN), tmp_path)
    message = str(info.value)
    assert message.startswith(
        "No proposed architecture fits space.max_parameters=10: the last 12 proposals had "
    )
    assert message.endswith("raise it or use smaller blocks/suggestions.")
    assert "\n" not in message
    assert [t.state for t in trials_in(tmp_path)] == [TrialState.PRUNED] * 12
    assert not (tmp_path / "best.json").exists()


@pytest.mark.slow
def test_a_cap_below_every_model_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    # About 100 rejected proposals in a subprocess: tens of seconds on a busy machine.
    result = run_cli(tmp_path, "space.max_parameters=10", *LEAN)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(
        "torchsearch: error: No proposed architecture fits space.max_parameters=10: the last "
        f"{_budget.MAX_CONSECUTIVE_REJECTIONS} proposals"
    )
    assert "Traceback" not in result.stderr
    trials = trials_in(tmp_path)
    assert len(trials) == _budget.MAX_CONSECUTIVE_REJECTIONS
    assert not any(t.state is TrialState.COMPLETE for t in trials)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("search.timeout_s=-1", "search.timeout_s must be positive or null"),
        ("search.timeout_s=soon", "search.timeout_s=soon is not a number or null"),
        ("space.max_parameters=0", "space.max_parameters must be at least 1 or null"),
    ],
)
def test_bad_budgets_are_one_line_exit_1_and_write_nothing(
    override: str, expected: str, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, override)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"torchsearch: error: {expected}")
    assert trials_in(tmp_path) == []
    assert not (tmp_path / "trials.db").exists()


def test_the_progress_line_shows_how_many_failed_and_the_latest_reason() -> None:
    budget = _budget.Budget(n_trials=5)
    budget.count(_budget.Outcome(TrialState.FAIL, note="ValueError: first"))
    budget.count(_budget.Outcome(TrialState.COMPLETE, value=0.5))
    reason = "RuntimeError: torch sees no CUDA device; " + "details " * 20
    budget.count(_budget.Outcome(TrialState.FAIL, note=reason))
    line = _postfix(0.5, "accuracy", budget)
    assert line.startswith("best accuracy 0.5000, 2 failed, last: RuntimeError: torch sees")
    assert line.endswith("...") and len(line) < 120
    assert _postfix(None, "accuracy", _budget.Budget(n_trials=5)) == ""
