"""What a candidate minimises while training: the label loss, or a teacher's distillation.

:class:`TrainingLoss` is the plugin contract :class:`CandidateSystem` calls on every
training batch; :class:`LabelLoss` is the default (cross-entropy on the labels), and
:class:`DistillationLoss` trains the candidate (the student) towards a frozen teacher's
logits, with Model Search's four distillation types (its ``meta/distillation.py``):

- ``mse_logits``: the mean squared error between the teacher's and the student's logits;
- ``mse_softmax``: the same between ``softmax(teacher / T)`` and the student's *raw
  logits*. Model Search compares probabilities with logits here; kept as it was, so a
  port of its settings trains the same;
- ``cross_entropy``: the student's cross-entropy against the soft labels
  ``softmax(teacher / T)``;
- ``adaptively_balance``: the label cross-entropy plus ``weight`` times that soft one.

Validation always scores the label loss (:func:`~torchsearch.train.evaluate`), as in
Model Search, where the teacher's loss was used in training only. The pure functions
:func:`teacher_targets`, :func:`distillation_loss` and :func:`distillation_loss_from_targets`
compute the same losses from tensors.
"""

from __future__ import annotations

import abc

import torch
from torch import nn
from torch.nn import functional as F

from torchsearch._errors import ConfigError
from torchsearch._errors import DataError
from torchsearch.train._data import Batch
from torchsearch.train._objective import IGNORE
from torchsearch.train._objective import _flat_steps
from torchsearch.train._objective import label_loss

__all__ = [
    "DISTILLATION_KINDS",
    "REGRESSION_DISTILLATION",
    "DistillationLoss",
    "LabelLoss",
    "TrainingLoss",
    "distillation_loss",
    "distillation_loss_from_targets",
    "teacher_targets",
]

DISTILLATION_KINDS = ("mse_logits", "mse_softmax", "cross_entropy", "adaptively_balance")
"""The ``kind`` values of :class:`DistillationLoss`, Model Search's distillation types."""
REGRESSION_DISTILLATION = ("mse_logits", "adaptively_balance")
"""The kinds that distil a numeric target: the student's output towards the teacher's
(plus the label loss for ``adaptively_balance``)."""


