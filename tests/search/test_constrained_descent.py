"""Constrained coordinate descent, from Model Search's search/constrained_descent_test.

Model Search patches ``numpy.random.randint`` to return 2; here a scripted ``random.Random``
returns index 2 for every draw: the new block is the third search block
(FIXED_OUTPUT_FULLY_CONNECTED_512), the parent is the third of the beam (trial n - 3), and
the replaced position is 2. The original's ids 1-4 are FIXED_CHANNEL_CONVOLUTION_16/32/64
and CONVOLUTION_3X3, id 8 is AVERAGE_POOL_2X2. Knowing the draws, the expected towers are
checked exactly, where the original only checked the first four blocks up to one change.
"""

from __future__ import annotations

import random

import pytest

from torchsearch import ConfigError
from torchsearch import UnknownBlockError
from torchsearch.blocks import BlockRegistry
from torchsearch.search import CompletedTrial
from torchsearch.search import ConstrainedSettings
from torchsearch.search import Operation
from torchsearch.search import cell_allowed_depth
from torchsearch.search import is_reduction_block
from torchsearch.search import propose_constrained_descent
from torchsearch.space import Architecture

C16 = "FIXED_CHANNEL_CONVOLUTION_16"  # enum id 1
C32 = "FIXED_CHANNEL_CONVOLUTION_32"  # 2
C64 = "FIXED_CHANNEL_CONVOLUTION_64"  # 3
CONV = "CONVOLUTION_3X3"  # 4
POOL = "AVERAGE_POOL_2X2"  # 8
FC512 = "FIXED_OUTPUT_FULLY_CONNECTED_512"
PRF = "PLATE_REDUCTION_FLATTEN"
BLOCKS = (
    "FIXED_OUTPUT_FULLY_CONNECTED_128",
    "FIXED_OUTPUT_FULLY_CONNECTED_256",
    FC512,
)


def _settings(**overrides: object) -> ConstrainedSettings:
    fields: dict[str, object] = {
        "blocks": BLOCKS,
        "problem": "dnn",  # as the original, so the CNN order does not move blocks
        "maximum_depth": 11,
        "num_blocks_in_cell": 4,
        "reduction_block_type": POOL,
        "beam_size": 3,
    }
    return ConstrainedSettings(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("completed", "parent", "replicate", "expected", "operation"),
    [
        (1000, (C16, C32), False, (C16, C32, FC512), Operation.GROW),
        (1000, (C16, C32, C64), False, (C16, C32, C64, FC512, POOL), Operation.GROW),
        (3, (C16, C32, C64, CONV, POOL), False, (C16, C32, FC512, CONV, POOL), Operation.REPLACE),
        (
            3,
            (C16, C32, C64, CONV, POOL),
            True,
            (C16, C32, FC512, CONV, POOL) * 2,
            Operation.REPLACE,
        ),
    ],
    ids=[
        "increase_size_no_reduction",
        "increase_size_reduction",
        "mutation_without_replication",
        "mutation_with_replication",
    ],
)
def test_get_suggestion(
    completed: int,
    parent: tuple[str, ...],
    replicate: bool,
    expected: tuple[str, ...],
    operation: Operation,
    registry: BlockRegistry,
    scripted: type[random.Random],
) -> None:
    arch = Architecture.single(parent)
    trials = [CompletedTrial(i, arch, 100.0 - i) for i in range(completed)]
    settings = _settings(replicate_cell=replicate)
    proposal = propose_constrained_descent(settings, trials, scripted(2), registry)
    # A beam of 3 whose best is the last trial: index 2 of the beam is trial n - 3.
    assert proposal.parent == completed - 3
    assert proposal.tower == expected
    assert proposal.operation is operation
    assert proposal.new_block == FC512


def test_no_trial_mutates_or_grows_a_random_tower_and_has_no_parent(
    registry: BlockRegistry,
) -> None:
    for seed in range(50):
        proposal = propose_constrained_descent(_settings(), [], random.Random(seed), registry)
        assert proposal.parent is None
        assert proposal.operation is Operation.RANDOM
        assert len(proposal.tower) == 2  # minimum_depth; allowed depth 1 forbids growth
        assert set(proposal.tower) <= set(BLOCKS)


def test_cnn_tower_gets_reductions_after_each_cell_then_the_flatten(
    registry: BlockRegistry,
) -> None:
    settings = _settings(
        blocks=(C16, C32), problem="cnn", maximum_depth=12, increase_complexity_minimum_trials=(0,)
    )
    parent = Architecture.single((C16, C16, C16, C16, POOL, C32, C32, PRF))
    trials = [CompletedTrial(0, parent, 1.0)]
    proposal = propose_constrained_descent(settings, trials, random.Random(0), registry)
    assert proposal.operation is Operation.GROW
    assert proposal.tower[4] == POOL
    assert proposal.tower[-1] == PRF
    assert len(proposal.tower) == 9


def test_allowed_depth_is_net_of_reductions_and_of_a_cnn_flatten() -> None:
    # allowed - allowed // cell. With maximum_depth 11 and cells of 4: 11 - 2 = 9.
    assert cell_allowed_depth(_settings(), 1000) == 9
    assert cell_allowed_depth(_settings(replicate_cell=True), 0) == 9
    # Deliberate change: a CNN's flatten counts, so 9 blocks + 2 reductions + flatten
    # cannot exceed 11; the original allowed 9 here, giving 12.
    assert cell_allowed_depth(_settings(problem="cnn"), 1000) == 8
    assert cell_allowed_depth(_settings(), 0) == 1


def test_reduction_rule_follows_model_search_names() -> None:
    assert is_reduction_block("AVERAGE_POOL_2X2")
    assert is_reduction_block("MAX_POOLING_3X3")
    assert is_reduction_block("DOWNSAMPLE_CONVOLUTION_3X3")
    assert is_reduction_block("PLATE_REDUCTION_FLATTEN")
    assert not is_reduction_block("CONVOLUTION_3X3")


def test_reduction_blocks_in_blocks_are_refused_up_front() -> None:
    # The original raises ValueError only once such a block happens to be drawn.
    with pytest.raises(ConfigError, match=r"remove \['MAX_POOLING_3X3'\]"):
        _settings(blocks=(C16, "MAX_POOLING_3X3"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reduction_block_type": CONV}, "must name a reduction block"),
        ({"num_blocks_in_cell": 0}, "num_blocks_in_cell must be at least 1"),
        ({"replicate_cell": True, "maximum_depth": 4}, "cannot hold one cell"),
        ({"replicate_cell": "yes"}, "replicate_cell must be true or false"),
    ],
)
def test_bad_cell_settings_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _settings(**overrides)


def test_reduction_block_type_is_checked_against_the_registry(registry: BlockRegistry) -> None:
    with pytest.raises(UnknownBlockError, match=r"reduction_block_type.*AVERAGE_POOL_2X2"):
        propose_constrained_descent(
            _settings(reduction_block_type="AVERAGE_POOL_2x3"), [], random.Random(0), registry
        )
    with pytest.raises(ConfigError, match="is a flatten block"):
        propose_constrained_descent(
            _settings(reduction_block_type=PRF), [], random.Random(0), registry
        )
