"""Completed trials as every layer sees them, and ranking them best first.

As Model Search's ``get_best_k(trials, k=1e10, valid_only=True)``, infeasible trials
never rank. The search's beam, the leaderboard and the best model all come from
:func:`rank`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch.space import Architecture
from torchsearch.trials._schema import TrialKind

__all__ = [
    "DIRECTIONS",
    "CompletedTrial",
    "EnsembleRecord",
    "TrainingRecord",
    "check_direction",
    "rank",
]

DIRECTIONS = ("minimize", "maximize")
"""The two optimisation directions, spelled as Optuna spells them."""


@dataclass(frozen=True)
class EnsembleRecord:
    """What an ensemble trial combines: the record's ``ensemble`` attribute.

    Args:
        members: the numbers of the trials whose towers it holds frozen, each a single
            tower (an ensemble member is expanded into its towers when chosen).
        strategy: how it was formed (``nonadaptive``, ``adaptive``, ``residual``,
            ``intermixed`` or ``replicas``).
        combiner: ``average`` (the mean of the logits) or ``weighted`` (a trained linear
            mixture of them).
    """

    members: tuple[int, ...]
    strategy: str
    combiner: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready attribute value."""
        return {
            "members": list(self.members),
            "strategy": self.strategy,
            "combiner": self.combiner,
        }

    @classmethod
    def from_dict(cls, data: Any) -> EnsembleRecord:
        """The inverse of :meth:`to_dict`.

        Raises:
            ConfigError: ``data`` is not an ensemble record.
        """
        members = data.get("members") if isinstance(data, Mapping) else None
        if (
            not isinstance(members, list)
            or not members
            or not all(isinstance(m, int) and not isinstance(m, bool) and m >= 0 for m in members)
        ):
            raise ConfigError(
                f"An ensemble record needs a list of member trial numbers, got {data!r}."
            )
        return cls(
            tuple(members), str(data.get("strategy", "")), str(data.get("combiner", "average"))
        )