class TrainingLoss(abc.ABC):
    """What a candidate minimises on a training batch (the plugin contract).

    Called once per training step with the candidate and the batch, it returns the
    scalar loss to minimise (the L2 penalty is added by the caller). It must not update
    anything the optimizer sees other than through the returned loss.
    """

    @abc.abstractmethod
    def __call__(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        """The loss of ``model`` on ``batch``, a scalar that backpropagates to ``model``."""

    def to(self, device: torch.device) -> TrainingLoss:
        """Moves what the loss computes with (a teacher) to ``device``; returns self.

        :func:`~torchsearch.train.fit` calls it when it moves the candidate. Nothing to
        move by default.
        """
        return self


class LabelLoss(TrainingLoss):
    """Cross-entropy of the candidate's logits on the labels, Model Search's default; for
    float targets (regression), the ``kind`` of regression loss.

    Logits ``N, T, C`` (a label per step) are scored on the valid steps only, as
    :func:`~torchsearch.train.cross_entropy` does.

    Args:
        kind: ``mse`` (the default), ``mae`` or ``huber`` for float targets; ignored
            for class labels.
    """

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind

    def __call__(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        x, y, lengths = batch
        if lengths is None:
            return label_loss(model(x), y, kind=self.kind)
        return label_loss(model(x, lengths), y, lengths, self.kind)

    def __repr__(self) -> str:
        return f"LabelLoss(kind={self.kind!r})" if self.kind else "LabelLoss()"


class DistillationLoss(TrainingLoss):
    """Trains the candidate towards a frozen teacher's logits on the same inputs.

    The teacher is called like the candidate (``teacher(x)``, or ``teacher(x, lengths)``
    when the batch has lengths) and returns logits of the candidate's shape. It runs
    without gradients and in eval mode whatever the candidate's mode (it is put in eval
    mode here), so its parameters never change. It must not be a submodule of the
    candidate, or the optimizer would train it. An ensemble teacher combines its members
    itself: the mean of their logits in torchsearch, where Model Search took their sum.

    Args:
        teacher: the frozen teacher, ``teacher(x[, lengths]) -> logits``.
        kind: one of :data:`DISTILLATION_KINDS`.
        temperature: divides the teacher's logits before the softmax (every kind but
            ``mse_logits``); above 0.
        weight: the teacher term's factor, Model Search's lambda for
            ``adaptively_balance`` (label loss + ``weight`` x teacher loss); at least 0.

    Raises:
        ConfigError: an unknown ``kind``, a temperature at or below 0 or a negative weight.
    """

    def __init__(
        self,
        teacher: nn.Module,
        kind: str,
        temperature: float = 1.0,
        weight: float = 1.0,
        label_kind: str | None = None,
    ) -> None:
        _check(kind, temperature, weight)
        self.teacher = teacher.eval()
        self.kind = kind
        self.temperature = temperature
        self.weight = weight
        self.label_kind = label_kind

    def __call__(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        x, y, lengths = batch
        if self.teacher.training:  # someone switched it back to training mode
            self.teacher.eval()
        with torch.no_grad():  # not inference_mode: its tensors cannot be saved for backward
            teacher = self.teacher(x) if lengths is None else self.teacher(x, lengths)
            if not y.is_floating_point():
                targets = teacher_targets(teacher, self.kind, self.temperature)
        student = model(x) if lengths is None else model(x, lengths)
        if y.is_floating_point():
            return self._regression(student, teacher, y)
        return distillation_loss_from_targets(student, targets, self.kind, self.weight, y, lengths)

    def _regression(
        self, student: torch.Tensor, teacher: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        """A numeric target's distillation: ``weight`` times the squared distance to the
        teacher's outputs, plus the label loss for ``adaptively_balance``. The kinds that
        compare class probabilities have no meaning here (the plan refuses them)."""
        if self.kind not in REGRESSION_DISTILLATION:
            raise ConfigError(
                f"distill.kind={self.kind} compares class probabilities; a regression "
                f"student learns with {' or '.join(REGRESSION_DISTILLATION)}."
            )
        loss = F.mse_loss(student, teacher) * self.weight
        if self.kind == "adaptively_balance":
            loss = loss + label_loss(student, y, kind=self.label_kind)
        return loss

    def to(self, device: torch.device) -> DistillationLoss:
        """Moves the teacher to ``device``; returns self."""
        self.teacher.to(device)
        return self

    def __repr__(self) -> str:
        return (
            f"DistillationLoss(kind={self.kind!r}, temperature={self.temperature}, "
            f"weight={self.weight})"
        )


def teacher_targets(
    teacher_logits: torch.Tensor, kind: str, temperature: float = 1.0
) -> torch.Tensor:
    """What the student is compared with: the teacher's logits for ``mse_logits``,
    ``softmax(teacher_logits / temperature)`` over the last dimension for the others.

    Raises:
        ConfigError: an unknown ``kind`` or a temperature at or below 0.
    """
    _check(kind, temperature, 0.0)
    if kind == "mse_logits":
        return teacher_logits
    return torch.softmax(teacher_logits / temperature, dim=-1)


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    kind: str,
    temperature: float = 1.0,
    weight: float = 1.0,
    labels: torch.Tensor | None = None,
    lengths: torch.Tensor | None = None,
    *,
    example_weights: torch.Tensor | float | None = None,
) -> torch.Tensor:
    """The distillation loss of ``student_logits`` against a teacher's raw logits.

    :func:`teacher_targets` followed by :func:`distillation_loss_from_targets`; see
    there for the arguments.
    """
    targets = teacher_targets(teacher_logits, kind, temperature)
    return distillation_loss_from_targets(
        student_logits, targets, kind, weight, labels, lengths, example_weights=example_weights
    )


def distillation_loss_from_targets(
    student_logits: torch.Tensor,
    targets: torch.Tensor,
    kind: str,
    weight: float = 1.0,
    labels: torch.Tensor | None = None,
    lengths: torch.Tensor | None = None,
    *,
    example_weights: torch.Tensor | float | None = None,
) -> torch.Tensor:
    """The distillation loss of ``student_logits`` against the teacher's ``targets``.

    Model Search's loss functions took the targets ready made, and its tests feed them
    directly (probabilities that no softmax of logits gives, for instance).

    Args:
        student_logits: ``N, C``, or ``N, T, C`` for a label per step.
        targets: :func:`teacher_targets` of the teacher's logits, the student's shape.
        kind: one of :data:`DISTILLATION_KINDS`.
        weight: the teacher term's factor (lambda for ``adaptively_balance``).
        labels: class indices ``N`` or ``N, T``; needed for ``adaptively_balance`` only.
        lengths: valid steps per example (``N, T, C`` logits only); None for all.
        example_weights: multiplies each prediction's loss, a number or a tensor of
            shape ``N`` or ``N, T``, as the ``weights`` of Model Search's (TensorFlow's)
            losses. As there, the mean is over the predictions of non-zero weight.

    Raises:
        ConfigError: an unknown ``kind``, a negative weight, or ``adaptively_balance``
            without labels.
        DataError: the targets' or the labels' shape does not fit the logits.
    """
    _check(kind, 1.0, weight)
    if targets.shape != student_logits.shape:
        raise DataError(
            f"Teacher values of shape {tuple(targets.shape)} do not fit student logits of "
            f"shape {tuple(student_logits.shape)}; the teacher must give the student's shape."
        )
    classes = student_logits.shape[-1]
    student, teacher = student_logits.reshape(-1, classes), targets.reshape(-1, classes)
    if kind in ("mse_logits", "mse_softmax"):
        losses = (teacher - student).square().mean(-1)
    else:
        losses = -(teacher * F.log_softmax(student, dim=-1)).sum(-1)
    if weight != 1.0:
        losses = losses * weight
    if kind == "adaptively_balance":
        if labels is None:
            raise ConfigError("adaptively_balance needs labels; pass labels=.")
        losses = losses + _label_losses(student_logits, labels, lengths)
    valid = _valid_steps(student_logits, lengths)
    return _weighted_mean(losses, valid, example_weights, student_logits.shape[:-1])


def _label_losses(
    logits: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor | None
) -> torch.Tensor:
    """The cross-entropy of each prediction, flattened; 0 at padded steps."""
    if logits.ndim == 2 and labels.ndim == 1:
        return F.cross_entropy(logits, labels, reduction="none")
    logits, labels = _flat_steps(logits, labels, lengths)
    return F.cross_entropy(logits, labels, ignore_index=IGNORE, reduction="none")


def _valid_steps(logits: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor | None:
    """Which of the flattened predictions count (steps before each length); None: all."""
    if logits.ndim != 3 or lengths is None:
        return None
    steps = torch.arange(logits.shape[1], device=logits.device)
    return (steps < lengths.to(logits.device)[:, None]).flatten()


def _weighted_mean(
    losses: torch.Tensor,
    valid: torch.Tensor | None,
    weights: torch.Tensor | float | None,
    shape: torch.Size,
) -> torch.Tensor:
    """``sum(w * loss) / count(w != 0)`` over the valid predictions (TensorFlow's
    ``SUM_BY_NONZERO_WEIGHTS``), the plain mean without weights or padding.

    ``losses`` are flattened from ``shape``, the logits' ``N`` or ``N, T``.
    """
    if weights is None and valid is None:
        return losses.mean()
    w = torch.ones_like(losses) if weights is None else _per_prediction(weights, shape, losses)
    if valid is not None:
        w = w * valid
        losses = torch.where(valid, losses, 0.0)  # padded steps may hold anything
    return (losses * w).sum() / torch.count_nonzero(w).clamp(min=1)


def _per_prediction(
    weights: torch.Tensor | float, shape: torch.Size, losses: torch.Tensor
) -> torch.Tensor:
    """``weights`` (a number, one per example or one per step) as one per prediction."""
    w = torch.as_tensor(weights, dtype=losses.dtype, device=losses.device)
    if w.ndim == 1 and len(shape) == 2:
        w = w[:, None]  # one per example of a label per step
    try:
        return w.expand(shape).flatten()
    except RuntimeError:
        raise DataError(
            f"example_weights of shape {tuple(w.shape)} fit neither the examples nor the "
            f"steps of logits {tuple(shape)} + classes; give a number, N or N, T weights."
        ) from None


def _check(kind: str, temperature: float, weight: float) -> None:
    if kind not in DISTILLATION_KINDS:
        raise ConfigError(
            f"Unknown distillation kind {kind!r}; use one of {', '.join(DISTILLATION_KINDS)}."
        )
    if not temperature > 0:
        raise ConfigError(f"The distillation temperature must be above 0, got {temperature}.")
    if not weight >= 0:
        raise ConfigError(f"The distillation weight must be 0 or more, got {weight}.")
