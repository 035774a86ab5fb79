"""Stratified splitting: disjoint, complete, stratified, seeded; small classes are errors."""

from __future__ import annotations

import numpy as np
import pytest

from torchsearch import DataError
from torchsearch.data._split import stratified_split

NAMES = ("a", "b", "c")


def _split(
    y: np.ndarray, seed: int, fractions: tuple[float, ...] = (0.2, 0.2)
) -> list[np.ndarray]:
    return stratified_split(
        y,
        fractions,
        seed,
        class_names=NAMES,
        part_names=["validation", "test"][: len(fractions)],
        dataset="toy",
        source="toy.csv",
    )


Y = np.repeat(np.arange(3), [50, 30, 20])


def test_parts_are_disjoint_and_complete() -> None:
    parts = _split(Y, seed=0)
    joined = np.concatenate(parts)
    assert len(joined) == len(Y) == len(np.unique(joined))


def test_every_class_keeps_its_share_in_every_part() -> None:
    train, validation, test = _split(Y, seed=0)
    assert np.bincount(Y[validation]).tolist() == [10, 6, 4]
    assert np.bincount(Y[test]).tolist() == [10, 6, 4]
    assert np.bincount(Y[train]).tolist() == [30, 18, 12]


def test_same_seed_same_split_other_seed_other_split() -> None:
    first, again, other = _split(Y, 3), _split(Y, 3), _split(Y, 4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])


def test_tiny_classes_get_one_example_per_part() -> None:
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    train, validation, test = _split(y, 0, (0.1, 0.1))
    for part in (train, validation, test):
        assert sorted(set(y[part])) == [0, 1, 2]


def test_a_class_too_small_to_split_is_named() -> None:
    y = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    with pytest.raises(
        DataError, match=r"class 'c' has only 2 example\(s\) in toy.csv.*at least 3"
    ):
        _split(y, 0)
