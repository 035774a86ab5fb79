"""The training objective and the evaluation metrics of a candidate.

Softmax cross-entropy on class indices, Model Search's default loss, and accuracy
(docs/model_search.md, "Training"). Logits of shape ``N, T, C`` (a label per step) are
scored on the valid steps only: steps at or beyond an example's length are masked out
with ``ignore_index``, which needs no host synchronisation. The L2 penalty follows
TensorFlow's ``l2_loss`` on every trainable variable, as Model Search did.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.nn import functional as F

from torchsearch._errors import DataError

__all__ = ["IGNORE", "cross_entropy", "l2_penalty", "loss_and_correct"]

IGNORE = -100
"""The label of padded steps (``F.cross_entropy``'s default ``ignore_index``)."""


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
