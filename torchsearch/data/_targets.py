"""Regression targets: numbers read from any column, checked, and standardised.

A regression target must be a finite number for every example; the splits hold it
standardised by the training split's mean and standard deviation (so that one learning
rate fits targets of any scale), and both statistics travel with the data to the model
file, which turns predictions back into the target's units.
"""

from __future__ import annotations

import numpy as np
import torch

from torchsearch._errors import DataError
from torchsearch.data._labels import Locate
from torchsearch.data._records import Standardization

__all__ = ["read_targets", "target_scaling"]


def read_targets(labels: np.ndarray, *, dataset: str, source: str, locate: Locate) -> np.ndarray:
    """The targets as float64, one per example.

    Args:
        labels: one value per example as read (numbers or text).
        dataset: the data set's name, for messages.
        source: what holds the targets (``"train.csv"``), for messages.
        locate: describes where the ``i``-th target sits, for messages.

    Raises:
        DataError: a target is missing, not a number, or not finite; or the targets are
            one per step (regression predicts one number per example).
    """
    values = np.asarray(labels)
    if values.ndim != 1:
        raise DataError(
            f"data={dataset}: {source} has targets of shape {values.shape}; regression "
            "predicts one number per example, so give y of shape (N,)."
        )
    if values.dtype.kind in "biuf":
        numbers = values.astype(np.float64)
    else:
        text = np.char.strip(values.astype(str))
        numbers = np.empty(len(text), dtype=np.float64)
        for i, item in enumerate(text):
            try:
                numbers[i] = float(item)
            except ValueError:
                what = "an empty target" if item == "" else f"the target {str(item)!r}"
                raise DataError(
                    f"data={dataset}: {source} has {what} ({locate(i)}), which is not a "
                    "number; data.task=regression needs a number for every example: fill "
                    "it in or drop the row, choose the target column (data.label=...), or "
                    "use data.task=classification for class labels."
                ) from None
    bad = np.flatnonzero(~np.isfinite(numbers))
    if bad.size:
        raise DataError(
            f"data={dataset}: {source} has the target {numbers[bad[0]]} "
            f"({locate(int(bad[0]))}); regression targets must be finite numbers."
        )
    return numbers


def target_scaling(train: np.ndarray) -> Standardization:
    """The training targets' mean and standard deviation (1 for a constant target)."""
    std = float(train.std())
    return Standardization(
        torch.tensor(float(train.mean()), dtype=torch.float32),
        torch.tensor(std if std > 1e-12 else 1.0, dtype=torch.float32),
    )
