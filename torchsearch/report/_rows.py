"""A completed trial as the report shows it: one row of the leaderboard.

The leaderboard of a finished search, ``torchsearch report``'s table, its CSV file, the
search tree and the plots all read these rows, so each says the same thing about a trial.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the rows are read without torch, which the trials package imports
    from torchsearch.trials import CompletedTrial

__all__ = ["LeaderboardRow", "describe", "leaderboard_rows"]


def describe(trial: CompletedTrial) -> str:
    """What ``trial`` evaluates, in one line: its tower, or its ensemble's members."""
    if trial.ensemble is None:
        return str(trial.architecture)
    members = ", ".join(str(m) for m in trial.ensemble.members)
    text = f"{trial.ensemble.combiner} of trials {members}"
    return f"{text} + {trial.architecture}" if trial.has_own_tower else text


@dataclass(frozen=True)
class LeaderboardRow:
    """One completed trial, as the report shows it.

    Args:
        rank: its place among the ranked trials, best first; ``None`` for a trial that
            never ranks (infeasible, or a value that is not a number).
        trial: its number.
        kind: what it trained (docs/ensembles.md): ``search``, ``ensemble``, ...
        operation: how it was made from its parent (``grow``, ``replace``, ``random``,
            ``warm_start``, an ensemble's strategy...).
        parent: the trial it was made from.
        teacher: the trial it was distilled from.
        members: an ensemble's member trials.
        architecture: its tower, or its ensemble's members (:func:`describe`).
        parameters: its model's trainable parameters (an ensemble's: every tower's).
        value: its validation objective.
        grafted: how many tensors transfer learning gave it, of its model's
            (``"12/20"``), ``"-"`` for none.
        train_seconds: how long it trained.
    """

    rank: int | None
    trial: int
    kind: str
    operation: str
    parent: int | None
    teacher: int | None
    members: tuple[int, ...]
    architecture: str
    parameters: int
    value: float
    grafted: str
    train_seconds: float | None

    @classmethod
    def of(cls, trial: CompletedTrial, rank: int | None) -> LeaderboardRow:
        """The row of ``trial``, ranked ``rank``."""
        graft = trial.graft or {}
        return cls(
            rank=rank,
            trial=trial.number,
            kind=trial.kind,
            operation=trial.operation or trial.kind,
            parent=trial.parent,
            teacher=trial.teacher.trial if trial.teacher else None,
            members=trial.ensemble.members if trial.ensemble else (),
            architecture=describe(trial),
            parameters=trial.parameters or 0,
            value=trial.value,
            grafted=f"{graft['tensors']}/{graft['of_tensors']}" if "tensors" in graft else "-",
            train_seconds=trial.train_seconds,
        )

    @property
    def origin(self) -> str:
        """Where it came from, in words: ``5``, ``5, teacher 4``, or ``-``."""
        parts = [] if self.parent is None else [str(self.parent)]
        if self.teacher is not None:
            parts.append(f"teacher {self.teacher}")
        return ", ".join(parts) or "-"

    @property
    def ranked(self) -> bool:
        """Whether it ranks (it can be the best model)."""
        return self.rank is not None and math.isfinite(self.value)


def leaderboard_rows(
    trials: Iterable[CompletedTrial], ranked: Iterable[CompletedTrial]
) -> tuple[LeaderboardRow, ...]:
    """Every trial of ``trials`` as a row, by trial number, each ranked by its place in
    ``ranked`` (best first, as :func:`torchsearch.trials.rank` gives them)."""
    places = {t.number: i + 1 for i, t in enumerate(ranked)}
    return tuple(
        LeaderboardRow.of(t, places.get(t.number)) for t in sorted(trials, key=lambda t: t.number)
    )
