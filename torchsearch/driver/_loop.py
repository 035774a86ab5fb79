"""The search loop: ask → build → graft → fit → record → tell, until the budget is spent.

Each step leaves its result in the trial's record (:mod:`torchsearch.trials`) as it
goes, so a worker killed at any point loses at most the trial it was running; a trial
left RUNNING by a dead worker is failed (and retried once) by the next worker's first
ask, through the storage's heartbeat.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import optuna
import torch
from optuna.artifacts import FileSystemArtifactStore
from optuna.trial import TrialState
from tqdm.auto import tqdm

from torchsearch._errors import TorchSearchError
from torchsearch.blocks import get_registry
from torchsearch.driver._budget import Budget
from torchsearch.driver._budget import Outcome
from torchsearch.driver._plan import RunPlan
from torchsearch.exploit import GraftResult
from torchsearch.exploit import TransferMode
from torchsearch.exploit import transfer_weights
from torchsearch.search import EXPONENTIAL_DECAY_TIMES
from torchsearch.search import decay_steps
from torchsearch.search import prepare_trial
from torchsearch.space import Architecture
from torchsearch.space import CandidateModel
from torchsearch.space import build_model
from torchsearch.train import Hyperparameters
from torchsearch.train import TrainSettings
from torchsearch.train import fit
from torchsearch.trials import RecordWriter
from torchsearch.trials import TrialProposal
from torchsearch.trials import completed_trials
from torchsearch.trials import load_state
from torchsearch.trials import save_state

__all__ = ["TrialLoop", "count_completed", "trial_hyperparameters", "trial_seed"]

_log = logging.getLogger("torchsearch")


class TrialLoop:
    """Runs one worker's trials of a study until its :class:`Budget` is spent.

    Args:
        study: the study, with an ``ArchitectureSampler``.
        plan: the checked run config.
        artifacts: where checkpoints go.
        budget: what this invocation may spend.
    """

    def __init__(
        self,
        study: optuna.Study,
        plan: RunPlan,
        artifacts: FileSystemArtifactStore,
        budget: Budget,
    ) -> None:
        self.study = study
        self.plan = plan
        self.artifacts = artifacts
        self.budget = budget
        self.registry = get_registry()

    def run(self) -> None:
        """Runs trials until ``search.n_trials`` have completed, the time budget is spent
        or a streak of failed or rejected trials stops the run (with a ConfigError)."""
        _fail_stale_trials(self.study)
        finished = count_completed(self.study)
        if not self.budget.allows_another(finished):
            return
        bar = tqdm(
            total=self.budget.n_trials,
            initial=finished,
            desc="trials",
            unit="trial",
            dynamic_ncols=True,
        )
        try:
            while self.budget.allows_another(finished):
                trial = self._ask()
                outcome = self.run_trial(trial)
                self._tell(trial, outcome)
                self.budget.count(outcome)
                finished = count_completed(self.study)
                self._show(bar, trial.number, outcome)
            line = self.budget.timeout_line(finished)
            if line:
                bar.write(line)
        finally:
            bar.close()
        error = self.budget.error()
        if error is not None:
            raise error

    def _ask(self) -> optuna.Trial:
        """A new trial (or a dead worker's trial to retry), with its heartbeat owned here."""
        _fail_stale_trials(self.study)
        with warnings.catch_warnings():
            # Optuna warns that heartbeats are for study.optimize; _heartbeat beats instead.
            warnings.filterwarnings("ignore", "Heartbeat of storage", UserWarning)
            return self.study.ask()

    def run_trial(self, trial: optuna.Trial) -> Outcome:
        """One trial, from the sampler's proposal to its recorded result.

        A :class:`TorchSearchError` fails the trial with its reason recorded and the run
        goes on; any other exception fails the trial and stops the run; Ctrl-C stops it
        at once.
        """
        record = RecordWriter.of(trial)
        with _heartbeat(self.study, trial):
            try:
                return self._lifecycle(trial, record)
            except TorchSearchError as exc:
                return Outcome(TrialState.FAIL, note=record.error(exc))
            except KeyboardInterrupt:
                # No storage call after Ctrl-C: the interrupt may have left this process's
                # database write half done, and SQLite would then make a tell wait for its
                # lock. The trial stays RUNNING until its heartbeat goes stale; the next
                # run fails it and retries it, as for a killed worker.
                raise
            except Exception as exc:
                with contextlib.suppress(Exception):
                    record.error(exc)
                    self.study.tell(trial, state=TrialState.FAIL)
                raise

    def _lifecycle(self, trial: optuna.Trial, record: RecordWriter) -> Outcome:
        """The steps of a trial; each leaves its result in the trial's record."""
        plan = self.plan
        # The sampler's architecture (it wrote the record), with hyperparameters drawn.
        proposal = prepare_trial(trial, plan.hparam_space, self.registry)
        # Build; a model over space.max_parameters is never trained, never a parent.
        model = self._build(trial.number, proposal.architecture)
        record.parameters(model.num_parameters)
        rejection = self.budget.rejection(model.num_parameters)
        if rejection is not None:
            record.rejection(rejection)
            return Outcome(TrialState.PRUNED, parameters=model.num_parameters, note=rejection)
        # Graft earlier trials' weights (transfer=...), then fit.
        graft = self._graft(trial.number, proposal, model)
        if graft is not None:
            record.graft(graft.to_dict())
        settings = self._train_settings(graft)
        result = fit(
            model,
            plan.data.train,
            plan.data.validation,
            trial_hyperparameters(proposal.architecture, self.total_steps(settings)),
            settings,
            depth=len(proposal.architecture.blocks),
        )
        # Record the results and the weights; the caller tells the study.
        checkpoint = save_state(self.artifacts, trial, model.state_dict())
        record.result(result.metrics, result.train_seconds, result.steps, checkpoint)
        return Outcome(TrialState.COMPLETE, self._objective(result.metrics), model.num_parameters)

    def _build(self, number: int, architecture: Architecture) -> CandidateModel:
        """The trial's model, its initial weights seeded by the run's seed and the trial
        alone (not by what earlier trials left in torch's generator): a resumed study
        builds the same models."""
        torch.manual_seed(trial_seed(self.plan.seed, number))
        plan = self.plan
        return build_model(architecture, plan.data.input_spec, plan.data.num_classes, plan.problem)

    def _graft(
        self, number: int, proposal: TrialProposal, model: CandidateModel
    ) -> GraftResult | None:
        """Transfer learning: earlier trials' tensors into ``model`` (``transfer=...``)."""
        settings = self.plan.transfer
        if settings.mode is TransferMode.NONE:
            return None
        graft = transfer_weights(
            model,
            settings,
            number,
            proposal.parent,
            completed_trials(self.study),
            lambda artifact_id: load_state(self.artifacts, artifact_id),
        )
        for warning in () if graft is None else graft.warnings:
            _log.warning("trial %d: %s", number, warning)
        return graft

    def _train_settings(self, graft: GraftResult | None) -> TrainSettings:
        """The trial's training settings: a grafted model trains for
        ``transfer.steps_fraction`` of the steps."""
        fraction = self.plan.transfer.steps_fraction
        if graft is None or graft.tensors == 0 or fraction >= 1.0:
            return self.plan.train
        steps = self.plan.transfer.grafted_steps(self.total_steps(self.plan.train))
        return dataclasses.replace(self.plan.train, max_steps=steps, max_epochs=None)

    def total_steps(self, settings: TrainSettings) -> int:
        """The training budget in (global) steps, as Model Search's ``train_steps``."""
        if settings.max_steps is not None:
            return settings.max_steps
        per_epoch = math.ceil(len(self.plan.data.train) / settings.batch_size)
        return per_epoch * int(settings.max_epochs or 1)

    def _objective(self, metrics: dict[str, float]) -> float:
        value = float(metrics[self.plan.metric])
        if math.isnan(value):  # a diverged candidate is the worst, not a failed trial
            value = -math.inf if self.plan.direction == "maximize" else math.inf
        return value

    def _tell(self, trial: optuna.Trial, outcome: Outcome) -> None:
        if outcome.state is TrialState.COMPLETE:
            self.study.tell(trial, outcome.value)
        else:
            self.study.tell(trial, state=outcome.state)

    def _show(self, bar: tqdm, number: int, outcome: Outcome) -> None:
        if outcome.state is TrialState.COMPLETE:
            bar.update(1)
        elif outcome.state is TrialState.FAIL:
            bar.write(f"torchsearch: trial {number} failed: {outcome.note}")
        bar.set_postfix_str(_postfix(self.study, self.plan.metric, self.budget.rejected))


def count_completed(study: optuna.Study) -> int:
    """The study's completed trials: what ``search.n_trials`` counts."""
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def trial_hyperparameters(architecture: Architecture, total_steps: int) -> Hyperparameters:
    """The training hyperparameters of ``architecture``; decay "times" become a decay
    period in steps of a trial of ``total_steps``."""
    values: dict[str, Any] = dict(architecture.hparams)
    times = values.pop(EXPONENTIAL_DECAY_TIMES, None)
    if times is not None:
        values["exponential_decay_steps"] = decay_steps(total_steps, int(times))
    return Hyperparameters.from_mapping(values)


def trial_seed(seed: int, trial_number: int) -> int:
    """The seed of a trial's initial weights, distinct per trial and run seed."""
    return (seed * 1_000_003 + trial_number) % 2**63


@contextlib.contextmanager
def _heartbeat(study: optuna.Study, trial: optuna.Trial) -> Iterator[None]:
    """Beats for ``trial`` while it runs, on storages that have heartbeats (RDB).

    The beating thread is a daemon, so an interrupted run never waits for it.
    """
    storage = study._storage
    interval = _heartbeat_interval(study)
    if not interval:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while True:
            try:
                storage.record_heartbeat(trial._trial_id)
            except Exception:  # the trial's own writes will report a lost storage
                return
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def _heartbeat_interval(study: optuna.Study) -> int | None:
    return getattr(study._storage, "get_heartbeat_interval", lambda: None)()


def _fail_stale_trials(study: optuna.Study) -> None:
    """Fails the trials whose worker stopped beating; their retry is enqueued, and the
    next ask takes it (as ``study.optimize`` does before each trial)."""
    if _heartbeat_interval(study):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)


def _postfix(study: optuna.Study, metric: str, rejected: int) -> str:
    """The bar's note: the best value so far, and how many candidates were too big."""
    try:
        best: float | None = study.best_value
    except ValueError:
        best = None
    notes = [] if best is None or not math.isfinite(best) else [f"best {metric} {best:.4f}"]
    if rejected:
        notes.append(f"{rejected} rejected (space.max_parameters)")
    return ", ".join(notes)
