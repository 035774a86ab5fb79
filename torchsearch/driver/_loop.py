"""The search loop: ask → build → graft → fit → record → tell, until the budget is spent.

Each step leaves its result in the trial's record (:mod:`torchsearch.trials`) as it
goes, so a worker killed at any point loses at most the trial it was running; a trial
left RUNNING by a dead worker is failed (and retried once) by the next worker's first
ask, through the storage's heartbeat.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
import math
import random
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import torch
from optuna.artifacts import FileSystemArtifactStore
from optuna.trial import FrozenTrial
from optuna.trial import TrialState
from torch import nn
from tqdm.auto import tqdm

from torchsearch._errors import StorageLostError
from torchsearch._errors import TorchSearchError
from torchsearch.blocks import get_registry
from torchsearch.driver._budget import Budget
from torchsearch.driver._budget import Outcome
from torchsearch.driver._curves import TrialCurve
from torchsearch.driver._loggers import TrialLogger
from torchsearch.driver._loggers import open_loggers
from torchsearch.driver._loggers import trial_log_folder
from torchsearch.driver._parallel import Team
from torchsearch.driver._plan import RunPlan
from torchsearch.driver._pruning import TrialStopped
from torchsearch.driver._recipe import TrialRecipe
from torchsearch.driver._recipe import recorded_recipe
from torchsearch.driver._recipe import search_recipe
from torchsearch.driver._resources import memory_peaks
from torchsearch.driver._resources import reset_device_peak
from torchsearch.driver._workers import PRUNED_EARLY
from torchsearch.driver._workers import SURPLUS
from torchsearch.driver._workers import Census
from torchsearch.driver._workers import Worker
from torchsearch.driver._workers import share_threads
from torchsearch.driver._workers import take_census
from torchsearch.exploit import EnsembleLoss
from torchsearch.exploit import EnsembleModel
from torchsearch.exploit import EnsembleStrategy
from torchsearch.exploit import GraftResult
from torchsearch.exploit import TransferMode
from torchsearch.exploit import TrialModels
from torchsearch.exploit import transfer_weights
from torchsearch.search import prepare_trial
from torchsearch.space import Architecture
from torchsearch.space import CandidateModel
from torchsearch.train import DistillationLoss
from torchsearch.train import FitResult
from torchsearch.train import Hyperparameters
from torchsearch.train import LabelLoss
from torchsearch.train import TrainingLoss
from torchsearch.train import TrainSettings
from torchsearch.train import evaluate
from torchsearch.train import fit
from torchsearch.trials import Key
from torchsearch.trials import RecordWriter
from torchsearch.trials import TrainingRecord
from torchsearch.trials import TrialProposal
from torchsearch.trials import completed_trials
from torchsearch.trials import load_state
from torchsearch.trials import rank
from torchsearch.trials import save_state

__all__ = ["FitJob", "TrialLoop", "follow_trials", "trial_hyperparameters", "trial_seed"]

_log = logging.getLogger("torchsearch")


class TrialLoop:
    """Runs one worker's trials of a study until its :class:`Budget` is spent.

    Args:
        study: the study, with an ``ArchitectureSampler``.
        plan: the checked run config.
        artifacts: where checkpoints go.
        budget: what this invocation may spend.
        team: the processes of this command (alone by default); under DDP every fit is
            sent to all of them.
        show_progress: draw the progress bar (one rank of a torchrun job does).
        logs: the folder of the trials' loggers (``trainer.loggers``), the run folder's
            ``logs``.
    """

    def __init__(
        self,
        study: optuna.Study,
        plan: RunPlan,
        artifacts: FileSystemArtifactStore,
        budget: Budget,
        team: Team | None = None,
        *,
        show_progress: bool = True,
        logs: Path | None = None,
    ) -> None:
        self.study = study
        self.logs = logs
        self.plan = plan
        self.artifacts = artifacts
        self.budget = budget
        self.team = team
        self.show_progress = show_progress
        self.registry = get_registry()
        self.worker = Worker.this()
        parallel = plan.parallel
        self.threads = parallel.threads
        # Under torchrun the job says how many processes share the host; alone, the
        # other workers on the study say it, trial by trial.
        self.workers_per_host = parallel.workers_per_host if parallel.layout else None
        self.count_pruned = plan.pruning.counted
        storage = plan.storage
        # Where the storage has no heartbeat of its own, a trial's heartbeat attribute
        # older than this means its worker (on any host) is gone.
        self._grace_period = (
            (storage.grace_period or 2 * storage.heartbeat_interval)
            if storage.heartbeat_interval
            else None
        )

    def run(self) -> None:
        """Runs trials until ``search.n_trials`` have completed, the time budget is spent
        or a streak of failed or rejected trials stops the run (with a ConfigError).

        Other workers may share the study: a trial starts only while the completed and
        live trials leave room in the budget, and one that lost the race for the last
        place ends as surplus (``_workers``), so the study holds exactly
        ``search.n_trials`` completed trials.
        """
        census = self._census()
        if not self.budget.allows_another(census.completed + census.live):
            return
        bar = tqdm(
            total=self.budget.n_trials,
            initial=census.completed,
            desc="trials",
            unit="trial",
            dynamic_ncols=True,
            disable=not self.show_progress,
        )
        try:
            while self.budget.allows_another(census.completed + census.live):
                self._share_threads(census)
                trial = self._ask()
                if self._is_surplus(trial, census):
                    break
                outcome = self.run_trial(trial)
                self._tell(trial, outcome)
                self.budget.count(outcome)
                census = self._census()
                self._show(bar, trial.number, outcome)
            line = self.budget.timeout_line(census.completed)
            if line:
                bar.write(line)
        finally:
            bar.close()
        error = self.budget.error()
        if error is not None:
            raise error

    def _census(self, before: int | None = None) -> Census:
        """The study's completed and live trials (numbered below ``before``, when given);
        a trial whose worker is gone is failed first (by the storage's heartbeat where
        it has one; at once where the worker certainly stopped), and retried where the
        storage retries stale trials."""
        _fail_stale_trials(self.study)
        trials = self.study.get_trials(deepcopy=False)
        census = take_census(
            trials,
            self.worker,
            before=before,
            count_pruned=self.count_pruned,
            grace_period=None if _heartbeat_interval(self.study) else self._grace_period,
        )
        for dead in census.dead:
            _fail_abandoned(self.study, dead)
        return census

    def _is_surplus(self, trial: optuna.Trial, before_ask: Census) -> bool:
        """Ends ``trial`` as surplus (PRUNED, counting for nothing) when the trials
        numbered before it already fill the budget; the study is read again only when
        the census taken before the ask cannot rule that out."""
        if not before_ask.may_fill(trial.number, self.budget.n_trials):
            return False
        record = RecordWriter.of(trial)
        census = self._census(before=trial.number)
        if census.completed + census.live < self.budget.n_trials:
            return False
        record.rejection(
            f"{SURPLUS}: the trials before it already make search.n_trials="
            f"{self.budget.n_trials} ({census.completed} completed, {census.live} running)"
        )
        self.study.tell(trial, state=TrialState.PRUNED)
        return True

    def _share_threads(self, census: Census) -> None:
        """This worker's share of the host's cores, for the trial about to start."""
        workers = self.workers_per_host or census.neighbours + 1
        share_threads(workers, self.threads)

    def run_recipe(self, recipe: TrialRecipe) -> tuple[int, Outcome]:
        """One new trial that trains ``recipe`` (a replay, a replica, their ensemble),
        told to the study; returns its number and outcome."""
        self._census()  # fails a dead worker's trials first
        trial = self._ask()
        outcome = self.run_trial(trial, recipe)
        self._tell(trial, outcome)
        if outcome.state is TrialState.FAIL:
            print(f"torchsearch: trial {trial.number} failed: {outcome.note}")
        return trial.number, outcome

    def _ask(self) -> optuna.Trial:
        """A new trial (or a dead worker's trial to retry), with its heartbeat owned here
        and this worker recorded in it."""
        with warnings.catch_warnings():
            # Optuna warns that heartbeats are for study.optimize; _heartbeat beats instead.
            warnings.filterwarnings("ignore", "Heartbeat of storage", UserWarning)
            trial = self.study.ask()
        RecordWriter.of(trial).worker(self.worker.to_dict())
        return trial

    def run_trial(self, trial: optuna.Trial, recipe: TrialRecipe | None = None) -> Outcome:
        """One trial, from its recipe (by default what the search and the exploitation
        settings ask of it) to its recorded result.

        A :class:`TorchSearchError` fails the trial with its reason recorded and the run
        goes on; a :class:`StorageLostError` (the checkpoint folder gone) or any other
        exception fails the trial and stops the run; Ctrl-C stops it at once.
        """
        record = RecordWriter.of(trial)
        with _heartbeat(self.study, trial, self.plan.storage.heartbeat_interval):
            try:
                if recipe is None:
                    recipe = self._search_recipe(trial)
                return self._lifecycle(trial, record, recipe)
            except StorageLostError as exc:  # no later trial could be kept either
                with contextlib.suppress(Exception):
                    record.error(exc)
                    self.study.tell(trial, state=TrialState.FAIL)
                raise
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

    def _search_recipe(self, trial: optuna.Trial) -> TrialRecipe:
        """What an earlier attempt of ``trial`` recorded, or what the exploitation
        settings ask of it."""
        plan = self.plan
        number = trial.number
        # The trial as ``ask`` read it (nothing is written before this point): a retried
        # trial's copied record is there, with no second storage read per trial.
        recorded = recorded_recipe(trial._cached_frozen_trial)
        if recorded is not None:
            return recorded
        if not plan.exploit.active:
            return TrialRecipe()
        return search_recipe(
            plan.exploit,
            number,
            completed_trials(self.study, kinds=None),
            plan.direction,
            num_suggestions=len(plan.suggestions),
            rng=random.Random(trial_seed(plan.seed, number)),
        )

    def _lifecycle(
        self, trial: optuna.Trial, record: RecordWriter, recipe: TrialRecipe
    ) -> Outcome:
        """The steps of a trial; each leaves its result in the trial's record."""
        plan = self.plan
        proposal = self._proposal(trial, record, recipe)
        given = recipe.training
        seed = trial_seed(plan.seed, trial.number) if given is None else given.seed
        tower: CandidateModel | None = None
        graft: GraftResult | None = None
        if recipe.has_tower:
            if recipe.searched:
                # A model over space.max_parameters is never built, trained or a parent.
                counted = self.plan.count_parameters(proposal.architecture)
                record.parameters(counted)
                rejection = self.budget.rejection(counted)
                if rejection is not None:
                    record.rejection(rejection)
                    return Outcome(TrialState.PRUNED, parameters=counted, note=rejection)
            tower = self._build(seed, proposal.architecture)
            if recipe.searched:
                # Graft earlier trials' weights (transfer=...).
                graft = self._graft(trial.number, proposal, tower)
                if graft is not None:
                    record.graft(graft.to_dict())
        training = given or TrainingRecord(seed, plan.seed, self._steps(graft))
        record.training(training)
        # Frozen members, a teacher or a warm start, from earlier trials' checkpoints.
        model, loss = self._assemble(tower, recipe, record)
        parameters = sum(p.numel() for p in model.parameters())
        record.parameters(parameters)
        reset_device_peak()
        try:
            result = self._fit(trial, model, proposal, training, loss)
        except TrialStopped as stopped:
            reason = f"{PRUNED_EARLY} at step {stopped.step} by the {plan.pruning.pruner} pruner"
            record.stopped(stopped.metrics, stopped.step, reason)
            value = self._objective(stopped.metrics)
            return Outcome(TrialState.PRUNED, value, parameters, reason, stopped_early=True)
        # Record the results and the weights; the caller tells the study.
        checkpoint, size = save_state(self.artifacts, trial, model.state_dict())
        record.result(result.metrics, result.train_seconds, result.steps, checkpoint)
        record.resources({"checkpoint_bytes": size, **memory_peaks()})
        return Outcome(TrialState.COMPLETE, self._objective(result.metrics), parameters)

    def _proposal(
        self, trial: optuna.Trial, record: RecordWriter, recipe: TrialRecipe
    ) -> TrialProposal:
        """The recipe's tower and hyperparameters, or the sampler's (it wrote the record)
        with hyperparameters drawn; recorded either way."""
        if recipe.proposal is not None:
            record.proposal(recipe.proposal)
            return recipe.proposal
        proposal = prepare_trial(trial, self.plan.hparam_space, self.registry)
        if recipe.kind is not None:  # e.g. a search candidate distilled from a teacher
            proposal = dataclasses.replace(proposal, kind=recipe.kind)
            record.proposal(proposal)
        return proposal

    def _assemble(
        self, tower: CandidateModel | None, recipe: TrialRecipe, record: RecordWriter
    ) -> tuple[nn.Module, TrainingLoss]:
        """The model to train around ``tower`` and its loss: the tower warm-started, in an
        ensemble with frozen members, or taught by a teacher, as ``recipe`` says.

        Raises:
            CheckpointError: a member's, the teacher's or the warm start's weights are
                missing: this trial fails with that reason, the search goes on.
        """
        label = LabelLoss(self.plan.loss)
        if not (recipe.ensemble or recipe.teacher or recipe.warm_start is not None):
            assert tower is not None
            return tower, label
        models = self._models()
        model: nn.Module | None = tower
        loss: TrainingLoss = label
        if tower is not None and recipe.warm_start is not None:
            tower.load_state_dict(models.tower(recipe.warm_start).state_dict())
        if recipe.ensemble is not None:
            record.ensemble(recipe.ensemble)
            members = [models.tower(n) for n in recipe.ensemble.members]
            outputs = self.plan.data.num_outputs
            model = EnsembleModel(members, tower, recipe.ensemble.combiner, outputs)
            own_loss = recipe.ensemble.strategy == EnsembleStrategy.ADAPTIVE.value
            loss = EnsembleLoss(own_loss=own_loss, kind=self.plan.loss)
        if recipe.teacher is not None:
            teacher = recipe.teacher
            record.teacher(teacher)
            loss = DistillationLoss(
                models.model(teacher.trial),
                teacher.kind,
                teacher.temperature,
                teacher.weight,
                label_kind=self.plan.loss,
            )
        assert model is not None
        return model, loss

    def _fit(
        self,
        trial: optuna.Trial,
        model: nn.Module,
        proposal: TrialProposal,
        training: TrainingRecord,
        loss: TrainingLoss | None,
    ) -> FitResult:
        """Trains ``model`` as ``training`` says (over every rank under DDP), reporting
        its learning curve (``_curves``); an ensemble that trains nothing (an average of
        frozen members) is only evaluated, and has no curve.

        Raises:
            TrialStopped: the pruner stopped the trial.
        """
        plan = self.plan
        if isinstance(model, EnsembleModel) and not model.trains:
            start = time.perf_counter()
            metrics = evaluate(model, plan.data.validation, plan.train.eval_batch_size)
            return FitResult(metrics, time.perf_counter() - start, 0, 0.0, math.nan)
        settings = dataclasses.replace(
            plan.train, seed=training.data_seed, max_steps=training.steps, max_epochs=None
        )
        tower = model.tower if isinstance(model, EnsembleModel) else model
        job = FitJob(
            model,
            trial_hyperparameters(proposal.architecture, training.steps),
            settings,
            # a pure ensemble's combiner is never scaled (the maximum depth scales by 1)
            plan.search.maximum_depth if tower is None else len(proposal.architecture.blocks),
            loss,
        )
        if self.team is not None and self.team.settings.mode == "ddp":
            self.team.send(job)
        curve = self._curve(trial)
        if curve is None:
            return job.run(plan)
        with curve:
            options: dict[str, Any] = {}
            if plan.train.resolved_loop == "lean":
                options["on_epoch_end"] = curve.epoch
                period = plan.curves.period(training.steps)
                if period is not None:
                    options.update(validate_every=period, on_validation=curve.validation)
            result = job.run(plan, **options)
            curve.finished(result.steps, result.metrics, result.train_loss)
        return result

    def _curve(self, trial: optuna.Trial) -> TrialCurve | None:
        """Where ``trial``'s validations go (Optuna, its loggers, the pruner), or ``None``
        when nowhere (``search.report_every=0`` and no loggers)."""
        plan = self.plan
        loggers: list[TrialLogger] = []
        if plan.curves.loggers and self.logs is not None:
            loggers = open_loggers(plan.curves.loggers, trial_log_folder(self.logs, trial.number))
        if not plan.curves.reports and not loggers:
            return None
        return TrialCurve(
            trial,
            plan.metric,
            plan.direction,
            report=plan.curves.reports,
            prune=plan.pruning.active,
            loggers=loggers,
        )

    def _models(self) -> TrialModels:
        """The completed trials' models, to draw members, teachers and warm starts from."""
        return self.plan.trial_models(completed_trials(self.study, kinds=None), self.artifacts)

    def _build(self, seed: int, architecture: Architecture) -> CandidateModel:
        """The trial's model, its initial weights seeded by ``seed`` alone (not by what
        earlier trials left in torch's generator): a resumed study builds the same
        models, and a replay the same model again."""
        torch.manual_seed(seed)
        return self.plan.build(architecture)

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

    def _steps(self, graft: GraftResult | None) -> int:
        """The trial's step budget: a grafted model trains for ``transfer.steps_fraction``
        of the trainer's."""
        steps = self.total_steps(self.plan.train)
        fraction = self.plan.transfer.steps_fraction
        if graft is None or graft.tensors == 0 or fraction >= 1.0:
            return steps
        return self.plan.transfer.grafted_steps(steps)

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
        """Tells the study how ``trial`` ended; a trial another worker has already ended
        (it judged this one dead: no heartbeat within the grace period) keeps that end,
        with one line saying so, and the search goes on."""
        try:
            if outcome.state is TrialState.COMPLETE:
                self.study.tell(trial, outcome.value)
            else:
                self.study.tell(trial, state=outcome.state)
        except (optuna.exceptions.UpdateFinishedTrialError, ValueError):
            # Optuna says so either way: the storage's error, or the tell's own check.
            if not self.study._storage.get_trial(trial._trial_id).state.is_finished():
                raise
            print(
                f"torchsearch: trial {trial.number} was ended by another worker while it "
                "ran (no heartbeat within storage.grace_period); its result is not kept."
            )

    def _show(self, bar: tqdm, number: int, outcome: Outcome) -> None:
        if outcome.state is TrialState.COMPLETE:
            bar.update(1)
        elif outcome.state is TrialState.FAIL:
            bar.write(f"torchsearch: trial {number} failed: {outcome.note}")
        ranked = rank(completed_trials(self.study, kinds=None), self.plan.direction)
        best = ranked[0].value if ranked else None
        bar.set_postfix_str(_postfix(best, self.plan.metric, self.budget))


@dataclass(frozen=True)
class FitJob:
    """One trial's training, complete but for the data: what rank 0 sends every rank
    under DDP (the model with its initial weights, frozen members and teacher)."""

    model: nn.Module
    hparams: Hyperparameters
    settings: TrainSettings
    depth: int
    loss: TrainingLoss | None

    def run(self, plan: RunPlan, **options: Any) -> FitResult:
        """Trains the model on the plan's data (``options`` go to ``fit``)."""
        return fit(
            self.model,
            plan.data.train,
            plan.data.validation,
            self.hparams,
            self.settings,
            depth=self.depth,
            loss=self.loss,
            **options,
        )


def follow_trials(team: Team, plan: RunPlan) -> None:
    """Ranks 1.. under DDP: train every model rank 0 sends, until it sends ``None``."""
    while (job := team.receive()) is not None:
        job.run(plan)


def trial_hyperparameters(architecture: Architecture, total_steps: int) -> Hyperparameters:
    """The training hyperparameters of ``architecture``; decay "times" become a decay
    period in steps of a trial of ``total_steps``."""
    return Hyperparameters.from_record(architecture.hparams, total_steps)


def trial_seed(seed: int, trial_number: int) -> int:
    """The seed of a trial's initial weights, distinct per trial and run seed."""
    return (seed * 1_000_003 + trial_number) % 2**63


@contextlib.contextmanager
def _heartbeat(
    study: optuna.Study, trial: optuna.Trial, own_interval: int | None = None
) -> Iterator[None]:
    """Beats for ``trial`` while it runs: through the storage's own heartbeat (RDB), or,
    every ``own_interval`` seconds, as the trial's ``heartbeat`` attribute on a storage
    without one (the journal), which the census reads (``_workers``).

    The beating thread is a daemon, so an interrupted run never waits for it.
    """
    storage = study._storage
    native = _heartbeat_interval(study)
    interval = native or own_interval
    if not interval:
        yield
        return
    stop = threading.Event()

    def record() -> None:
        if native:
            storage.record_heartbeat(trial._trial_id)
        else:
            storage.set_trial_user_attr(trial._trial_id, Key.HEARTBEAT.value, time.time())

    def beat() -> None:
        while True:
            # A write that fails (a database busy with other workers' writes) is tried
            # again at the next beat: a thread that gave up would let the trial pass for
            # dead and be failed under its running worker. A storage that is gone for
            # good is reported by the trial's own writes.
            with contextlib.suppress(Exception):
                record()
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


def _fail_abandoned(study: optuna.Study, trial: FrozenTrial) -> None:
    """Fails a RUNNING trial whose worker is certainly gone (its process, on this host;
    its heartbeat attribute, on the journal) without waiting for a storage heartbeat's
    grace period, and retries it as that heartbeat would (SQLite, PostgreSQL)."""
    storage = study._storage
    worker = trial.user_attrs.get(Key.WORKER.value)
    try:
        storage.set_trial_user_attr(
            trial._trial_id, Key.ERROR.value, f"its worker {worker} stopped mid-trial"
        )
        failed = storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    except Exception:  # another worker failed it first
        return
    retry = getattr(storage, "get_failed_trial_callback", lambda: None)()
    if failed and retry is not None:
        retry(study, copy.deepcopy(storage.get_trial(trial._trial_id)))


POSTFIX_REASON_CHARS = 60
"""How much of the latest failure's reason the bar's line shows (the full reason is the
line printed above the bar, and the trial's record)."""


def _postfix(best: float | None, metric: str, budget: Budget) -> str:
    """The bar's note: the best value so far (of the valid records), how many candidates
    were too big, how many the pruner stopped, and how many failed with the latest
    reason."""
    notes = [] if best is None or not math.isfinite(best) else [f"best {metric} {best:.4f}"]
    if budget.rejected:
        notes.append(f"{budget.rejected} rejected (space.max_parameters)")
    if budget.stopped:
        notes.append(f"{budget.stopped} pruned")
    if budget.failed:
        reason = budget.last_error or "?"
        if len(reason) > POSTFIX_REASON_CHARS:
            reason = reason[: POSTFIX_REASON_CHARS - 3] + "..."
        notes.append(f"{budget.failed} failed, last: {reason}")
    return ", ".join(notes)
