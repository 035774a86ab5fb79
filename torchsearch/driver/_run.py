"""A search run: check the config, open the study, run trials up to the budget, report.

Rerunning the same command against the same storage and study resumes: finished trials
are kept and count toward ``search.n_trials`` (see ``_budget`` for the other budgets).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import optuna
from omegaconf import DictConfig
from optuna.artifacts import FileSystemArtifactStore

from torchsearch._errors import ConfigError
from torchsearch._errors import StorageError
from torchsearch._errors import caused_by_interrupt
from torchsearch._secrets import redact
from torchsearch.data import data_signature
from torchsearch.driver._budget import Budget
from torchsearch.driver._budget import now
from torchsearch.driver._loop import TrialLoop
from torchsearch.driver._loop import follow_trials
from torchsearch.driver._parallel import Team
from torchsearch.driver._plan import RunPlan
from torchsearch.driver._plan import make_plan
from torchsearch.driver._replay import ReplaySettings
from torchsearch.driver._replay import run_replay
from torchsearch.driver._results import report_best
from torchsearch.driver._storage import DATABASE_ERRORS
from torchsearch.driver._storage import artifact_folder
from torchsearch.driver._storage import open_artifact_store
from torchsearch.driver._storage import open_storage
from torchsearch.driver._storage import storage_lost
from torchsearch.driver._workers import share_threads
from torchsearch.report import BestModel
from torchsearch.search import create_sampler
from torchsearch.trials import claim_study
from torchsearch.trials import completed_trials

__all__ = ["run_search"]

_log = logging.getLogger("torchsearch")


def run_search(cfg: DictConfig, run_dir: Path) -> BestModel | None:
    """Runs or resumes the search ``cfg`` describes; returns the best model found.

    Under torchrun every rank calls this (``trainer.parallel``, docs/parallel.md); rank 0
    reports once all have finished, the others return ``None``.

    Raises:
        TorchSearchError: a config, data, plugin or storage problem; nothing is written
            to the storage when it is found before the first trial.
    """
    started = now()  # the time budget counts from the start of the invocation
    quiet_libraries()
    plan = make_plan(cfg)
    team = Team(plan.parallel)
    team.start()
    try:
        return _run(plan, team, run_dir, started)
    except Exception as exc:
        lost = None if caused_by_interrupt(exc) else storage_lost(exc, plan.storage, run_dir)
        if lost is None:
            raise
        raise lost from exc
    finally:
        team.stop()


def _run(plan: RunPlan, team: Team, run_dir: Path, started: float) -> BestModel | None:
    """This process's part of the search, then the report (rank 0, once all are done)."""
    share_threads(plan.parallel.workers_per_host, plan.parallel.threads)
    storage = open_storage(plan.storage, run_dir)
    artifacts = open_artifact_store(plan.storage, run_dir)
    sampler = create_sampler(
        plan.searcher,
        plan.search,
        plan.searcher_options,
        inner_name=plan.inner_sampler,
        seed=plan.seed,
        suggestions=plan.suggestions,
    )
    replay = ReplaySettings.from_config(plan.config.get("replay") or {})
    study = _open_study(storage, plan, sampler, resume_only=replay.active)
    _log.info("study %s in %s", plan.storage.study, redact(str(plan.storage.url or run_dir)))
    budget = Budget(plan.n_trials, plan.timeout_s, plan.max_parameters, started=started)
    loop = TrialLoop(
        study,
        plan,
        artifacts,
        budget,
        team,
        show_progress=team.is_reporter,
        logs=run_dir / "logs",
    )
    if not team.is_worker:
        follow_trials(team, plan)
    else:
        try:
            if not replay.active:
                loop.run()
            elif team.is_reporter:  # a replay is one command's work, not every rank's
                run_replay(study, loop, replay)
        finally:
            if plan.parallel.mode == "ddp":
                team.send(None)  # the other ranks stop following
    team.barrier()
    if not team.is_reporter:
        return None
    best = report_best(study, plan, artifacts, run_dir)
    if best is None and completed_trials(study, kinds=None):
        best = _retrain_best(study, loop, artifacts, run_dir)
    return best


def _retrain_best(
    study: optuna.Study, loop: TrialLoop, artifacts: FileSystemArtifactStore, run_dir: Path
) -> BestModel:
    """The report's fallback when no completed trial's checkpoint can be read (the
    checkpoint folder moved or was deleted): the best trial trained again from its
    record, as ``torchsearch replay trial=best`` would, then the report.

    Raises:
        StorageError: that failed too.
    """
    folder = artifact_folder(loop.plan.storage, run_dir)
    print(
        f"torchsearch: no completed trial's checkpoint can be read from {folder}; training "
        "the best trial again from its record (torchsearch replay trial=best)."
    )
    run_replay(study, loop, ReplaySettings(trial="best"))
    best = report_best(study, loop.plan, artifacts, run_dir)
    if best is None:
        raise StorageError(
            f"No checkpoint can be read from {folder}, and training the best trial again "
            "failed (see above). The finished trials are kept in the storage; point "
            "storage.artifacts at the folder that holds their checkpoints."
        )
    return best


def quiet_libraries() -> None:
    """Keeps Optuna's per-trial lines and experimental warnings off the console."""
    # Optuna would log a traceback for each failed trial; the driver reports one line.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _open_study(
    storage: optuna.storages.BaseStorage,
    plan: RunPlan,
    sampler: optuna.samplers.BaseSampler,
    *,
    resume_only: bool = False,
) -> optuna.Study:
    identity = {
        "data": plan.data.name,
        "problem": plan.problem.value,
        "metric": plan.metric,
        "direction": plan.direction,
        **data_signature(plan.config.get("data") or {}, plan.data),
    }
    if resume_only and plan.storage.study not in _study_names(storage):
        raise ConfigError(
            f"There is no study {plan.storage.study!r} to replay from in this storage; run "
            "the search first, with the same data, space and storage settings."
        )
    try:
        study = optuna.create_study(
            storage=storage,
            study_name=plan.storage.study,
            sampler=sampler,
            pruner=plan.pruning.make_pruner(),
            direction=plan.direction,
            load_if_exists=True,
        )
    except ValueError as exc:  # e.g. an existing study with the other direction
        raise ConfigError(
            f"Study {plan.storage.study!r} cannot be resumed: {exc}. Choose another "
            "storage.study for a new search."
        ) from exc
    except DATABASE_ERRORS:
        raise  # run_search names the database and its own reason (storage_lost)
    except Exception as exc:
        raise StorageError(f"Cannot open study {plan.storage.study!r}: {exc}") from exc
    claim_study(study, identity, plan.config)
    return study


def _study_names(storage: optuna.storages.BaseStorage) -> set[str]:
    try:
        return {s.study_name for s in storage.get_all_studies()}
    except Exception as exc:
        raise StorageError(f"Cannot read the studies of the storage: {exc}") from exc
