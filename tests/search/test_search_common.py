"""The depth schedule and the mutators (Model Search's search/common_test).

Plus the mutators' contract: inputs are never changed, a flatten block is never
replaced, and a tower with nothing to replace raises.
"""

from __future__ import annotations

import random

import pytest

from torchsearch import ConfigError
from torchsearch.blocks import BlockRegistry
from torchsearch.search import ImmutableTowerError
from torchsearch.search import allowed_depth
from torchsearch.search import default_depth_thresholds
from torchsearch.search import grow
from torchsearch.search import random_block
from torchsearch.search import random_tower
from torchsearch.search import replace_one

PRF = "PLATE_REDUCTION_FLATTEN"
CONV = "CONVOLUTION_3X3"
C16 = "FIXED_CHANNEL_CONVOLUTION_16"
FC = "FULLY_CONNECTED"
FC128 = "FIXED_OUTPUT_FULLY_CONNECTED_128"


@pytest.mark.parametrize(
    ("num_completed", "thresholds", "expected"),
    [(0, None, 1), (11, None, 3), (2, [0, 1, 10, 20], 2), (1000, None, 5)],
    ids=["no_completed_trials", "some_completed_trials", "custom_thresholds", "maximum"],
)
def test_allowed_depth(num_completed: int, thresholds: list[int] | None, expected: int) -> None:
    assert allowed_depth(num_completed, thresholds, 5) == expected


def test_allowed_depth_default_schedule_steps_every_five_trials() -> None:
    assert default_depth_thresholds(4) == (0, 5, 10, 15)
    depths = [allowed_depth(n, (), 4) for n in range(17)]
    assert depths == [1] * 5 + [2] * 5 + [3] * 5 + [4] * 2


def test_allowed_depth_rejects_more_thresholds_than_depths() -> None:
    with pytest.raises(ConfigError, match="at most one threshold per depth"):
        allowed_depth(3, [0, 1, 2, 3], 3)


def test_random_tower_has_the_depth_and_only_the_given_blocks() -> None:
    tower = random_tower(["a", "b", "c"], 3, random.Random(0))
    assert len(tower) == 3
    assert set(tower) <= {"a", "b", "c"}
    assert isinstance(tower, tuple)


def test_random_block_is_one_of_the_blocks_and_uniform() -> None:
    rng = random.Random(1)
    draws = [random_block(("a", "b", "c"), rng) for _ in range(3000)]
    assert set(draws) == {"a", "b", "c"}
    assert all(800 < draws.count(b) < 1200 for b in "abc")
    with pytest.raises(ConfigError, match="no blocks"):
        random_block((), rng)


def test_replace_one_changes_at_most_one_position_and_never_the_flatten(
    registry: BlockRegistry,
) -> None:
    tower = [CONV, C16, PRF, FC, FC128]
    before = list(tower)
    changed: set[int] = set()
    for seed in range(300):
        out = replace_one(tower, "RESNET_3X3", random.Random(seed), registry)
        diff = [i for i, (a, b) in enumerate(zip(tower, out, strict=True)) if a != b]
        assert len(diff) == 1
        changed.update(diff)
    assert changed == {0, 1, 3, 4}  # every position but the flatten, uniformly reachable
    assert tower == before


def test_replace_one_may_put_back_the_same_block(registry: BlockRegistry) -> None:
    assert replace_one((FC,), FC, random.Random(0), registry) == (FC,)


@pytest.mark.parametrize("tower", [(), (PRF,), (PRF, "FLATTEN")], ids=["empty", "one", "two"])
def test_replace_one_raises_when_nothing_is_mutable(
    tower: tuple[str, ...], registry: BlockRegistry
) -> None:
    with pytest.raises(ImmutableTowerError, match="Cannot mutate"):
        replace_one(tower, FC, random.Random(0), registry)
    assert issubclass(ImmutableTowerError, ConfigError)


def test_grow_puts_conv_before_the_flatten_and_dense_at_the_end(registry: BlockRegistry) -> None:
    tower = [CONV, PRF, FC]
    assert grow(tower, C16, "cnn", registry) == (CONV, C16, PRF, FC)
    assert grow(tower, FC128, "cnn", registry) == (CONV, PRF, FC, FC128)
    assert grow(tower, C16, "dnn", registry) == (CONV, PRF, FC, C16)
    assert tower == [CONV, PRF, FC]
