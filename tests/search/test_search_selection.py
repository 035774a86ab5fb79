"""Ranking completed trials and choosing a parent from the beam."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from torchsearch import ConfigError
from torchsearch.search import CompletedTrial
from torchsearch.search import choose_parent
from torchsearch.search import rank
from torchsearch.space import Architecture

ARCH = Architecture.single(["FULLY_CONNECTED"])


def _trial(number: int, value: float, feasible: bool = True) -> CompletedTrial:
    return CompletedTrial(number, ARCH, value, feasible)


def test_rank_minimizes_or_maximizes_and_drops_infeasible_and_nan() -> None:
    trials = [_trial(0, 3.0), _trial(1, 1.0), _trial(2, 0.0, False), _trial(3, float("nan"))]
    trials.append(_trial(4, 2.0))
    assert [t.number for t in rank(trials, "minimize")] == [1, 4, 0]
    assert [t.number for t in rank(trials, "MAXIMIZE")] == [0, 4, 1]


def test_rank_breaks_ties_by_trial_number_whatever_the_input_order() -> None:
    trials = [_trial(5, 1.0), _trial(2, 1.0), _trial(9, 0.5)]
    assert [t.number for t in rank(trials, "minimize")] == [9, 2, 5]


def test_rank_rejects_an_unknown_direction() -> None:
    with pytest.raises(ConfigError, match="Unknown direction"):
        rank([], "lower")


def test_choose_parent_is_uniform_over_the_beam() -> None:
    ranked = rank([_trial(i, float(i)) for i in range(6)], "minimize")
    rng = random.Random(3)
    counts = Counter(choose_parent(ranked, 3, rng).number for _ in range(3000))
    assert set(counts) == {0, 1, 2}
    assert all(850 < c < 1150 for c in counts.values())
    assert choose_parent(ranked, 100, rng) in ranked  # a beam wider than the trials


def test_choose_parent_rejects_a_bad_beam_or_no_trials() -> None:
    with pytest.raises(ConfigError, match="beam_size"):
        choose_parent(rank([_trial(0, 1.0)], "minimize"), 0, random.Random(0))
    with pytest.raises(ValueError, match="no ranked trial"):
        choose_parent((), 1, random.Random(0))
