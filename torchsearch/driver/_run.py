"""A search run: check the config, open the study, run trials up to the budget, report.

Rerunning the same command against the same storage and study resumes: finished trials
are kept and count toward ``search.n_trials``.
"""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path

import optuna
from omegaconf import DictConfig
from optuna.trial import TrialState
from tqdm.auto import tqdm

from torchsearch._errors import ConfigError
from torchsearch._errors import StorageError
from torchsearch._errors import TorchSearchError
from torchsearch.driver._plan import RunPlan
from torchsearch.driver._plan import make_plan
from torchsearch.driver._report import BestModel
from torchsearch.driver._results import report_best
from torchsearch.driver._storage import open_artifact_store
from torchsearch.driver._storage import open_storage
from torchsearch.driver._storage import redact
from torchsearch.driver._trial import TrialRunner
from torchsearch.search import create_sampler

__all__ = ["run_search"]

_log = logging.getLogger("torchsearch")
STUDY_ATTR = "torchsearch:identity"
MAX_CONSECUTIVE_FAILURES = 10


def run_search(cfg: DictConfig, run_dir: Path) -> BestModel | None:
    """Runs or resumes the search ``cfg`` describes; returns the best model found.

    Raises:
        TorchSearchError: a config, data, plugin or storage problem; nothing is written
            to the storage when it is found before the first trial.
    """
    quiet_libraries()
    plan = make_plan(cfg)
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
    study = _open_study(storage, plan, sampler)
    _log.info("study %s in %s", plan.storage.study, redact(str(plan.storage.url or run_dir)))
    _run_trials(study, TrialRunner(plan, artifacts), plan.n_trials)
    return report_best(study, plan, artifacts, run_dir)


def quiet_libraries() -> None:
    """Keeps Optuna's per-trial lines and experimental warnings off the console."""
    # Optuna would log a traceback for each failed trial; the driver reports one line.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _open_study(
    storage: optuna.storages.BaseStorage, plan: RunPlan, sampler: optuna.samplers.BaseSampler
) -> optuna.Study:
    identity = {
        "data": plan.data.name,
        "problem": plan.problem.value,
        "metric": plan.metric,
        "direction": plan.direction,
    }
    try:
        study = optuna.create_study(
            storage=storage,
            study_name=plan.storage.study,
            sampler=sampler,
            direction=plan.direction,
            load_if_exists=True,
        )
    except ValueError as exc:  # e.g. an existing study with the other direction
        raise ConfigError(
            f"Study {plan.storage.study!r} cannot be resumed: {exc}. Choose another "
            "storage.study for a new search."
        ) from exc
    except Exception as exc:
        raise StorageError(f"Cannot open study {plan.storage.study!r}: {exc}") from exc
    recorded = study.user_attrs.get(STUDY_ATTR)
    if recorded is None:
        study.set_user_attr(STUDY_ATTR, identity)
        study.set_user_attr("torchsearch:config", plan.config)
    elif recorded != identity:
        raise ConfigError(
            f"Study {plan.storage.study!r} was created for {recorded}, but this run asks for "
            f"{identity}. Set storage.study to a new name to start another search."
        )
    return study


def count_finished(study: optuna.Study) -> int:
    """Trials that count toward the budget: the completed ones."""
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def _run_trials(study: optuna.Study, runner: TrialRunner, n_trials: int) -> None:
    finished = count_finished(study)
    if finished >= n_trials:
        return
    bar = tqdm(total=n_trials, initial=finished, desc="trials", unit="trial", dynamic_ncols=True)
    failures = 0

    def on_trial_end(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        nonlocal failures
        if trial.state is TrialState.COMPLETE:
            failures = 0
            bar.update(1)
            best = _best_value(study)
            if best is not None:
                bar.set_postfix_str(f"best {runner.plan.metric} {best:.4f}")
        else:
            failures += 1
            error = trial.user_attrs.get("error")
            if error:
                bar.write(f"torchsearch: trial {trial.number} failed: {error}")
        if count_finished(study) >= n_trials or failures >= MAX_CONSECUTIVE_FAILURES:
            study.stop()

    try:
        while count_finished(study) < n_trials and failures < MAX_CONSECUTIVE_FAILURES:
            study.optimize(
                runner,
                n_trials=n_trials - count_finished(study),
                callbacks=[on_trial_end],
                catch=(TorchSearchError,),
                gc_after_trial=False,
                show_progress_bar=False,
            )
    finally:
        bar.close()
    if failures >= MAX_CONSECUTIVE_FAILURES:
        errors = [
            t.user_attrs.get("error") for t in study.trials[-3:] if t.user_attrs.get("error")
        ]
        raise ConfigError(
            f"{failures} trials in a row failed; the last said: {errors[-1] if errors else '?'}. "
            "Check that the space's blocks fit the data."
        )


def _best_value(study: optuna.Study) -> float | None:
    try:
        value = study.best_value
    except ValueError:
        return None
    return value if math.isfinite(value) else None
