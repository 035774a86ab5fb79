"""Labels to class indices: any strings or numbers become ``0..C-1`` plus class names.

Model Search's default loss took int, float, one-hot or string labels through a
``label_vocabulary``; here every provider maps its labels to int64 indices once, in a
stable order (numbers by value, strings alphabetically), and keeps the original labels
as ``class_names``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

import numpy as np

from torchsearch._errors import DataError

__all__ = ["check_classes", "encode_labels", "encode_with"]

Locate = Callable[[int], str]
"""Describes where the ``i``-th label sits, for messages (e.g. ``"row 7 of a.csv"``)."""


def encode_labels(
    labels: np.ndarray, *, dataset: str, source: str, locate: Locate
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Maps labels to class indices sorted by label.

    Args:
        labels: one label per example (numbers or strings).
        dataset: the data set's name, for messages.
        source: what holds the labels (``"train.csv"``), for messages.
        locate: describes the position of a label, for messages.

    Returns:
        int64 indices and the class names (the labels as text, in index order).

    Raises:
        DataError: a label is missing, or there are fewer than two classes.
    """
    keys = _keys(labels, dataset=dataset, source=source, locate=locate)
    unique, indices = np.unique(keys, return_inverse=True)
    _check_not_continuous(keys, unique, dataset=dataset, source=source)
    names = tuple(_name(v) for v in unique)
    check_classes(names, dataset=dataset, source=source)
    return indices.astype(np.int64).reshape(-1), names


CONTINUOUS_SHARE = 0.5
"""Numeric labels with fractions and more distinct values than this share of the examples
(and at least ten) are a measured quantity, not classes."""


def _check_not_continuous(
    keys: np.ndarray, unique: np.ndarray, *, dataset: str, source: str
) -> None:
    """Refuses a target that is a measurement: read as classes, each value would be a
    class of one example, and the error would be about splitting."""
    if keys.dtype.kind != "f" or len(unique) < max(10, CONTINUOUS_SHARE * len(keys)):
        return
    fractions = unique[unique != np.round(unique)]
    if fractions.size:
        raise DataError(
            f"data={dataset}: the labels in {source} look continuous ({len(unique)} distinct "
            f"numbers in {len(keys)} examples, e.g. {fractions[0]!r}), a number to predict "
            "rather than classes: set data.task=regression, or choose a column of class "
            "labels (data.label=...)."
        )


def check_classes(names: Sequence[str], *, dataset: str, source: str) -> None:
    """Checks that the examples present hold at least two classes.

    Args:
        names: the names of the classes present.
        dataset: the data set's name, for messages.
        source: what holds the examples, for messages.

    Raises:
        DataError: fewer than two classes.
    """
    if len(names) < 2:
        found = f"only the class {names[0]!r}" if names else "no labels"
        raise DataError(
            f"data={dataset}: {source} has {found}; classification needs at least two "
            "classes, so check the labels or add examples of other classes."
        )


def encode_with(
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    dataset: str,
    source: str,
    locate: Locate,
) -> np.ndarray:
    """Maps labels of a separate validation or test set to the training classes.

    Args:
        labels: one label per example.
        class_names: the training classes, as :func:`encode_labels` named them.
        dataset: the data set's name, for messages.
        source: what holds the labels, for messages.
        locate: describes the position of a label, for messages.

    Returns:
        int64 indices into ``class_names``.

    Raises:
        DataError: a label is missing or is not one of the training classes.
    """
    keys = _keys(labels, dataset=dataset, source=source, locate=locate)
    index = {name: i for i, name in enumerate(class_names)}
    names = [_name(v) for v in keys]
    for i, name in enumerate(names):
        if name not in index:
            raise DataError(
                f"data={dataset}: {source} has the label {name!r} ({locate(i)}), which the "
                f"training data lacks (its classes: {', '.join(class_names)}); every class "
                "needs training examples."
            )
    return np.fromiter((index[n] for n in names), dtype=np.int64, count=len(names))


def _keys(labels: np.ndarray, *, dataset: str, source: str, locate: Locate) -> np.ndarray:
    """Numbers as float64 when every label is numeric, else stripped strings."""
    labels = np.asarray(labels).reshape(-1)
    if labels.dtype.kind in "biuf":
        keys = labels.astype(np.float64)
    else:
        text = np.char.strip(labels.astype(str))
        empty = np.flatnonzero(text == "")
        if empty.size:
            raise DataError(
                f"data={dataset}: {source} has an empty label ({locate(int(empty[0]))}); "
                "give every example a label or drop the row."
            )
        try:
            keys = text.astype(np.float64)
        except ValueError:
            return text
    bad = np.flatnonzero(~np.isfinite(keys))
    if bad.size:
        raise DataError(
            f"data={dataset}: {source} has the label {keys[bad[0]]} ({locate(int(bad[0]))}); "
            "labels must be class names or finite numbers."
        )
    return keys


def _name(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)
