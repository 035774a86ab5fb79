"""Learning curves: every trial reports its validation metric while it trains.

A trial evaluates the validation split every ``search.report_every`` optimizer steps
(null: ten times a trial; 0: never) and once more at its end, reports the objective
metric at each of those steps to its Optuna trial (``trial.report``: optuna-dashboard
draws them as the trial's learning curve, and the pruner judges them), and hands the
metrics to the loggers of ``trainer.loggers``. Evaluation changes nothing in the
training: it runs in eval mode under ``inference_mode`` and draws no random number
(docs/curves.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import optuna

from torchsearch._errors import ConfigError
from torchsearch.driver._loggers import TrialLogger
from torchsearch.driver._loggers import check_loggers
from torchsearch.driver._pruning import TrialStopped

__all__ = ["CURVE_KEYS", "REPORTS_PER_TRIAL", "CurveSettings", "TrialCurve"]

REPORTS_PER_TRIAL = 10
"""Validations a trial makes while training when ``search.report_every`` is null."""

CURVE_KEYS = ("loggers",)
"""The ``trainer`` keys that are about a trial's curve, not about training it."""


@dataclass(frozen=True)
class CurveSettings:
    """The ``search.report_every`` and ``trainer.loggers`` keys.

    Args:
        report_every: optimizer steps between validations while training; ``None`` for
            a tenth of the trial's steps, 0 for none (only the final evaluation, which
            is then not reported to Optuna).
        loggers: the names of the per-trial loggers (``_loggers``).
    """

    report_every: int | None = None
    loggers: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, search: Mapping[str, Any], trainer: Mapping[str, Any]) -> CurveSettings:
        """Reads and checks the keys (and that the chosen loggers can be used).

        Raises:
            ConfigError: a report period that is not a whole number of steps, an unknown
                logger, or a logger whose package is not installed.
        """
        every = search.get("report_every")
        if every is not None and (
            isinstance(every, bool) or not isinstance(every, int) or every < 0
        ):
            raise ConfigError(
                "search.report_every must be a number of steps (0: no learning curves) "
                f"or null, got {every!r}."
            )
        loggers = trainer.get("loggers") or ()
        if isinstance(loggers, str) or not isinstance(loggers, Sequence):
            raise ConfigError(f"trainer.loggers must be a list of names, got {loggers!r}.")
        return cls(every, check_loggers(loggers))

    @property
    def reports(self) -> bool:
        """Whether trials report their curves to Optuna."""
        return self.report_every != 0

    def period(self, total_steps: int) -> int | None:
        """Steps between two validations of a trial of ``total_steps``; ``None``: none."""
        if self.report_every is not None:
            return self.report_every or None
        return max(1, math.ceil(total_steps / REPORTS_PER_TRIAL))


class TrialCurve:
    """One trial's learning curve as it trains.

    Its methods are :func:`~torchsearch.train.fit`'s callbacks: :meth:`validation` (its
    ``on_validation``) reports the objective metric to the Optuna trial, hands the
    metrics to the loggers, and raises :class:`TrialStopped` when the pruner says so;
    :meth:`epoch` (``on_epoch_end``) hands the training loss to the loggers;
    :meth:`finished` adds the final evaluation. Used as a context manager, it closes the
    loggers however the trial ends.

    Args:
        trial: the Optuna trial.
        metric: the objective metric's name (``plan.metric``).
        direction: the study's direction: a diverged (``nan``) value is reported as the
            worst value there is.
        report: report to Optuna (false under ``search.report_every=0``: loggers only).
        prune: ask the pruner after each report while training.
        loggers: the trial's loggers.
    """

    def __init__(
        self,
        trial: optuna.Trial,
        metric: str,
        direction: str,
        *,
        report: bool = True,
        prune: bool = False,
        loggers: Sequence[TrialLogger] = (),
    ) -> None:
        self.trial = trial
        self.metric = metric
        self.worst = -math.inf if direction == "maximize" else math.inf
        self.report = report
        self.prune = prune
        self.loggers = tuple(loggers)
        self.last_step: int | None = None
        self._epochs = 0

    def validation(self, step: int, metrics: dict[str, float]) -> None:
        """The validation metrics after ``step`` steps of training.

        Raises:
            TrialStopped: the pruner stops the trial here.
        """
        self._record(step, metrics)
        if self.prune and self.trial.should_prune():
            raise TrialStopped(step, metrics)

    def epoch(self, step: int, train_loss: float) -> None:
        """An epoch ended after ``step`` steps with this mean training loss."""
        self._epochs += 1
        for logger in self.loggers:
            logger.epoch(step, train_loss)

    def finished(self, steps: int, metrics: dict[str, float], train_loss: float) -> None:
        """The final evaluation after ``steps`` steps: the curve's last point (unless the
        last validation was at that step already). A loop that told no epoch (Lightning's)
        gives the last epoch's training loss here."""
        if self._epochs == 0 and not math.isnan(train_loss):
            self.epoch(steps, train_loss)
        if self.last_step != steps:
            self._record(steps, metrics)

    def _record(self, step: int, metrics: dict[str, float]) -> None:
        if self.report:
            value = float(metrics[self.metric])
            self.trial.report(self.worst if math.isnan(value) else value, step)
        self.last_step = step
        for logger in self.loggers:
            logger.validation(step, metrics)

    def __enter__(self) -> TrialCurve:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for logger in self.loggers:
            logger.close()
