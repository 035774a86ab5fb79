"""Writing a trial's record to the storage and reading it back.

A trial's record is a handful of user attributes (the keys of :class:`Key`), written as
the trial goes: the sampler writes where the trial came from when it decides
(:meth:`RecordWriter.proposal`), the driver adds the hyperparameters, the model's size,
what was grafted, and the results. The architecture is stored once, under
``"architecture"``. Everything a later trial, another worker or a report needs is
there, so a killed worker loses at most the trial it was running.

Values are JSON (Optuna's file storages refuse anything else; tuples come back as
lists), so only lists, dicts and scalars are written.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

import optuna
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from torchsearch._errors import ConfigError
from torchsearch._errors import TorchSearchError
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import get_registry
from torchsearch.space import Architecture
from torchsearch.space import Hyperparameters
from torchsearch.trials._proposal import TrialProposal
from torchsearch.trials._ranking import CompletedTrial
from torchsearch.trials._ranking import EnsembleRecord
from torchsearch.trials._ranking import TeacherRecord
from torchsearch.trials._ranking import TrainingRecord
from torchsearch.trials._schema import OVERSIZED
from torchsearch.trials._schema import SEARCH_KINDS
from torchsearch.trials._schema import Key
from torchsearch.trials._schema import StudyKey
from torchsearch.trials._schema import TrialKind
from torchsearch.trials._schema import kind_value

__all__ = [
    "RecordWriter",
    "check_record",
    "claim_study",
    "completed_trials",
    "oversized_towers",
    "read_completed",
    "read_exploitation",
    "read_proposal",
]

_log = logging.getLogger(__name__)
_PROPOSAL_KEYS = (Key.ARCHITECTURE, Key.PARENT, Key.KIND, Key.OPERATION, Key.NEW_BLOCK)


class RecordWriter:
    """Writes one trial's record, attribute by attribute.

    Args:
        storage: the study's storage.
        trial_id: the trial's storage id (``trial._trial_id``, not its number).
    """

    def __init__(self, storage: BaseStorage, trial_id: int) -> None:
        self._storage = storage
        self._trial_id = trial_id

    @classmethod
    def of(cls, trial: optuna.Trial) -> RecordWriter:
        """The writer of a running trial."""
        return cls(trial.study._storage, trial._trial_id)

    def _set(self, key: Key, value: Any) -> None:
        self._storage.set_trial_user_attr(self._trial_id, key.value, value)

    def proposal(self, proposal: TrialProposal, current: FrozenTrial | None = None) -> None:
        """Writes where the trial came from; skips what ``current`` already holds."""
        held = {} if current is None else current.user_attrs
        for key, value in proposal.to_dict().items():
            if (value is None and key == Key.NEW_BLOCK.value) or held.get(key, ...) == value:
                continue
            self._storage.set_trial_user_attr(self._trial_id, key, value)

    def architecture(self, architecture: Architecture) -> None:
        """Writes what the trial trains, every hyperparameter included."""
        self._set(Key.ARCHITECTURE, architecture.to_dict())

    def parameters(self, parameters: int) -> None:
        """Writes the trainable parameters of the trial's model."""
        self._set(Key.PARAMETERS, int(parameters))

    def graft(self, graft: Mapping[str, Any]) -> None:
        """Writes what transfer learning gave the trial."""
        self._set(Key.GRAFT, dict(graft))

    def ensemble(self, ensemble: EnsembleRecord) -> None:
        """Writes the frozen trials the trial combines with its own tower."""
        self._set(Key.ENSEMBLE, ensemble.to_dict())

    def teacher(self, teacher: TeacherRecord) -> None:
        """Writes the teacher the trial is distilled from."""
        self._set(Key.TEACHER, teacher.to_dict())

    def training(self, training: TrainingRecord) -> None:
        """Writes the seeds and step budget that train the trial again."""
        self._set(Key.TRAINING, training.to_dict())

    def result(
        self, metrics: Mapping[str, float], train_seconds: float, steps: int, checkpoint: str
    ) -> None:
        """Writes what training gave: validation metrics, time, steps, checkpoint id."""
        self._set(Key.VALIDATION, {k: _json_number(float(v)) for k, v in metrics.items()})
        self._set(Key.TRAIN_SECONDS, round(float(train_seconds), 4))
        self._set(Key.STEPS, int(steps))
        self._set(Key.CHECKPOINT, checkpoint)

    def resources(self, resources: Mapping[str, int]) -> None:
        """Writes what the trial cost in memory and disk (see ``Key.RESOURCES``)."""
        self._set(Key.RESOURCES, {k: int(v) for k, v in resources.items()})

    def error(self, exc: BaseException) -> str:
        """Writes why the trial failed; returns the line written."""
        text = str(exc).strip() or type(exc).__name__
        if not isinstance(exc, ConfigError) and type(exc).__name__ not in text:
            text = f"{type(exc).__name__}: {text}"
        self._set(Key.ERROR, text)
        return text

    def rejection(self, reason: str) -> None:
        """Writes why the trial was pruned (untrained for its size, early, or surplus)."""
        self._set(Key.REASON, reason)

    def stopped(self, metrics: Mapping[str, float], steps: int, reason: str) -> None:
        """Writes what a trial the pruner stopped had reached, and why it stopped."""
        self._set(Key.VALIDATION, {k: _json_number(float(v)) for k, v in metrics.items()})
        self._set(Key.STEPS, int(steps))
        self._set(Key.REASON, reason)

    def worker(self, worker: Mapping[str, Any]) -> None:
        """Writes which process runs the trial."""
        self._set(Key.WORKER, dict(worker))