@dataclass(frozen=True)
class TeacherRecord:
    """The teacher a trial was distilled from: the record's ``teacher`` attribute.

    Args:
        trial: the teacher's trial number (a single model or an ensemble).
        kind: the distillation loss (``mse_logits``, ``mse_softmax``, ``cross_entropy``
            or ``adaptively_balance``).
        temperature: the softmax temperature of the teacher's probabilities.
        weight: the teacher loss's weight λ (``adaptively_balance``).
    """

    trial: int
    kind: str
    temperature: float
    weight: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready attribute value."""
        return {
            "trial": self.trial,
            "kind": self.kind,
            "temperature": self.temperature,
            "weight": self.weight,
        }

    @classmethod
    def from_dict(cls, data: Any) -> TeacherRecord:
        """The inverse of :meth:`to_dict`.

        Raises:
            ConfigError: ``data`` is not a teacher record.
        """
        try:
            trial = data["trial"]
            if isinstance(trial, bool) or not isinstance(trial, int):
                raise TypeError
            return cls(trial, str(data["kind"]), float(data["temperature"]), float(data["weight"]))
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"A teacher record needs trial, kind, temperature and weight, got {data!r}."
            ) from None


@dataclass(frozen=True)
class TrainingRecord:
    """How a trial was trained, so that it can be trained again: the ``training`` attribute.

    Args:
        seed: the seed of its initial weights.
        data_seed: the seed of its batches' order.
        steps: its step budget, before parameter-scaled training shortens it.
    """

    seed: int
    data_seed: int
    steps: int

    def to_dict(self) -> dict[str, int]:
        """The JSON-ready attribute value."""
        return {"seed": self.seed, "data_seed": self.data_seed, "steps": self.steps}

    @classmethod
    def from_dict(cls, data: Any) -> TrainingRecord:
        """The inverse of :meth:`to_dict`.

        Raises:
            ConfigError: ``data`` is not a training record.
        """
        keys = ("seed", "data_seed", "steps")
        if not isinstance(data, Mapping) or not all(
            isinstance(data.get(k), int) and not isinstance(data.get(k), bool) for k in keys
        ):
            raise ConfigError(f"A training record needs integer {', '.join(keys)}, got {data!r}.")
        return cls(int(data["seed"]), int(data["data_seed"]), int(data["steps"]))


@dataclass(frozen=True)
class CompletedTrial:
    """A finished trial's record, read from the storage.

    Searchers see the first four fields (the contract of ``ArchitectureSampler.propose``);
    the rest is what the report, transfer learning and ensembles need.

    Args:
        number: the trial's number, recorded as the parent of the trials forked from it.
        architecture: what the trial trained; its first tower is the one searched.
        value: the objective value.
        feasible: ``False`` for a trial that finished but must never be a parent
            (Model Search's ``trial_infeasible``): a positive Optuna constraint or a
            value that is not finite.
        parent: the trial it was derived from.
        kind: a :class:`TrialKind` value.
        operation: how it was derived from its parent.
        parameters: trainable parameters of its model, when recorded.
        validation: its validation metrics.
        checkpoint: the artifact id of its weights, when recorded.
        graft: what transfer learning gave it (``GraftRecord.to_dict()``), when any.
        train_seconds: how long it trained.
        steps: how many optimizer steps it trained for.
        ensemble: the frozen trials it combines with its own tower, for an ensemble.
        teacher: the trial it was distilled from, for a distilled tower.
        training: its seeds and step budget, when recorded.
    """

    number: int
    architecture: Architecture
    value: float
    feasible: bool = True
    parent: int | None = None
    kind: str = TrialKind.SEARCH.value
    operation: str | None = None
    parameters: int | None = None
    validation: Mapping[str, float] = field(default_factory=dict)
    checkpoint: str | None = None
    graft: Mapping[str, Any] | None = None
    train_seconds: float | None = None
    steps: int | None = None
    ensemble: EnsembleRecord | None = None
    teacher: TeacherRecord | None = None
    training: TrainingRecord | None = None

    @property
    def has_own_tower(self) -> bool:
        """Whether it trained a tower of its own (``architecture``'s first), which a pure
        ensemble, made of its members' towers only, does not."""
        return self.kind != TrialKind.ENSEMBLE.value

    @property
    def towers(self) -> tuple[int, ...]:
        """The trials whose towers its model holds: its members, then itself when it
        trained a tower of its own."""
        members = self.ensemble.members if self.ensemble else ()
        return members + ((self.number,) if self.has_own_tower else ())

    @property
    def tower(self) -> tuple[str, ...]:
        """The searched tower: the first tower of the architecture."""
        return self.architecture.blocks

    @property
    def loss(self) -> float:
        """The validation loss (``nan`` when not recorded)."""
        return float(self.validation.get("loss", math.nan))


def check_direction(direction: str) -> str:
    """``direction`` in lower case, if it is ``"minimize"`` or ``"maximize"``.

    Raises:
        ConfigError: any other value.
    """
    normal = str(direction).strip().lower()
    if normal not in DIRECTIONS:
        raise ConfigError(f"Unknown direction {direction!r}; use 'minimize' or 'maximize'.")
    return normal


def rank(trials: Iterable[CompletedTrial], direction: str) -> tuple[CompletedTrial, ...]:
    """The feasible trials, best first.

    Infeasible trials and trials whose value is NaN are left out, so they are never
    parents, never the best model and do not count towards the depth schedule. Ties keep
    the lower trial number first, whatever order the storage returns trials in.

    Args:
        trials: completed trials, in any order.
        direction: ``"minimize"`` or ``"maximize"``.

    Raises:
        ConfigError: ``direction`` is neither.
    """
    sign = 1.0 if check_direction(direction) == "minimize" else -1.0
    valid = [t for t in trials if t.feasible and not math.isnan(t.value)]
    return tuple(sorted(valid, key=lambda t: (sign * t.value, t.number)))
