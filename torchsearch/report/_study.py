"""A study read into what the report shows: rows, counts, the search tree's edges and the
points of the plots.

Reading is the one step that needs the trial records' own reader
(:func:`torchsearch.trials.completed_trials`, which checks each record), so a report
shows exactly the trials the search itself would rank.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from torchsearch.report._rows import LeaderboardRow
from torchsearch.report._rows import leaderboard_rows
from torchsearch.report._tree import Edge
from torchsearch.report._tree import search_edges

if TYPE_CHECKING:
    import optuna

__all__ = ["PrunedPoint", "StudyReport", "pareto_front", "read_report", "running_best"]

STATES = ("COMPLETE", "FAIL", "PRUNED", "RUNNING", "WAITING")
STATE_WORDS = {
    "COMPLETE": "completed",
    "FAIL": "failed",
    "PRUNED": "pruned",
    "RUNNING": "running",
    "WAITING": "waiting",
}


@dataclass(frozen=True)
class PrunedPoint:
    """A pruned trial that reached a validation figure before it was stopped: shown in
    the plots, apart, and never as the best."""

    trial: int
    value: float
    parameters: int | None


@dataclass(frozen=True)
class StudyReport:
    """What ``torchsearch report`` shows of one study.

    Args:
        study: the study's name.
        metric: the objective's validation metric, as the study recorded it.
        direction: ``maximize`` or ``minimize``, the study's own.
        counts: how many trials are in each state (``COMPLETE``, ``FAIL``, ...).
        rows: every completed trial with a readable record, by trial number.
        edges: the search tree: which trial came from which.
        finished_s: for each completed or pruned trial, seconds from the study's first
            trial's start to its end.
        pruned: the pruned trials that reached a validation figure.
    """

    study: str
    metric: str
    direction: str
    counts: dict[str, int]
    rows: tuple[LeaderboardRow, ...]
    edges: tuple[Edge, ...]
    finished_s: dict[int, float]
    pruned: tuple[PrunedPoint, ...] = ()

    @property
    def ranked(self) -> tuple[LeaderboardRow, ...]:
        """The rows that rank, best first."""
        return tuple(sorted((r for r in self.rows if r.ranked), key=lambda r: r.rank or 0))

    @property
    def best(self) -> LeaderboardRow | None:
        """The best trial, if one ranks."""
        ranked = self.ranked
        return ranked[0] if ranked else None

    @property
    def completed(self) -> int:
        """How many trials completed (with a readable record or not)."""
        return self.counts.get("COMPLETE", 0)

    def counts_line(self) -> str:
        """``12 completed, 2 failed, 1 pruned``: every state that has trials, completed
        always."""
        parts = [f"{self.completed} completed"]
        parts += [f"{self.counts[s]} {STATE_WORDS[s]}" for s in STATES[1:] if self.counts.get(s)]
        return ", ".join(parts)


def read_report(study: optuna.Study) -> StudyReport:
    """Reads ``study`` (one pass over its trials) into a :class:`StudyReport`."""
    from optuna.trial import TrialState

    from torchsearch.trials import StudyKey
    from torchsearch.trials import completed_trials
    from torchsearch.trials import rank

    frozen = study.get_trials(deepcopy=False)
    trials = completed_trials(study, kinds=None, trials=frozen)  # refuses several objectives
    direction = "minimize" if study.direction.name == "MINIMIZE" else "maximize"
    identity = study.user_attrs.get(StudyKey.IDENTITY.value)
    metric = str(identity.get("metric", "value")) if isinstance(identity, dict) else "value"
    starts = [t.datetime_start for t in frozen if t.datetime_start is not None]
    first = min(starts) if starts else None
    finished = {
        t.number: (t.datetime_complete - first).total_seconds()
        for t in frozen
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED) and t.datetime_complete and first
    }
    return StudyReport(
        study=study.study_name,
        metric=metric,
        direction=direction,
        counts=dict(Counter(t.state.name for t in frozen)),
        rows=leaderboard_rows(trials, rank(trials, direction)),
        edges=search_edges(trials),
        finished_s=finished,
        pruned=tuple(_pruned_points(frozen, metric)),
    )


def _pruned_points(frozen: Iterable[Any], metric: str) -> Iterable[PrunedPoint]:
    """The pruned trials whose record holds the objective metric (stopped by the pruner
    after some training; a model rejected for its size never trained)."""
    from torchsearch.trials import Key

    for trial in frozen:
        if trial.state.name != "PRUNED":
            continue
        validation = trial.user_attrs.get(Key.VALIDATION.value)
        value = validation.get(metric) if isinstance(validation, dict) else None
        parameters = trial.user_attrs.get(Key.PARAMETERS.value)
        if isinstance(value, (int, float)) and math.isfinite(value):
            size = parameters if isinstance(parameters, int) else None
            yield PrunedPoint(trial.number, float(value), size)


def pareto_front(rows: Sequence[LeaderboardRow], direction: str) -> tuple[LeaderboardRow, ...]:
    """The ranked rows no other row beats with as few parameters or fewer, by parameters:
    the best metric each model size buys."""
    sign = -1.0 if direction == "maximize" else 1.0
    ordered = sorted((r for r in rows if r.ranked), key=lambda r: (r.parameters, sign * r.value))
    front: list[LeaderboardRow] = []
    for row in ordered:
        if not front or sign * row.value < sign * front[-1].value:
            front.append(row)
    return tuple(front)


def running_best(values: Iterable[float], direction: str) -> list[float]:
    """The best value so far at each step of ``values``."""
    better = max if direction == "maximize" else min
    out: list[float] = []
    for value in values:
        out.append(value if not out else better(out[-1], value))
    return out
