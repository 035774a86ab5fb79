"""The trial record: what every trial of a study stores, shared by the sampler and the driver.

Model Search kept a trial's architecture only in its checkpoint and its lineage in a text
file (MODEL_SEARCH.md §6.1-§6.2); here everything a later trial, another worker or a report
needs sits in the Optuna storage, as JSON (STACK.md §1: user attrs must be JSON; tuples come
back as lists, so only lists and dicts are written).

User attributes, written by the driver with :func:`record_trial` (the record):

- ``"architecture"``: ``{"towers": [[block, ...], ...], "hparams": {name: scalar}}``, what
  the trial trained, hyperparameters included.
- ``"parent"``: the number of the trial it was derived from, or ``None``.
- ``"kind"``: a :class:`TrialKind` value (``"search"``, ``"suggestion"``, ``"ensemble"``,
  ``"distillation"``, ``"replay"``).
- ``"operation"``: how it was derived: ``"random"``, ``"grow"``, ``"replace"`` (an
  :class:`~torchsearch.search.Operation`), ``"suggested"`` or ``"given"`` (enqueued).

System attribute, written by the sampler (its own state, STYLE.md rule 6):
``f"{SamplerClass.__name__}:proposal"`` holds the :class:`TrialProposal` as a dict. Readers
prefer the user attributes and fall back to it, so a study whose objective never called
:func:`record_trial` still searches adaptively.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Collection
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from torchsearch._errors import ConfigError
from torchsearch.search._selection import CompletedTrial
from torchsearch.space import Architecture
from torchsearch.space import JSONScalar

__all__ = [
    "ARCHITECTURE_ATTR",
    "GIVEN",
    "KIND_ATTR",
    "OPERATION_ATTR",
    "PARENT_ATTR",
    "PROPOSAL_ATTR_SUFFIX",
    "SEARCH_KINDS",
    "SUGGESTED",
    "TrialKind",
    "TrialProposal",
    "architecture_of",
    "completed_trials",
    "kind_of",
    "parse_architecture",
    "recorded_proposal",
    "record_trial",
]

ARCHITECTURE_ATTR = "architecture"
PARENT_ATTR = "parent"
KIND_ATTR = "kind"
OPERATION_ATTR = "operation"
PROPOSAL_ATTR_SUFFIX = ":proposal"
"""The sampler's system attribute is ``f"{type(sampler).__name__}{PROPOSAL_ATTR_SUFFIX}"``."""

SUGGESTED = "suggested"
"""The operation of a user suggestion (MODEL_SEARCH.md §2 row 25)."""
GIVEN = "given"
"""The operation of a trial that came with its architecture (enqueued by hand)."""

_log = logging.getLogger(__name__)


class TrialKind(str, enum.Enum):
    """What a trial trains (DESIGN.md, "The loop")."""

    SEARCH = "search"
    """A tower proposed by the search algorithm."""
    SUGGESTION = "suggestion"
    """A user-suggested tower, trained before any search trial."""
    ENSEMBLE = "ensemble"
    """Several earlier towers combined."""
    DISTILLATION = "distillation"
    """A tower trained against a teacher's logits."""
    REPLAY = "replay"
    """A recorded architecture retrained without search."""


SEARCH_KINDS: tuple[str, ...] = (TrialKind.SEARCH.value, TrialKind.SUGGESTION.value)
"""The kinds whose trials the search algorithms learn from by default."""


@dataclass(frozen=True)
class TrialProposal:
    """A trial's architecture and where it came from, as the sampler decided it.

    Args:
        architecture: the towers; ``hparams`` holds values to lay over the sampled ones
            (a suggestion's, or an enqueued architecture's), empty for a search trial.
        parent: the number of the completed trial it was derived from, or ``None``.
        operation: ``"random"``, ``"grow"``, ``"replace"``, ``"suggested"`` or ``"given"``.
        kind: a :class:`TrialKind` value.
        new_block: the block added or put in by a mutation, else ``None``.
    """

    architecture: Architecture
    parent: int | None
    operation: str
    kind: str = TrialKind.SEARCH.value
    new_block: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as stored in the system attribute and ``relative_params``."""
        return {
            ARCHITECTURE_ATTR: self.architecture.to_dict(),
            PARENT_ATTR: self.parent,
            OPERATION_ATTR: self.operation,
            KIND_ATTR: self.kind,
            "new_block": self.new_block,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrialProposal:
        """The inverse of :meth:`to_dict`.

        Raises:
            ConfigError: ``data`` holds no valid architecture.
        """
        if ARCHITECTURE_ATTR not in data:
            raise ConfigError(f"A trial proposal needs an architecture, got {dict(data)!r}.")
        parent = data.get(PARENT_ATTR)
        return cls(
            architecture=Architecture.from_dict(data[ARCHITECTURE_ATTR]),
            parent=None if parent is None else int(parent),
            operation=str(data.get(OPERATION_ATTR) or GIVEN),
            kind=str(data.get(KIND_ATTR) or TrialKind.SEARCH.value),
            new_block=data.get("new_block"),
        )

    def merged(self, sampled: Mapping[str, JSONScalar]) -> Architecture:
        """The architecture to train: this proposal's hparams laid over ``sampled``."""
        return Architecture(self.architecture.towers, {**sampled, **self.architecture.hparams})


