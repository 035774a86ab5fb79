"""Training recorded trials again: replay one, or replicate the best into an ensemble.

``torchsearch replay trial=N`` (``replay.trial=N``) trains trial ``N`` again from its
record alone, as a new trial of the same study whose ``parent`` is ``N``: with the
recorded seeds and budget it reproduces the recorded validation metric. ``replicas=k``
is the last step of Model Search's paper: the best single tower trained ``k`` times
with other seeds (and so other initial weights and data orders), and those ``k`` models
recorded as one average ensemble trial.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import TrialState

from torchsearch._errors import ConfigError
from torchsearch.driver._loop import TrialLoop
from torchsearch.driver._loop import trial_seed
from torchsearch.driver._recipe import ensemble_recipe
from torchsearch.driver._recipe import replay_recipe
from torchsearch.trials import CompletedTrial
from torchsearch.trials import TrialKind
from torchsearch.trials import completed_trials
from torchsearch.trials import rank

__all__ = ["REPLICAS", "ReplaySettings", "run_replay"]

REPLICAS = "replicas"
"""The strategy recorded for the ensemble of replicas."""


@dataclass(frozen=True)
class ReplaySettings:
    """The ``replay`` config section.

    Args:
        trial: the trial number to train again, ``"best"``, or ``None`` (search).
        seed: the seed of the new weights and data order; ``None`` for the recorded.
        steps: the step budget; ``None`` for the recorded.
        replicas: how many copies to train; above 1, they become one ensemble.
    """

    trial: int | str | None = None
    seed: int | None = None
    steps: int | None = None
    replicas: int = 1

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> ReplaySettings:
        """Reads and checks ``replay.*``.

        Raises:
            ConfigError: a value of the wrong type or range.
        """
        trial = section.get("trial")
        if trial is not None and trial != "best" and not _whole(trial, 0):
            raise ConfigError(
                f"replay.trial must be a trial number or best, got {trial!r}; e.g. "
                "torchsearch replay trial=3."
            )
        for key, least in (("seed", 0), ("steps", 1)):
            value = section.get(key)
            if value is not None and not _whole(value, least):
                raise ConfigError(
                    f"replay.{key} must be an integer of at least {least} or null, got {value!r}."
                )
        replicas = section.get("replicas", 1)
        if not _whole(replicas, 1):
            raise ConfigError(f"replay.replicas must be a positive integer, got {replicas!r}.")
        return cls(trial, section.get("seed"), section.get("steps"), int(replicas))

    @property
    def active(self) -> bool:
        """Whether the run replays instead of searching."""
        return self.trial is not None


def run_replay(study: optuna.Study, loop: TrialLoop, settings: ReplaySettings) -> None:
    """Trains the trial(s) ``settings`` name again, as new trials of ``study``; prints
    how each new trial compares with its original.

    Raises:
        ConfigError: the trial does not exist or did not complete, or has no record to
            replay; replicas of a study with no single-tower trial.
    """
    completed = completed_trials(study, kinds=None)
    original = _original(study, completed, settings, loop.plan.direction)
    if settings.replicas == 1:
        recipe = replay_recipe(original, seed=settings.seed, steps=settings.steps)
        number, outcome = loop.run_recipe(recipe)
        _say(number, outcome.state, original, loop)
        return
    replicas: list[int] = []
    for index in range(settings.replicas):
        number = len(study.get_trials(deepcopy=False))  # the number the next ask gets
        seed = settings.seed + index if settings.seed is not None else None
        seed = trial_seed(loop.plan.seed, number) if seed is None else seed
        recipe = replay_recipe(original, seed=seed, steps=settings.steps, kind=TrialKind.REPLICA)
        number, outcome = loop.run_recipe(recipe)
        _say(number, outcome.state, original, loop)
        if outcome.state is TrialState.COMPLETE:
            replicas.append(number)
    members = [t for t in completed_trials(study, kinds=None) if t.number in replicas]
    if len(members) < 2:
        raise ConfigError(
            f"Only {len(members)} of {settings.replicas} replicas completed; an ensemble "
            "needs two. See the failures above."
        )
    number, outcome = loop.run_recipe(ensemble_recipe(tuple(members), REPLICAS, "average"))
    _say(number, outcome.state, original, loop, what=f"the ensemble of trials {replicas}")


def _original(
    study: optuna.Study,
    completed: Sequence[CompletedTrial],
    settings: ReplaySettings,
    direction: str,
) -> CompletedTrial:
    """The trial to train again (the best single tower, for replicas of ``best``)."""
    if settings.trial == "best":
        ranked = [t for t in rank(completed, direction) if settings.replicas == 1 or _single(t)]
        if not ranked:
            raise ConfigError(
                f"Study {study.study_name!r} has no completed trial to replay"
                + ("" if settings.replicas == 1 else " as replicas (a single tower)")
                + "; run the search first."
            )
        return ranked[0]
    number = int(settings.trial)  # type: ignore[arg-type]
    trials = study.get_trials(deepcopy=False)
    if number >= len(trials):
        raise ConfigError(
            f"Study {study.study_name!r} has no trial {number} (it has {len(trials)}, "
            f"numbered 0-{len(trials) - 1}); see its leaderboard for the trials to replay."
        )
    found = next((t for t in completed if t.number == number), None)
    if found is None:
        state = trials[number].state.name
        raise ConfigError(
            f"Trial {number} of study {study.study_name!r} did not complete (it is {state}); "
            "replay takes a completed trial."
        )
    if settings.replicas > 1 and not _single(found):
        raise ConfigError(
            f"Trial {number} is an ensemble; replicas retrain a single tower: name one, or "
            "use replay.trial=best."
        )
    return found


def _single(trial: CompletedTrial) -> bool:
    return trial.ensemble is None and trial.has_own_tower


def _say(
    number: int,
    state: TrialState,
    original: CompletedTrial,
    loop: TrialLoop,
    what: str | None = None,
) -> None:
    metric = loop.plan.metric
    new = next((t for t in completed_trials(loop.study, kinds=None) if t.number == number), None)
    subject = what or f"trial {original.number}"
    if new is None:
        print(f"torchsearch: trial {number} ({subject}) ended {state.name}.")
        return
    recorded = original.validation.get(metric, math.nan)
    print(
        f"Trial {number} ({new.kind}, {subject}): validation {metric} "
        f"{new.validation.get(metric, math.nan):.4f}; trial {original.number} recorded "
        f"{recorded:.4f}."
    )


def _whole(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least