def read_proposal(trial: FrozenTrial) -> TrialProposal | None:
    """Where ``trial`` came from, or ``None`` when it has no architecture yet.

    Raises:
        ConfigError: the record is malformed.
    """
    attrs = trial.user_attrs
    if Key.ARCHITECTURE.value not in attrs:
        return None
    return TrialProposal.from_dict({k.value: attrs[k.value] for k in _PROPOSAL_KEYS if k in attrs})


def read_exploitation(
    trial: FrozenTrial,
) -> tuple[EnsembleRecord | None, TeacherRecord | None, TrainingRecord | None]:
    """The ensemble, teacher and training parts of ``trial``'s record, in any state
    (a retried trial trains what its first attempt recorded).

    Raises:
        ConfigError: a part is malformed, or an ensemble trial names no members.
    """
    attrs = trial.user_attrs
    ensemble = _read(EnsembleRecord.from_dict, attrs.get(Key.ENSEMBLE.value))
    teacher = _read(TeacherRecord.from_dict, attrs.get(Key.TEACHER.value))
    training = _read(TrainingRecord.from_dict, attrs.get(Key.TRAINING.value))
    if attrs.get(Key.KIND.value) == TrialKind.ENSEMBLE.value and ensemble is None:
        raise ConfigError("an ensemble trial names no members")
    return ensemble, teacher, training


def read_completed(
    trial: FrozenTrial, registry: BlockRegistry | None = None
) -> CompletedTrial | None:
    """The record of a COMPLETE trial; ``None`` for another state, no architecture or
    value, or a record that fails validation (see :func:`check_record`; one warning per
    trial and reason). Whoever wrote the storage, a record is input: a value is used
    only once it is checked."""
    if trial.state is not TrialState.COMPLETE or trial.value is None:
        return None
    try:
        record = _read_completed(trial)
        if record is not None:
            check_record(record, registry)
    except TorchSearchError as exc:
        _warn_once(trial, str(exc))
        return None
    return record


def check_record(record: CompletedTrial, registry: BlockRegistry | None = None) -> None:
    """Checks what a parent, an ensemble member or the report takes from ``record``
    beyond its structure: installed blocks, valid training hyperparameters, a parent
    and members among the earlier trials, a known kind, a value that is one of its
    validation metrics and an accuracy that is one.

    Raises:
        TorchSearchError: the first problem (an unknown block, an invalid value).
    """
    blocks = {b for tower in record.architecture.towers for b in tower}
    (registry or get_registry()).check(blocks)
    Hyperparameters.from_record(record.architecture.hparams, record.steps or 1)
    if record.kind not in {kind.value for kind in TrialKind}:
        raise ConfigError(f"unknown trial kind {record.kind!r}")
    earlier = [record.parent] if record.parent is not None else []
    earlier += list(record.ensemble.members) if record.ensemble else []
    earlier += [record.teacher.trial] if record.teacher else []
    if any(n < 0 or n >= record.number for n in earlier):
        raise ConfigError(f"it names trials {earlier}, not all earlier than itself")
    if record.validation and record.value not in record.validation.values():
        raise ConfigError(f"its value {record.value} is none of its validation metrics")
    accuracy = record.validation.get("accuracy", 0.0)
    if not 0.0 <= accuracy <= 1.0:
        raise ConfigError(f"its validation accuracy {accuracy} is not between 0 and 1")


_warned: set[tuple[int, str]] = set()
"""(trial id, reason) pairs already warned about: a bad record is read at every trial."""


def _warn_once(trial: FrozenTrial, reason: str) -> None:
    if (trial._trial_id, reason) not in _warned:
        _warned.add((trial._trial_id, reason))
        _log.warning("Trial %d: ignoring its record: %s", trial.number, reason)


