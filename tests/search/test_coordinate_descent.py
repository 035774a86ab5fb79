"""Adaptive coordinate descent, ported from Model Search's search/coordinate_descent_test.

Model Search's tests mock every parent's architecture as enum ids [1, 2, 3, 4]; here they
are the names of those ids (FIXED_CHANNEL_CONVOLUTION_16/32/64, CONVOLUTION_3X3).
"""

from __future__ import annotations

import random

import pytest

from torchsearch.blocks import BlockRegistry
from torchsearch.search import CompletedTrial
from torchsearch.search import Operation
from torchsearch.search import SearchSettings
from torchsearch.search import propose_coordinate_descent
from torchsearch.space import Architecture

C16 = "FIXED_CHANNEL_CONVOLUTION_16"  # enum id 1
C32 = "FIXED_CHANNEL_CONVOLUTION_32"  # 2
C64 = "FIXED_CHANNEL_CONVOLUTION_64"  # 3
CONV = "CONVOLUTION_3X3"  # 4
PYRAMID = "FULLY_CONNECTED_PYRAMID"
FC128 = "FIXED_OUTPUT_FULLY_CONNECTED_128"
PRF = "PLATE_REDUCTION_FLATTEN"
PARENT = (C16, C32, C64, CONV)


def _trials(n: int, tower: tuple[str, ...] = PARENT) -> list[CompletedTrial]:
    """Trials 0..n-1 with objective 100 - i, plus one infeasible trial with objective 0."""
    arch = Architecture.single(tower)
    trials = [CompletedTrial(i, arch, 100.0 - i) for i in range(n)]
    trials.append(CompletedTrial(n, arch, 0.0, feasible=False))  # never a parent
    return trials


def _mismatches(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    assert len(a) == len(b)
    return sum(x != y for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("completed", "thresholds", "min_depth", "p", "should_grow"),
    [
        (100_000, (), 2, 1.0, True),
        (0, (), 1, 1.0, False),
        (3, (1, 2, 3, 4), 2, 1.0, False),
        (4, (1, 2, 3, 4), 2, 1.0, True),
        (4, (1, 2, 3, 4), 2, 0.0, False),
    ],
    ids=[
        "increase_size",
        "no_completed_trials",
        "custom_depth_thresholds",
        "should_increase_depth",
        "increase_complexity_probability_eq_zero",
    ],
)
def test_get_suggestion(
    completed: int,
    thresholds: tuple[int, ...],
    min_depth: int,
    p: float,
    should_grow: bool,
    registry: BlockRegistry,
) -> None:
    settings = SearchSettings(
        blocks=(PYRAMID,),
        problem="dnn",
        minimum_depth=min_depth,
        increase_complexity_minimum_trials=thresholds,
        increase_complexity_probability=p,
    )
    proposal = propose_coordinate_descent(settings, _trials(completed), random.Random(7), registry)

    if not completed:
        assert proposal.parent is None
        assert proposal.operation is Operation.RANDOM
        assert proposal.tower == (PYRAMID,)  # minimum_depth blocks from blocks_to_use
        return
    assert proposal.parent == completed - 1  # the best feasible trial, never the infeasible
    assert proposal.new_block == PYRAMID
    if should_grow:
        assert proposal.operation is Operation.GROW
        assert proposal.tower[:-1] == PARENT
        assert proposal.tower[-1] == PYRAMID
    else:
        assert proposal.operation is Operation.REPLACE
        assert _mismatches(proposal.tower, PARENT) == 1  # PYRAMID is not in the parent


def test_get_suggestion_beam_size_gt_one(registry: BlockRegistry) -> None:
    towers = {0: (C16, C32, C64), 1: (CONV, PYRAMID, FC128), 2: (C64, C64, C64)}
    trials = [CompletedTrial(i, Architecture.single(t), float(i)) for i, t in towers.items()]
    trials.append(CompletedTrial(4, Architecture.single((C32,)), 0.0, feasible=False))
    settings = SearchSettings(
        blocks=(PYRAMID,), problem="dnn", beam_size=2, increase_complexity_minimum_trials=(0,)
    )
    rng = random.Random(11)
    forked = set()
    for _ in range(1000):
        proposal = propose_coordinate_descent(settings, trials, rng, registry)
        assert proposal.operation is Operation.GROW
        assert proposal.tower == (*towers[proposal.parent], PYRAMID)
        forked.add(proposal.parent)
    assert forked == {0, 1}


def test_maximize_forks_from_the_highest_value(registry: BlockRegistry) -> None:
    settings = SearchSettings(blocks=(PYRAMID,), problem="dnn", direction="maximize")
    proposal = propose_coordinate_descent(settings, _trials(10), random.Random(0), registry)
    assert proposal.parent == 0


def test_cnn_growth_puts_a_conv_block_before_the_flatten(registry: BlockRegistry) -> None:
    settings = SearchSettings(
        blocks=(C16,), problem="cnn", increase_complexity_minimum_trials=(0,)
    )
    parent = (CONV, PRF, FC128)
    proposal = propose_coordinate_descent(settings, _trials(3, parent), random.Random(0), registry)
    assert proposal.tower == (CONV, C16, PRF, FC128)


def test_cnn_replacement_is_reordered(
    registry: BlockRegistry, scripted: type[random.Random]
) -> None:
    # Draws: parent 0 of the beam, new block 1 (FC128), position 1 of the mutable [0, 1, 3].
    settings = SearchSettings(
        blocks=(C16, FC128), problem="cnn", increase_complexity_minimum_trials=(1, 2, 3, 4)
    )
    parent = (CONV, C32, PRF, PYRAMID)
    proposal = propose_coordinate_descent(
        settings, _trials(3, parent), scripted(0, 1, 1), registry
    )
    assert proposal.operation is Operation.REPLACE
    assert proposal.tower == (CONV, PRF, FC128, PYRAMID)


def test_no_trial_gives_a_cnn_ordered_random_tower(registry: BlockRegistry) -> None:
    settings = SearchSettings(blocks=(C16, FC128), problem="cnn", minimum_depth=3)
    proposal = propose_coordinate_descent(settings, [], random.Random(5), registry)
    assert proposal.parent is None
    assert len(proposal.tower) == 4
    assert proposal.tower.count(PRF) == 1
