"""The run's budgets, in one place: trials, wall clock, model size, and failure streaks.

``search.n_trials`` counts the study's completed trials, read from the storage before
each new trial, so finished trials of a resumed study (or of other workers) count.
``search.timeout_s`` stops new trials once that many seconds have passed since this
invocation began (a rerun gets a fresh budget). A candidate over
``space.max_parameters`` is rejected untrained and does not count. Streaks of failed
or rejected trials stop the run with one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from time import monotonic

from optuna.trial import TrialState

from torchsearch._errors import ConfigError
from torchsearch.trials import OVERSIZED

__all__ = [
    "MAX_CONSECUTIVE_FAILURES",
    "MAX_CONSECUTIVE_REJECTIONS",
    "Budget",
    "Outcome",
    "now",
]

MAX_CONSECUTIVE_FAILURES = 10
MAX_CONSECUTIVE_REJECTIONS = 100


def now() -> float:
    """The budget's clock: seconds of a monotonic clock."""
    return monotonic()


@dataclass(frozen=True)
class Outcome:
    """How one trial ended, as the budget counts it.

    Args:
        state: COMPLETE, PRUNED (rejected for its size, or stopped by the pruner) or FAIL.
        value: the objective value of a completed trial (the last one of a stopped trial).
        parameters: the model's trainable parameters, when it was built.
        note: the error of a failed trial, or why a trial was pruned.
        stopped_early: the pruner stopped it (it trained, and was not rejected).
    """

    state: TrialState
    value: float | None = None
    parameters: int | None = None
    note: str | None = None
    stopped_early: bool = False


@dataclass
class Budget:
    """What this invocation may still spend, and what it has spent.

    Args:
        n_trials: completed trials the study should hold (``search.n_trials``).
        timeout_s: seconds after which no new trial starts (``search.timeout_s``).
        max_parameters: the largest model trained (``space.max_parameters``).
    """

    n_trials: int
    timeout_s: float | None = None
    max_parameters: int | None = None
    started: float = field(default_factory=now)
    completed: int = 0
    rejected: int = 0
    stopped: int = 0
    failed: int = 0
    failures: int = 0
    rejections: int = 0
    smallest_rejected: int | None = None
    last_error: str | None = None

    def allows_another(self, finished: int) -> bool:
        """Whether a new trial may start, with ``finished`` completed in the study."""
        return finished < self.n_trials and not self.exhausted() and not self.time_spent()

    def rejection(self, parameters: int) -> str | None:
        """Why a model of ``parameters`` is not trained, or ``None`` when it fits."""
        cap = self.max_parameters
        if cap is None or parameters <= cap:
            return None
        return f"{OVERSIZED}: {parameters:,} parameters > space.max_parameters {cap:,}"

    def count(self, outcome: Outcome) -> None:
        """Counts a trial that has just ended. A completed trial ends both streaks;
        neither streak ends the other, so a run alternating the two still stops."""
        if outcome.state is TrialState.COMPLETE or outcome.stopped_early:
            self.completed += outcome.state is TrialState.COMPLETE
            self.stopped += outcome.stopped_early
            self.failures = self.rejections = 0
            self.smallest_rejected = None
        elif outcome.state is TrialState.PRUNED:
            self.rejected += 1
            self.rejections += 1
            size = outcome.parameters or 0
            smallest = self.smallest_rejected
            self.smallest_rejected = size if smallest is None else min(smallest, size)
        else:
            self.failed += 1
            self.failures += 1
            self.last_error = outcome.note or self.last_error

    def elapsed(self) -> float:
        """Seconds since this invocation began."""
        return now() - self.started

    def time_spent(self) -> bool:
        """Whether the wall-clock budget is spent."""
        return self.timeout_s is not None and self.elapsed() >= self.timeout_s

    def exhausted(self) -> bool:
        """Whether a streak of failed or rejected trials has reached its limit."""
        return (
            self.failures >= MAX_CONSECUTIVE_FAILURES
            or self.rejections >= MAX_CONSECUTIVE_REJECTIONS
        )

    def error(self) -> ConfigError | None:
        """The one-line error of an exhausted streak, else ``None``."""
        if self.failures >= MAX_CONSECUTIVE_FAILURES:
            return ConfigError(
                f"{self.failures} trials in a row failed; the last said: "
                f"{(self.last_error or '?').rstrip('.')}. Check that the space's blocks fit "
                "the data."
            )
        if self.rejections >= MAX_CONSECUTIVE_REJECTIONS:
            return ConfigError(
                f"No proposed architecture fits space.max_parameters={self.max_parameters}: "
                f"the last {self.rejections} proposals had {self.smallest_rejected:,} "
                "parameters or more; raise it or use smaller blocks/suggestions."
            )
        return None

    def timeout_line(self, finished: int) -> str | None:
        """The line saying the time budget, not ``search.n_trials``, ended the run."""
        if finished >= self.n_trials or not self.time_spent() or self.exhausted():
            return None
        done = self.completed
        return (
            f"torchsearch: search.timeout_s={self.timeout_s:g} reached after "
            f"{self.elapsed():.0f} s; {done} trial{'' if done == 1 else 's'} "
            f"finished in this run, {finished} of {self.n_trials} in the study. Rerun the "
            "same command to continue with a fresh time budget."
        )
