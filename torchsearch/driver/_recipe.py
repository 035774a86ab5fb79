"""What one trial trains, decided before any weight is built: a :class:`TrialRecipe`.

A search trial's recipe comes from the exploitation plan (a new tower, perhaps with
ensemble members or a teacher); a replay's from the record of the trial it replays; a
replica's from the best trial's. The loop (``_loop.py``) trains any recipe the same way,
so that a replayed trial is trained exactly as it was the first time.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from optuna.trial import FrozenTrial

from torchsearch._errors import ConfigError
from torchsearch.exploit import DistillKind
from torchsearch.exploit import DistillSettings
from torchsearch.exploit import EnsembleSettings
from torchsearch.exploit import EnsembleStrategy
from torchsearch.exploit import choose_members
from torchsearch.exploit import phase_conflict
from torchsearch.exploit import plan_trial
from torchsearch.exploit import trial_id
from torchsearch.space import Architecture
from torchsearch.trials import SEARCH_KINDS
from torchsearch.trials import CompletedTrial
from torchsearch.trials import EnsembleRecord
from torchsearch.trials import TeacherRecord
from torchsearch.trials import TrainingRecord
from torchsearch.trials import TrialKind
from torchsearch.trials import TrialProposal
from torchsearch.trials import rank
from torchsearch.trials import read_exploitation
from torchsearch.trials import read_proposal

__all__ = [
    "REPLAY",
    "WARM_START",
    "ExploitSettings",
    "TrialRecipe",
    "ensemble_recipe",
    "recorded_recipe",
    "replay_recipe",
    "search_recipe",
]

_log = logging.getLogger("torchsearch")

REPLAY = "replay"
"""The operation of a trial trained again from another's record."""
WARM_START = "warm_start"
"""The operation of a tower that starts from its parent's trained weights (the student
of intermixed distillation)."""


@dataclass(frozen=True)
class ExploitSettings:
    """The ``ensemble`` and ``distill`` config groups (docs/ensembles.md)."""

    ensemble: EnsembleSettings = field(default_factory=EnsembleSettings)
    distill: DistillSettings = field(default_factory=DistillSettings)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ExploitSettings:
        """Reads both groups of the run's config (absent groups are off).

        Raises:
            ConfigError: a setting is invalid.
        """
        settings = cls(
            EnsembleSettings.from_config(config.get("ensemble") or {}),
            DistillSettings.from_config(config.get("distill") or {}),
        )
        conflict = phase_conflict(settings.ensemble, settings.distill)
        if conflict is not None:
            _log.warning(conflict)
        return settings

    @property
    def active(self) -> bool:
        """Whether any trial ensembles or distills."""
        return (
            self.ensemble.strategy is not EnsembleStrategy.NONE
            or self.distill.kind is not DistillKind.NONE
        )


@dataclass(frozen=True)
class TrialRecipe:
    """Everything that decides what a trial trains and how.

    Args:
        proposal: its tower and hyperparameters; ``None`` for a search trial, whose
            sampler proposes the tower (and TPE the hyperparameters) when it starts.
        training: its seeds and step budget; ``None`` for the run's (the trial's own
            seed, the run's data order, the trainer's budget).
        ensemble: the frozen members it combines with its own tower, if any.
        teacher: the trial it is distilled from, if any.
        warm_start: the trial whose tower weights its new tower starts from.
        searched: the tower is a search candidate: ``space.max_parameters`` and
            transfer learning apply to it.
        kind: the kind recorded for a sampler-proposed tower, when not ``search`` (a
            distillation student).
    """

    proposal: TrialProposal | None = None
    training: TrainingRecord | None = None
    ensemble: EnsembleRecord | None = None
    teacher: TeacherRecord | None = None
    warm_start: int | None = None
    searched: bool = True
    kind: str | None = None

    @property
    def has_tower(self) -> bool:
        """Whether it trains a new tower (a pure ensemble combines its members only)."""
        return self.proposal is None or self.proposal.kind != TrialKind.ENSEMBLE.value


def replay_recipe(
    original: CompletedTrial,
    *,
    seed: int | None = None,
    steps: int | None = None,
    kind: TrialKind = TrialKind.REPLAY,
) -> TrialRecipe:
    """The recipe that trains ``original`` again from its record alone.

    Its members and teacher are the same trials (their checkpoints are read again); its
    weights start from the recorded seed (or ``seed``), its batches come in the recorded
    order (or ``seed``'s), for the recorded budget (or ``steps``). Transfer learning is
    not replayed: a grafted trial starts from its seed.

    Raises:
        ConfigError: ``original`` has no training record (trained before torchsearch
            recorded one) and no ``seed`` and ``steps`` are given.
    """
    recorded = original.training
    if recorded is None and (seed is None or steps is None):
        raise ConfigError(
            f"Trial {original.number} has no training record (seeds and steps); give "
            "replay.seed and replay.steps to train it again."
        )
    training = TrainingRecord(
        seed=seed if seed is not None else recorded.seed,  # type: ignore[union-attr]
        data_seed=seed if seed is not None else recorded.data_seed,  # type: ignore[union-attr]
        steps=steps if steps is not None else recorded.steps,  # type: ignore[union-attr]
    )
    if training.steps < 0:
        raise ConfigError(f"replay.steps must be a positive step count, got {training.steps}.")
    own = original.kind if original.kind == TrialKind.ENSEMBLE.value else kind.value
    proposal = TrialProposal(original.architecture, original.number, REPLAY, own)
    return TrialRecipe(
        proposal=proposal,
        training=training,
        ensemble=original.ensemble,
        teacher=original.teacher,
        warm_start=original.parent if original.operation == WARM_START else None,
        searched=False,
    )


