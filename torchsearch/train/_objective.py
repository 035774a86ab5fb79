"""The training objective and the evaluation metrics of a candidate.

Softmax cross-entropy on class indices, Model Search's default loss, and accuracy
(docs/model_search.md, "Training"); for a numeric target (regression: float targets,
standardised by the data), the mean squared error, the mean absolute error or the Huber
loss of the model's single output, and RMSE, MAE and R² in the target's own units.
Logits of shape ``N, T, C`` (a label per step) are scored on the valid steps only: steps
at or beyond an example's length are masked out with ``ignore_index``, which needs no
host synchronisation. The L2 penalty follows
TensorFlow's ``l2_loss`` on every trainable variable, as Model Search did.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch.nn import functional as F

from torchsearch._errors import ConfigError
from torchsearch._errors import DataError

__all__ = [
    "IGNORE",
    "REGRESSION_LOSSES",
    "cross_entropy",
    "l2_penalty",
    "label_loss",
    "loss_and_correct",
    "regression_loss",
    "regression_metrics",
    "regression_sums",
]

IGNORE = -100
"""The label of padded steps (``F.cross_entropy``'s default ``ignore_index``)."""

REGRESSION_LOSSES = ("mse", "mae", "huber")
"""The training losses of a numeric target (``objective.loss``); ``mse`` is the default."""


def label_loss(
    outputs: torch.Tensor,
    y: torch.Tensor,
    lengths: torch.Tensor | None = None,
    kind: str | None = None,
) -> torch.Tensor:
    """The loss of ``outputs`` on the targets: :func:`cross_entropy` for class indices,
    :func:`regression_loss` of ``kind`` (default ``mse``) for float targets."""
    if y.is_floating_point():
        return regression_loss(outputs, y, kind or "mse")
    return cross_entropy(outputs, y, lengths)


def regression_loss(outputs: torch.Tensor, y: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """The mean ``mse``, ``mae`` or ``huber`` loss (delta 1, in standardised units) of a
    model's single output per example against standardised targets.

    Raises:
        ConfigError: an unknown ``kind``.
        DataError: the outputs are not one number per target.
    """
    predictions = _predictions(outputs, y)
    if kind == "mse":
        return F.mse_loss(predictions, y)
    if kind == "mae":
        return F.l1_loss(predictions, y)
    if kind == "huber":
        return F.huber_loss(predictions, y)
    raise ConfigError(
        f"Unknown regression loss {kind!r}; choose one of {', '.join(REGRESSION_LOSSES)}."
    )


def regression_sums(outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The sums a split's regression metrics need, for a batch: squared errors, absolute
    errors, targets, squared targets, and the count (sums, so that batches add up)."""
    error = _predictions(outputs, y) - y
    return torch.stack(
        [
            error.square().sum(),
            error.abs().sum(),
            y.sum(),
            y.square().sum(),
            torch.tensor(float(len(y)), device=y.device),
        ]
    )


def regression_metrics(sums: list[float], y_scale: float) -> dict[str, float]:
    """``loss`` (the mean squared error in standardised units), and ``rmse``, ``mae`` in
    the target's units (``y_scale`` per standardised unit) and ``r2`` from
    :func:`regression_sums` added over a split. R² compares with predicting the split's
    own mean; ``nan`` for a split whose targets are all equal."""
    squared, absolute, total, total_squares, count = sums
    spread = total_squares - total * total / count
    return {
        "loss": squared / count,
        "rmse": math.sqrt(squared / count) * y_scale,
        "mae": absolute / count * y_scale,
        "r2": 1.0 - squared / spread if spread > 1e-12 else math.nan,
    }


def _predictions(outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The single output per example as ``y``'s shape."""
    if outputs.shape != (*y.shape, 1):
        raise DataError(
            f"Outputs of shape {tuple(outputs.shape)} do not fit targets of shape "
            f"{tuple(y.shape)}: a regression model gives one number per example (N, 1)."
        )
    return outputs[..., 0]


def cross_entropy(
    logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean cross-entropy over the examples, or over the valid steps of sequences.

    Args:
        logits: ``N, C``, or ``N, T, C`` for a label per step.
        y: class indices, ``N`` or ``N, T``.
        lengths: valid steps per example (``N, T, C`` logits only); None for all.

    Raises:
        DataError: the labels' shape does not fit the logits.
    """
    if logits.ndim == 2 and y.ndim == 1:
        return F.cross_entropy(logits, y)
    logits, y = _flat_steps(logits, y, lengths)
    return F.cross_entropy(logits, y, ignore_index=IGNORE)


def loss_and_correct(
    logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Summed loss, number of correct predictions and number of predictions of a batch.

    Sums, not means, so that a split's metrics weigh every prediction equally whatever
    the batch boundaries.
    """
    if logits.ndim == 3 or y.ndim == 2:
        logits, y = _flat_steps(logits, y, lengths)
    loss = F.cross_entropy(logits, y, ignore_index=IGNORE, reduction="sum")
    valid = y != IGNORE
    correct = ((logits.argmax(-1) == y) & valid).sum()
    return loss, correct, valid.sum()


def l2_penalty(parameters: Iterable[torch.Tensor], weight: float) -> torch.Tensor:
    """``weight * sum(p**2) / 2`` over ``parameters``, TensorFlow's ``l2_loss``."""
    squares = torch.stack([p.square().sum() for p in parameters])
    return squares.sum() * (weight / 2)


def _flat_steps(
    logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``N * T, C`` logits and ``N * T`` labels, padded steps labelled :data:`IGNORE`."""
    if logits.ndim != 3 or y.shape != logits.shape[:2]:
        raise DataError(
            f"Labels of shape {tuple(y.shape)} do not fit logits of shape "
            f"{tuple(logits.shape)}: expected N labels for N, C logits, or N, T labels for "
            "N, T, C logits (a label per step)."
        )
    if lengths is not None:
        steps = torch.arange(y.shape[1], device=y.device)
        y = y.masked_fill(steps >= lengths.to(y.device)[:, None], IGNORE)
    return logits.flatten(0, 1), y.flatten()