def record_trial(
    trial: optuna.Trial,
    architecture: Architecture,
    *,
    kind: TrialKind | str = TrialKind.SEARCH,
    parent: int | None = None,
    operation: str | None = None,
) -> None:
    """Writes the trial record (the user attributes in the module docstring).

    Args:
        trial: the running trial.
        architecture: what it trains, with every hyperparameter.
        kind: what kind of trial it is.
        parent: the trial it was derived from.
        operation: how it was derived; ``None`` leaves the attribute unset.
    """
    trial.set_user_attr(ARCHITECTURE_ATTR, architecture.to_dict())
    trial.set_user_attr(PARENT_ATTR, parent)
    trial.set_user_attr(KIND_ATTR, _kind_value(kind))
    if operation is not None:
        trial.set_user_attr(OPERATION_ATTR, str(operation))


def recorded_proposal(trial: FrozenTrial) -> TrialProposal | None:
    """The proposal an :class:`ArchitectureSampler` stored in the trial's system attributes.

    Looks for any key ending in :data:`PROPOSAL_ATTR_SUFFIX`, so that a report need not
    know which sampler ran the study. A malformed value is skipped.
    """
    for key, value in trial.system_attrs.items():
        if key.endswith(PROPOSAL_ATTR_SUFFIX) and isinstance(value, Mapping):
            try:
                return TrialProposal.from_dict(value)
            except (ConfigError, TypeError, ValueError):
                _log.warning("Trial %d: ignoring a malformed %s.", trial.number, key)
    return None


def architecture_of(trial: FrozenTrial) -> Architecture | None:
    """What the trial trained: its ``"architecture"`` user attribute, else the sampler's
    proposal, else ``None`` (or when the record is malformed)."""
    data = trial.user_attrs.get(ARCHITECTURE_ATTR)
    if data is not None:
        try:
            return Architecture.from_dict(data)
        except ConfigError:
            _log.warning("Trial %d: ignoring a malformed architecture %r.", trial.number, data)
            return None
    proposal = recorded_proposal(trial)
    return None if proposal is None else proposal.architecture


def kind_of(trial: FrozenTrial) -> str | None:
    """The trial's kind: its ``"kind"`` user attribute, else the sampler's proposal's, else
    ``"search"`` for a trial with an architecture, else ``None``."""
    kind = trial.user_attrs.get(KIND_ATTR)
    if kind is not None:
        return str(kind)
    proposal = recorded_proposal(trial)
    if proposal is not None:
        return proposal.kind
    return TrialKind.SEARCH.value if ARCHITECTURE_ATTR in trial.user_attrs else None


def completed_trials(
    study: optuna.Study, kinds: Collection[str] | None = SEARCH_KINDS
) -> list[CompletedTrial]:
    """The study's COMPLETE trials with an architecture, as the search algorithms see them.

    Args:
        study: a single-objective study.
        kinds: the trial kinds to keep; ``None`` keeps every kind.

    Returns:
        One :class:`CompletedTrial` per trial, by trial number. A trial is infeasible when
        one of its Optuna constraints is positive (``Trial.set_constraint``, STACK.md §1),
        or when its value is not finite.

    Raises:
        ConfigError: the study has several objectives.
    """
    if len(study.directions) != 1:
        raise ConfigError(
            f"torchsearch searches optimise one objective; the study {study.study_name!r} "
            f"has {len(study.directions)}."
        )
    wanted = None if kinds is None else {_kind_value(k) for k in kinds}
    out: list[CompletedTrial] = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        architecture = architecture_of(trial)
        if architecture is None or trial.value is None:
            continue
        if wanted is not None and kind_of(trial) not in wanted:
            continue
        value = float(trial.value)
        feasible = math.isfinite(value) and all(v <= 0 for v in trial.constraints.values())
        out.append(CompletedTrial(trial.number, architecture, value, feasible))
    return sorted(out, key=lambda t: t.number)


def parse_architecture(value: object) -> Architecture:
    """An :class:`Architecture` from one, from a space config's suggestion entry
    ``{"blocks": [...], "hparams": {...}}``, from ``{"towers": ..., "hparams": ...}`` or
    from a list of block names.

    Raises:
        ConfigError: ``value`` is none of these.
    """
    if isinstance(value, Architecture):
        return value
    if isinstance(value, Mapping) and "blocks" in value:
        unknown = sorted(set(value) - {"blocks", "hparams"})
        if unknown:
            raise ConfigError(f"Unknown suggestion key(s) {unknown}; use blocks and hparams.")
        return Architecture.single(value["blocks"], **dict(value.get("hparams") or {}))
    return Architecture.from_dict(value)  # type: ignore[arg-type]


def _kind_value(kind: TrialKind | str) -> str:
    # str() of a str-mixin enum member is "TrialKind.SEARCH" on Python 3.11; use the value.
    return kind.value if isinstance(kind, TrialKind) else str(kind)