def ensemble_recipe(
    members: tuple[CompletedTrial, ...],
    strategy: str,
    combiner: str,
    training: TrainingRecord | None = None,
) -> TrialRecipe:
    """The recipe of a pure ensemble of ``members`` (single towers), which trains no
    tower of its own; its recorded architecture lists their towers."""
    towers = tuple(t.architecture.blocks for t in members)
    proposal = TrialProposal(Architecture(towers), None, strategy, TrialKind.ENSEMBLE.value)
    record = EnsembleRecord(tuple(t.number for t in members), strategy, combiner)
    return TrialRecipe(proposal=proposal, training=training, ensemble=record, searched=False)


def search_recipe(
    settings: ExploitSettings,
    number: int,
    completed: Sequence[CompletedTrial],
    direction: str,
    *,
    num_suggestions: int,
    rng: random.Random,
) -> TrialRecipe:
    """What search trial ``number`` trains, by the ensemble and distillation settings
    (the controller of ``torchsearch.exploit``).

    A trial that should import earlier trials when none is eligible yet (or a pure
    ensemble with fewer than two towers to combine, or one that repeats a completed
    ensemble of the same members, or a student already taught by the same teacher) is a
    plain search trial; an ensemble narrower than
    ``ensemble.width`` is recorded with the members it has.

    Args:
        settings: the exploitation settings.
        number: the trial's number.
        completed: every completed trial of the study, any kind.
        direction: the study's direction.
        num_suggestions: the user suggestions the search starts with.
        rng: the trial's stream, for sampling members.
    """
    me = trial_id(number)
    by_id = {trial_id(t.number): t for t in completed}
    pure = [i for i, t in by_id.items() if not t.has_own_tower]
    role = plan_trial(settings.ensemble, settings.distill, me, list(by_id), pure, num_suggestions)
    if role.prior is None:
        return TrialRecipe()
    ranked = rank(completed, direction)
    ensemble = settings.ensemble
    chosen = choose_members(
        role.prior,
        [trial_id(t.number) for t in ranked],
        ensemble.width,
        ensemble.trials_considered,
        rng,
    )
    if not chosen:
        return TrialRecipe()
    if role.teacher:
        distill = settings.distill
        teacher = TeacherRecord(
            by_id[chosen[0]].number,
            distill.kind.value,
            distill.temperature,
            distill.weight(me),
        )
        kind = TrialKind.DISTILLATION.value
        student = (
            _best_single(ranked) if ensemble.strategy is EnsembleStrategy.INTERMIXED else None
        )
        if student is None:
            return TrialRecipe(teacher=teacher, kind=kind)
        if _taught(completed, student.number, teacher.trial):
            return TrialRecipe()  # the same student and teacher again: search instead
        # Intermixed: the best single tower is retrained, from its weights, by the teacher.
        proposal = TrialProposal(student.architecture, student.number, WARM_START, kind)
        return TrialRecipe(
            proposal=proposal, teacher=teacher, warm_start=student.number, searched=False
        )
    by_number = {t.number: t for t in completed}
    towers = tuple(dict.fromkeys(n for i in chosen for n in by_id[i].towers))
    strategy, combiner = ensemble.strategy.value, ensemble.combiner.value
    if role.search:  # adaptive, residual: a new tower beside the best trial's towers
        return TrialRecipe(ensemble=EnsembleRecord(towers, strategy, combiner))
    if len(towers) < 2 or _exists(completed, towers, combiner):
        return TrialRecipe()
    return ensemble_recipe(tuple(by_number[n] for n in towers), strategy, combiner)


def _taught(completed: Sequence[CompletedTrial], student: int, teacher: int) -> bool:
    """Whether ``student``'s tower was already retrained with ``teacher``: the same
    weights, teacher and data order would give the same model again."""
    return any(
        t.operation == WARM_START
        and t.parent == student
        and t.teacher is not None
        and t.teacher.trial == teacher
        for t in completed
    )


def _exists(completed: Sequence[CompletedTrial], members: tuple[int, ...], combiner: str) -> bool:
    """Whether a pure ensemble of exactly these members and combiner already completed:
    another would repeat it (the best towers did not change since)."""
    return any(
        not t.has_own_tower
        and t.ensemble is not None
        and sorted(t.ensemble.members) == sorted(members)
        and t.ensemble.combiner == combiner
        for t in completed
    )


def _best_single(ranked: Sequence[CompletedTrial]) -> CompletedTrial | None:
    """The best trial that is one searched tower alone (no members, no teacher)."""
    return next(
        (t for t in ranked if t.ensemble is None and t.kind in SEARCH_KINDS),
        None,
    )


def recorded_recipe(trial: FrozenTrial) -> TrialRecipe | None:
    """The recipe an earlier attempt of ``trial`` recorded (a trial retried after its
    worker died, whose record Optuna copied), or ``None`` when it recorded none.

    Raises:
        ConfigError: the record is malformed.
    """
    ensemble, teacher, training = read_exploitation(trial)
    proposal = read_proposal(trial)
    if training is None or proposal is None:
        return None
    given = proposal.operation in (REPLAY, WARM_START) or proposal.kind not in SEARCH_KINDS
    if not given:
        # A search tower: the sampler reads the recorded architecture back (and TPE gets
        # its params again); only the kind of a distilled one is not the sampler's.
        distilled = proposal.kind == TrialKind.DISTILLATION.value
        return TrialRecipe(
            training=training,
            ensemble=ensemble,
            teacher=teacher,
            kind=proposal.kind if distilled else None,
        )
    return TrialRecipe(
        proposal=proposal,
        training=training,
        ensemble=ensemble,
        teacher=teacher,
        warm_start=proposal.parent if proposal.operation == WARM_START else None,
        searched=False,
    )
