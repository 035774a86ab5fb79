"""Seeded stratified splitting: carve validation and test parts out of one pool.

Each class is shuffled with its own draw from ``numpy.random.default_rng(seed)`` (never
the global RNG) and cut by the requested fractions, rounded per class with at least one
example in every part, so every class is seen in training, validation and test. The
same seed gives the same split; another seed gives another. Model Search's image
provider used Keras' unstratified ``validation_split`` with a fixed seed 73.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from torchsearch._errors import DataError

__all__ = ["stratified_split"]


def stratified_split(
    y: np.ndarray,
    fractions: Sequence[float],
    seed: int,
    *,
    class_names: Sequence[str],
    part_names: Sequence[str],
    dataset: str,
    source: str,
) -> list[np.ndarray]:
    """Indices of a training part and of one part per fraction, stratified by class.

    Args:
        y: class indices ``0..C-1`` of the pool.
        fractions: the share of each class that goes to each carved part.
        seed: the split's seed.
        class_names: the name of each class, for messages.
        part_names: the carved parts' names (``"validation"``, ``"test"``), for messages.
        dataset: the data set's name, for messages.
        source: what the pool is (``"train.csv"``), for messages.

    Returns:
        ``[train, *carved]`` sorted index arrays; together they cover ``y`` once.

    Raises:
        DataError: a class has fewer examples than there are parts.
    """
    parts = len(fractions) + 1
    counts = np.bincount(y, minlength=len(class_names))
    small = [(class_names[c], int(n)) for c, n in enumerate(counts) if 0 < n < parts]
    if small:
        name, n = small[0]
        others = f" (and {len(small) - 1} more classes)" if len(small) > 1 else ""
        raise DataError(
            f"data={dataset}: class {name!r} has only {n} example(s) in {source}{others}, too "
            f"few to split stratified into train, {' and '.join(part_names)}: each class "
            f"needs at least {parts}. Add examples of it, remove it, or give the "
            f"{' and '.join(part_names)} data separately."
        )
    rng = np.random.default_rng(seed)
    order = np.argsort(y, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    chosen: list[list[np.ndarray]] = [[] for _ in range(parts)]
    for c, n in enumerate(counts):
        if n == 0:
            continue
        members = rng.permutation(order[starts[c] : starts[c + 1]])
        sizes = _part_sizes(int(n), fractions)
        edges = np.cumsum([0, *sizes])
        for p in range(parts):
            chosen[p].append(members[edges[p] : edges[p + 1]])
    return [np.sort(np.concatenate(c)) for c in chosen]


def _part_sizes(n: int, fractions: Sequence[float]) -> list[int]:
    """``[train, *carved]`` sizes for a class of ``n >= len(fractions) + 1`` examples."""
    carved = [max(1, round(n * f)) for f in fractions]
    while n - sum(carved) < 1:  # rounding took everything: shrink the largest part
        carved[carved.index(max(carved))] -= 1
    return [n - sum(carved), *carved]
