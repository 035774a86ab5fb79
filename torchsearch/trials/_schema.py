"""The vocabulary of the trial record: every attribute key, and the kinds of trial.

Only this package spells the keys; every other layer reads and writes a trial through
:mod:`torchsearch.trials` (docs/architecture.md, "The trial record").
"""

from __future__ import annotations

import enum

__all__ = [
    "GIVEN",
    "OVERSIZED",
    "SEARCH_KINDS",
    "SUGGESTED",
    "Key",
    "StudyKey",
    "TrialKind",
    "kind_value",
]


class Key(str, enum.Enum):
    """The user attributes of a trial (values are JSON, as Optuna's storages require)."""

    ARCHITECTURE = "architecture"
    """``{"towers": [[block, ...], ...], "hparams": {name: scalar}}``: what it trains."""
    PARENT = "parent"
    """The number of the trial it was derived from, or ``None``."""
    KIND = "kind"
    """A :class:`TrialKind` value."""
    OPERATION = "operation"
    """How it was derived: ``random``, ``grow``, ``replace``, ``suggested``, ``given``."""
    NEW_BLOCK = "new_block"
    """The block a mutation added or put in (absent otherwise)."""
    PARAMETERS = "parameters"
    """Trainable parameters of its model."""
    GRAFT = "graft"
    """What transfer learning copied into its initial weights (see ``GraftRecord``)."""
    VALIDATION = "validation"
    """Validation metrics after training, ``{name: number}`` (non-finite as strings)."""
    TRAIN_SECONDS = "train_seconds"
    STEPS = "steps"
    """Optimizer steps it trained for."""
    CHECKPOINT = "checkpoint"
    """The artifact id of its weights in the run's artifact store."""
    RESOURCES = "resources"
    """What the trial cost: ``{"checkpoint_bytes": ..., "peak_rss_bytes": ...}`` (the
    process's peak resident memory so far) and, on a GPU, ``"device_peak_bytes"`` (the
    trial's own peak of allocated device memory)."""
    ERROR = "error"
    """Why it failed: the exception's type and message."""
    REASON = "reason"
    """Why it was pruned: untrained for its size, by the pruner, or as a surplus trial."""
    WORKER = "worker"
    """The process that runs it: ``{"host": name, "pid": number}``; tells a live worker's
    trial from a dead one's on the same host, and how many workers share the host."""
    HEARTBEAT = "heartbeat"
    """When the trial's worker last showed it was alive (seconds since the epoch), on a
    storage without a heartbeat of its own (the journal)."""
    ENSEMBLE = "ensemble"
    """The frozen trials whose towers it combines with its own (see ``EnsembleRecord``):
    ``{"members": [trial numbers], "strategy": ..., "combiner": ...}``; absent for a
    single model."""
    TEACHER = "teacher"
    """The trial it was distilled from, and how (see ``TeacherRecord``)."""
    TRAINING = "training"
    """How to train it again: ``{"seed": ..., "data_seed": ..., "steps": ...}``, the seed
    of its initial weights, the seed of its data order and its step budget (before
    parameter scaling)."""


class StudyKey(str, enum.Enum):
    """The user attributes of the study itself."""

    IDENTITY = "torchsearch:identity"
    """What the study searches (data, problem, metric, direction); a rerun must agree."""
    CONFIG = "torchsearch:config"
    """The whole config of the run that created the study."""


class TrialKind(str, enum.Enum):
    """What a trial trains (docs/architecture.md, "The loop")."""

    SEARCH = "search"
    """A tower proposed by the search algorithm."""
    SUGGESTION = "suggestion"
    """A user-suggested tower, trained before any search trial."""
    ENSEMBLE = "ensemble"
    """Several earlier towers combined."""
    DISTILLATION = "distillation"
    """A tower trained against a teacher's logits."""
    REPLAY = "replay"
    """A recorded trial trained again from its record (``parent`` is the original)."""
    REPLICA = "replica"
    """The best architecture retrained with another seed and data order, to be ensembled."""


SEARCH_KINDS: tuple[str, ...] = (
    TrialKind.SEARCH.value,
    TrialKind.SUGGESTION.value,
    TrialKind.DISTILLATION.value,
)
"""The kinds whose trials the search algorithms learn from by default: one new tower each,
scored as trained (a distilled tower is a search candidate trained with a teacher)."""

SUGGESTED = "suggested"
"""The operation of a user suggestion."""
GIVEN = "given"
"""The operation of a trial that came with its architecture (enqueued by hand)."""
OVERSIZED = "rejected"
"""How the reason of a PRUNED trial whose model was over ``space.max_parameters`` begins
(it was counted, never built; the search does not propose its tower again)."""


def kind_value(kind: TrialKind | str) -> str:
    """The string stored for ``kind``."""
    # str() of a str-mixin enum member is "TrialKind.SEARCH" on Python 3.11; use the value.
    return kind.value if isinstance(kind, enum.Enum) else str(kind)
