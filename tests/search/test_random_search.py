"""Non-adaptive random search, ported from Model Search's search/identity_test.

Model Search's Identity returns the oracle's ``initial_architecture``, CNN-reordered; here
the tower is drawn by the search, so the test scripts the draws to get the same tower.
"""

from __future__ import annotations

import random

import pytest

from torchsearch.blocks import BlockRegistry
from torchsearch.search import CompletedTrial
from torchsearch.search import Operation
from torchsearch.search import SearchSettings
from torchsearch.search import propose_random
from torchsearch.space import Architecture

FC128 = "FIXED_OUTPUT_FULLY_CONNECTED_128"  # enum id 22
FC256 = "FIXED_OUTPUT_FULLY_CONNECTED_256"  # 23
C32 = "FIXED_CHANNEL_CONVOLUTION_32"  # 2
C64 = "FIXED_CHANNEL_CONVOLUTION_64"  # 3
CONV = "CONVOLUTION_3X3"  # 4
PRF = "PLATE_REDUCTION_FLATTEN"  # 34


@pytest.mark.parametrize(
    ("problem", "drawn", "expected"),
    [
        ("cnn", (FC128, C32, C64, CONV), (C32, C64, CONV, PRF, FC128)),  # [2, 3, 4, 34, 22]
        ("dnn", (FC128, FC256), (FC128, FC256)),  # [22, 23], unchanged
    ],
    ids=["regular_cnn", "regular_dnn"],
)
def test_get_suggestion(
    problem: str,
    drawn: tuple[str, ...],
    expected: tuple[str, ...],
    registry: BlockRegistry,
    scripted: type[random.Random],
) -> None:
    settings = SearchSettings(blocks=drawn, problem=problem, minimum_depth=len(drawn))
    rng = scripted(*range(len(drawn)))  # draw the blocks in the order listed
    proposal = propose_random(settings, [], rng, registry)
    assert proposal.tower == expected
    assert proposal.parent is None
    assert proposal.operation is Operation.RANDOM


def test_random_search_ignores_completed_trials_and_keeps_minimum_depth(
    registry: BlockRegistry,
) -> None:
    settings = SearchSettings(blocks=(FC128, FC256), problem="dnn", minimum_depth=3)
    trials = [CompletedTrial(0, Architecture.single((FC128,) * 9), 0.0)]
    towers = {
        propose_random(settings, trials, random.Random(s), registry).tower for s in range(40)
    }
    assert all(len(t) == 3 for t in towers)
    assert len(towers) == 8  # all 2**3 towers appear: the draw is uniform, with replacement
