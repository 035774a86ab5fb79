"""The search against the installed catalogue, once it holds Model Search's CNN blocks.

Checks that the tiny blocks of the other search tests are classified as the real ones are
(conv-like, dense or flatten), and runs the default CNN search (Model Search's
cnn_config.pbtxt) on the real registry. Skipped while the catalogue is incomplete.
"""

from __future__ import annotations

import random
import warnings

import pytest

from torchsearch.blocks import BlockRegistry
from torchsearch.search import CompletedTrial
from torchsearch.search import SearchSettings
from torchsearch.search import propose_coordinate_descent
from torchsearch.space import Architecture
from torchsearch.space import fix_architecture_order

# blocks_to_use of Model Search's cnn_config.pbtxt.
CNN_CONFIG_BLOCKS = (
    *(f"FIXED_CHANNEL_CONVOLUTION_{c}" for c in (16, 32, 64, 96, 120)),
    *(f"CONVOLUTION_{k}" for k in ("3X3", "5X5", "1X3", "1X5", "1X7", "3X1", "5X1", "7X1")),
    "DOWNSAMPLE_CONVOLUTION_3X3",
    "DOWNSAMPLE_CONVOLUTION_5X5",
    "AVERAGE_POOL_2X2",
    "AVERAGE_POOL_4X4",
    "RESNET_3X3",
    "RESNET_5X5",
    "INCREASE_CHANNELS_3X3",
    "INCREASE_CHANNELS_5X5",
    "FULLY_CONNECTED",
    "FULLY_CONNECTED_PYRAMID",
    "MAX_POOLING_3X3",
    "MAX_POOLING_5X5",
    "DILATED_CONVOLUTION_2",
    "DILATED_CONVOLUTION_4",
    *(f"FIXED_OUTPUT_FULLY_CONNECTED_{n}" for n in (128, 256, 512, 1024)),
    "GENERAL_BLOCK",
    "DUAL_RESNET",
)


@pytest.fixture
def installed(registry: BlockRegistry) -> BlockRegistry:
    """A fresh registry of the installed blocks (the process-wide one is left alone)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a half-written catalogue warns; we skip instead
        real = BlockRegistry.from_entry_points()
    needed = {*CNN_CONFIG_BLOCKS, *registry.names()}
    missing = sorted(needed - set(real.names()))
    if missing:
        pytest.skip(f"the catalogue lacks {len(missing)} blocks, e.g. {missing[:3]}")
    return real


def test_test_blocks_are_classified_as_the_real_ones(
    installed: BlockRegistry, registry: BlockRegistry
) -> None:
    for name in registry.names():
        fake, real = registry.prototype(name), installed.prototype(name)
        assert fake.is_flatten == real.is_flatten, name
        if not real.is_flatten:
            assert fake.is_input_order_important == real.is_input_order_important, name


def test_default_cnn_search_runs_on_the_real_catalogue(installed: BlockRegistry) -> None:
    settings = SearchSettings(
        blocks=CNN_CONFIG_BLOCKS,
        problem="cnn",
        minimum_depth=2,
        maximum_depth=20,
        beam_size=5,
        increase_complexity_probability=0.9,
    )
    rng = random.Random(0)
    trials: list[CompletedTrial] = []
    for number in range(80):
        proposal = propose_coordinate_descent(settings, trials, rng, installed)
        tower = proposal.tower
        assert fix_architecture_order(tower, "cnn", installed) == tower
        assert sum(installed.prototype(b).is_flatten for b in tower) == 1
        assert len(tower) <= settings.maximum_depth
        trials.append(CompletedTrial(number, Architecture.single(tower), rng.random()))