def _read_completed(trial: FrozenTrial) -> CompletedTrial | None:
    """The structure of a COMPLETE trial's record (``None`` without an architecture).

    Raises:
        ConfigError: a part is malformed.
    """
    attrs = trial.user_attrs
    proposal = read_proposal(trial)
    if proposal is None:
        return None
    value = float(trial.value)  # type: ignore[arg-type]
    feasible = math.isfinite(value) and all(v <= 0 for v in trial.constraints.values())
    validation = attrs.get(Key.VALIDATION.value)
    ensemble, teacher, training = read_exploitation(trial)
    checkpoint = attrs.get(Key.CHECKPOINT.value)
    if checkpoint is not None and not isinstance(checkpoint, str):
        raise ConfigError(f"its checkpoint id {checkpoint!r} is not an artifact id")
    return CompletedTrial(
        number=trial.number,
        architecture=proposal.architecture,
        value=value,
        feasible=feasible,
        parent=proposal.parent,
        kind=proposal.kind,
        operation=proposal.operation,
        parameters=_optional(int, attrs.get(Key.PARAMETERS.value)),
        validation=_metrics(validation),
        checkpoint=checkpoint,
        graft=attrs.get(Key.GRAFT.value) if isinstance(attrs.get(Key.GRAFT.value), dict) else None,
        train_seconds=_optional(float, attrs.get(Key.TRAIN_SECONDS.value)),
        steps=_optional(int, attrs.get(Key.STEPS.value)),
        ensemble=ensemble,
        teacher=teacher,
        training=training,
    )


def completed_trials(
    study: optuna.Study,
    kinds: Collection[str | TrialKind] | None = SEARCH_KINDS,
    registry: BlockRegistry | None = None,
    trials: Iterable[FrozenTrial] | None = None,
) -> list[CompletedTrial]:
    """The study's COMPLETE trials with a record, by trial number.

    Args:
        study: a single-objective study.
        kinds: the trial kinds to keep; ``None`` keeps every kind.
        registry: the blocks a record may name; the installed ones by default.
        trials: the study's trials when the caller has just read them (one storage
            read, not two); read from ``study`` by default.

    Raises:
        ConfigError: the study has several objectives.
    """
    if len(study.directions) != 1:
        raise ConfigError(
            f"torchsearch searches optimise one objective; the study {study.study_name!r} "
            f"has {len(study.directions)}."
        )
    wanted = None if kinds is None else {kind_value(k) for k in kinds}
    out: list[CompletedTrial] = []
    if trials is None:
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    for trial in trials:
        if trial.state is not TrialState.COMPLETE:
            continue
        record = read_completed(trial, registry)
        if record is not None and (wanted is None or record.kind in wanted):
            out.append(record)
    return sorted(out, key=lambda t: t.number)


def oversized_towers(trials: Iterable[FrozenTrial]) -> set[tuple[str, ...]]:
    """The single towers of ``trials`` rejected as over ``space.max_parameters`` (a
    PRUNED trial whose reason begins with :data:`OVERSIZED`); unreadable records are left
    out, as nothing is built from them."""
    out: set[tuple[str, ...]] = set()
    for trial in trials:
        reason = trial.user_attrs.get(Key.REASON.value)
        if trial.state is not TrialState.PRUNED or not str(reason).startswith(OVERSIZED):
            continue
        try:
            proposal = read_proposal(trial)
        except (TorchSearchError, TypeError, ValueError, KeyError):
            continue
        if proposal is not None and len(proposal.architecture.towers) == 1:
            out.add(tuple(proposal.architecture.towers[0]))
    return out


def claim_study(study: optuna.Study, identity: Mapping[str, Any], config: Any) -> None:
    """Records what ``study`` searches, or checks that a resumed study searches the same.

    Raises:
        ConfigError: the study was created for something else.
    """
    recorded = study.user_attrs.get(StudyKey.IDENTITY.value)
    if not isinstance(recorded, Mapping):
        study.set_user_attr(StudyKey.IDENTITY.value, dict(identity))
        study.set_user_attr(StudyKey.CONFIG.value, config)
        return
    # Keys a study recorded before they existed are added, not held against it.
    differences = [
        f"{key} {recorded[key]!r} there, {value!r} here"
        for key, value in identity.items()
        if key in recorded and recorded[key] != value
    ]
    if differences:
        raise ConfigError(
            f"Study {study.study_name!r} was created for other data or another objective: "
            f"{'; '.join(differences)}. Set storage.study to a new name for a new search, "
            "or give the study's own settings to resume it."
        )
    if set(identity) - set(recorded):
        study.set_user_attr(StudyKey.IDENTITY.value, {**recorded, **identity})


def _metrics(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        return {}
    numbers = {str(k): _optional(float, v) for k, v in value.items()}
    return {k: v for k, v in numbers.items() if v is not None}


def _read(parse: Any, value: Any) -> Any:
    """``parse(value)``, or ``None`` when the attribute is absent."""
    return None if value is None else parse(value)


def _optional(kind: type, value: Any) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def _json_number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)
