"""A search run: check the config, open the study, run trials up to the budget, report.

Rerunning the same command against the same storage and study resumes: finished trials
are kept and count toward ``search.n_trials``. ``search.timeout_s`` stops the run from
starting new trials once that many seconds have passed since this invocation began; the
running trial finishes, the report is still made, and a rerun gets a fresh time budget.
Candidates over ``space.max_parameters`` are pruned untrained and do not count.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from time import monotonic

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
from torchsearch.driver._trial import ATTR_ERROR
from torchsearch.driver._trial import ATTR_PARAMETERS
from torchsearch.driver._trial import TrialRunner
from torchsearch.search import create_sampler

__all__ = ["run_search"]

_log = logging.getLogger("torchsearch")
STUDY_ATTR = "torchsearch:identity"
MAX_CONSECUTIVE_FAILURES = 10
MAX_CONSECUTIVE_REJECTIONS = 100


def run_search(cfg: DictConfig, run_dir: Path) -> BestModel | None:
    """Runs or resumes the search ``cfg`` describes; returns the best model found.

    Raises:
        TorchSearchError: a config, data, plugin or storage problem; nothing is written
            to the storage when it is found before the first trial.
    """
    budget_started = monotonic()
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
    _run_trials(study, TrialRunner(plan, artifacts), TimeBudget(plan.timeout_s, budget_started))
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


@dataclass(frozen=True)
class TimeBudget:
    """``search.timeout_s``, counted from the start of this invocation (a resumed run gets
    a fresh one); ``seconds=None`` never runs out."""

    seconds: float | None
    started: float

    def elapsed(self) -> float:
        """Seconds since this invocation began."""
        return monotonic() - self.started

    def spent(self) -> bool:
        """Whether no new trial may start."""
        return self.seconds is not None and self.elapsed() >= self.seconds


@dataclass
class _Tally:
    """This invocation's finished trials, and the failed and rejected ones since the last
    completed trial: either streak stops the run at its limit. Neither resets the other,
    so that a run alternating failures and rejections still ends."""

    completed: int = 0
    rejected: int = 0
    failures: int = 0
    rejections: int = 0
    smallest_rejected: int | None = None
    last_error: str | None = None

    def record(self, trial: optuna.trial.FrozenTrial) -> None:
        """Counts ``trial``, which has just finished."""
        if trial.state is TrialState.COMPLETE:
            self.completed += 1
            self.failures = self.rejections = 0
            self.smallest_rejected = None
        elif trial.state is TrialState.PRUNED:  # only a rejection prunes (TrialRunner)
            self.rejected += 1
            self.rejections += 1
            parameters = int(trial.user_attrs.get(ATTR_PARAMETERS, 0))
            smallest = self.smallest_rejected
            self.smallest_rejected = parameters if smallest is None else min(smallest, parameters)
        else:
            self.failures += 1
            self.last_error = trial.user_attrs.get(ATTR_ERROR) or self.last_error

    def exhausted(self) -> bool:
        """Whether either streak has reached its limit."""
        return (
            self.failures >= MAX_CONSECUTIVE_FAILURES
            or self.rejections >= MAX_CONSECUTIVE_REJECTIONS
        )

    def error(self, max_parameters: int | None) -> ConfigError | None:
        """The one-line error of an exhausted streak, else ``None``."""
        if self.failures >= MAX_CONSECUTIVE_FAILURES:
            return ConfigError(
                f"{self.failures} trials in a row failed; the last said: "
                f"{self.last_error or '?'}. Check that the space's blocks fit the data."
            )
        if self.rejections >= MAX_CONSECUTIVE_REJECTIONS:
            return ConfigError(
                f"No proposed architecture fits space.max_parameters={max_parameters}: the last "
                f"{self.rejections} proposals had {self.smallest_rejected:,} parameters or "
                "more; raise it or use smaller blocks/suggestions."
            )
        return None


def _run_trials(study: optuna.Study, runner: TrialRunner, budget: TimeBudget) -> None:
    """Runs trials until ``search.n_trials`` have completed, the time budget is spent or a
    streak of failed or rejected trials stops the run (with a :class:`ConfigError`)."""
    plan = runner.plan
    n_trials = plan.n_trials
    finished = count_finished(study)
    if finished >= n_trials:
        return
    bar = tqdm(total=n_trials, initial=finished, desc="trials", unit="trial", dynamic_ncols=True)
    tally = _Tally()

    def done() -> bool:
        return count_finished(study) >= n_trials or tally.exhausted() or budget.spent()

    def on_trial_end(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        tally.record(trial)
        if trial.state is TrialState.COMPLETE:
            bar.update(1)
        elif trial.state is TrialState.FAIL and trial.user_attrs.get(ATTR_ERROR):
            bar.write(f"torchsearch: trial {trial.number} failed: {trial.user_attrs[ATTR_ERROR]}")
        bar.set_postfix_str(_postfix(study, plan.metric, tally.rejected))
        if done():
            study.stop()

    try:
        while not done():
            study.optimize(
                runner,
                n_trials=n_trials - count_finished(study),
                callbacks=[on_trial_end],
                catch=(TorchSearchError,),
                gc_after_trial=False,
                show_progress_bar=False,
            )
        finished = count_finished(study)
        if finished < n_trials and budget.spent() and not tally.exhausted():
            bar.write(_timeout_line(budget, tally.completed, finished, n_trials))
    finally:
        bar.close()
    error = tally.error(plan.max_parameters)
    if error is not None:
        raise error


def _timeout_line(budget: TimeBudget, completed: int, finished: int, n_trials: int) -> str:
    """The line that says the time budget, not ``search.n_trials``, ended the run."""
    return (
        f"torchsearch: search.timeout_s={budget.seconds:g} reached after "
        f"{budget.elapsed():.0f} s; {completed} trial{'' if completed == 1 else 's'} "
        f"finished in this run, {finished} of {n_trials} in the study. Rerun the same "
        "command to continue with a fresh time budget."
    )


def _postfix(study: optuna.Study, metric: str, rejected: int) -> str:
    """The bar's note: the best value so far, and how many candidates were too big."""
    best = _best_value(study)
    notes = [] if best is None else [f"best {metric} {best:.4f}"]
    if rejected:
        notes.append(f"{rejected} rejected (space.max_parameters)")
    return ", ".join(notes)


def _best_value(study: optuna.Study) -> float | None:
    try:
        value = study.best_value
    except ValueError:
        return None
    return value if math.isfinite(value) else None
