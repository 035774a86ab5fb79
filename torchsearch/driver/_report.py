"""The end of a run: a leaderboard on the console and ``best.json`` in the run folder."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torchsearch._files import write_atomically
from torchsearch._secrets import PRIVATE_MODE
from torchsearch.trials import CompletedTrial

__all__ = ["BestModel", "LeaderboardRow", "describe", "format_leaderboard", "write_best"]


def describe(trial: CompletedTrial) -> str:
    """What ``trial`` evaluates, in one line: its tower, or its ensemble's members."""
    if trial.ensemble is None:
        return str(trial.architecture)
    members = ", ".join(str(m) for m in trial.ensemble.members)
    text = f"{trial.ensemble.combiner} of trials {members}"
    return f"{text} + {trial.architecture}" if trial.has_own_tower else text


@dataclass(frozen=True)
class LeaderboardRow:
    """One completed trial, as the leaderboard shows it."""

    rank: int
    trial: int
    kind: str
    origin: str
    grafted: str
    architecture: str
    parameters: int
    value: float

    @classmethod
    def of(cls, rank: int, trial: CompletedTrial) -> LeaderboardRow:
        """The row of ``trial``, ranked ``rank``."""
        origin = trial.operation or trial.kind
        if trial.parent is not None:
            origin = f"{origin} {trial.parent}"
        if trial.teacher is not None:
            origin = f"{origin}, teacher {trial.teacher.trial}"
        graft = trial.graft or {}
        grafted = f"{graft['tensors']}/{graft['of_tensors']}" if "tensors" in graft else "-"
        return cls(
            rank=rank,
            trial=trial.number,
            kind=trial.kind,
            origin=origin,
            grafted=grafted,
            architecture=describe(trial),
            parameters=trial.parameters or 0,
            value=trial.value,
        )


@dataclass(frozen=True)
class BestModel:
    """What ``best.json`` holds: the chosen trial and its held-out test score.

    The choice is made on the validation metric; ``test`` is measured once, for this
    model only: no reported figure picks the best of many on test.
    """

    trial: int
    kind: str
    members: list[int] | None
    teacher: int | None
    architecture: dict[str, Any]
    hyperparameters: dict[str, Any]
    parameters: int
    validation: dict[str, float]
    test: dict[str, float]
    checkpoint: str
    model_file: str | None
    study: str
    storage: str
    objective: str


def format_leaderboard(rows: Sequence[LeaderboardRow], metric: str, total: int) -> str:
    """A fixed-width table of the best trials, best first.

    ``kind`` is what it trained (docs/ensembles.md); ``from`` is how it was made
    (``grow 3``: trial 3's tower grown by a block; ``replay 3``: trial 3 trained again);
    ``grafted`` counts the tensors transfer learning gave it, of its model's.
    """
    if not rows:
        return "No trial has completed yet."
    width = min(max(len(r.architecture) for r in rows), 70)
    origin = max(4, *(len(r.origin) for r in rows))
    kind = max(4, *(len(r.kind) for r in rows))
    grafted = max(7, *(len(r.grafted) for r in rows))
    header = (
        f"{'rank':>4}  {'trial':>5}  {'kind':<{kind}}  {'from':<{origin}}  "
        f"{'grafted':>{grafted}}  "
        f"{'architecture':<{width}}  {'params':>9}  {metric:>10}"
    )
    lines = [f"Best {len(rows)} of {total} completed trials (validation {metric}):", header]
    for r in rows:
        arch = (
            r.architecture if len(r.architecture) <= width else r.architecture[: width - 3] + "..."
        )
        value = f"{r.value:.4f}" if math.isfinite(r.value) else str(r.value)
        lines.append(
            f"{r.rank:>4}  {r.trial:>5}  {r.kind:<{kind}}  {r.origin:<{origin}}  "
            f"{r.grafted:>{grafted}}  "
            f"{arch:<{width}}  {r.parameters:>9,}  {value:>10}"
        )
    return "\n".join(lines)


def write_best(best: BestModel, path: Path) -> Path:
    """Writes ``best`` as indented JSON to ``path``; returns the path."""
    text = json.dumps(asdict(best), indent=2, sort_keys=False) + "\n"
    return write_atomically(path, lambda partial: partial.write_text(text), mode=PRIVATE_MODE)
