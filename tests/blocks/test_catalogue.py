"""The catalogue as a whole: every installed block builds and trains on each input it takes.

Parametrized over ``list_blocks()``, so blocks from installed plugins are checked too.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os

import pytest
import torch

import torchsearch
from torchsearch import InputKind
from torchsearch import TensorSpec
from torchsearch.blocks import BlockVariant
from torchsearch.blocks import get_registry

# The 136 lookup names of Model Search's open-source block.py (docs/model_search.md,
# "Blocks").
ORIGINAL_NAMES = frozenset(
    [
        "AVERAGE_POOL_2X2",
        "AVERAGE_POOL_4X4",
        "BI_LSTM_1024",
        "BI_LSTM_128",
        "BI_LSTM_256",
        "BI_LSTM_512",
        "BOTTLENECK_32",
        "BOTTLENECK_32_SKIP",
        "BOTTLENECK_64",
        "BOTTLENECK_64_SKIP",
        "CONV1D_128_3",
        "CONV1D_128_5",
        "CONVOLUTION_1X3",
        "CONVOLUTION_1X5",
        "CONVOLUTION_1X7",
        "CONVOLUTION_3X1",
        "CONVOLUTION_3X3",
        "CONVOLUTION_4X4",
        "CONVOLUTION_5X1",
        "CONVOLUTION_5X5",
        "CONVOLUTION_7X1",
        "DILATED_CONVOLUTION_2",
        "DILATED_CONVOLUTION_4",
        "DOWNSAMPLE_CONVOLUTION_3X3",
        "DOWNSAMPLE_CONVOLUTION_4X4",
        "DOWNSAMPLE_CONVOLUTION_5X5",
        "DOWNSAMPLE_FLATTEN",
        "DUAL_RESNET",
        "FIXED_CHANNEL_CONVOLUTION_120",
        "FIXED_CHANNEL_CONVOLUTION_16",
        "FIXED_CHANNEL_CONVOLUTION_32",
        "FIXED_CHANNEL_CONVOLUTION_64",
        "FIXED_CHANNEL_CONVOLUTION_96",
        "FIXED_CHANNEL_STRIDE_96_2",
        "FIXED_OUTPUT_FULLY_CONNECTED_1024",
        "FIXED_OUTPUT_FULLY_CONNECTED_128",
        "FIXED_OUTPUT_FULLY_CONNECTED_256",
        "FIXED_OUTPUT_FULLY_CONNECTED_512",
        "FIXED_OUTPUT_FULLY_CONNECTED_64",
        "FLATTEN",
        "FULLY_CONNECTED",
        "FULLY_CONNECTED_PYRAMID",
        "FULLY_CONNECTED_RESIDUAL_CONCAT",
        "FULLY_CONNECTED_RESIDUAL_CONCAT_BATCHNORM",
        "FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES",
        "FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES_BATCHNORM",
        "FULLY_CONNECTED_RESIDUAL_PROJECT",
        "FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM",
        "GENERAL_BLOCK",
        "IDENTITY",
        "INCREASE_CHANNELS_3X3",
        "INCREASE_CHANNELS_4X4",
        "INCREASE_CHANNELS_5X5",
        "LOWRANK_1",
        "LOWRANK_1_SKIP",
        "LOWRANK_2",
        "LOWRANK_2_SKIP",
        "LOWRANK_3",
        "LOWRANK_3_SKIP",
        "LSTM_1024",
        "LSTM_128",
        "LSTM_256",
        "LSTM_512",
        "MAX_POOLING_2X2",
        "MAX_POOLING_3X3",
        "MAX_POOLING_5X5",
        "PLATE_REDUCTION_FLATTEN",
        "RECURRENT_DENSE_1024",
        "RECURRENT_DENSE_128",
        "RECURRENT_DENSE_256",
        "RECURRENT_DENSE_512",
        "RECURRENT_DENSE_64",
        "RESNET_3X3",
        "RESNET_4X4",
        "RESNET_5X5",
        "RNN_CELL_1024",
        "RNN_CELL_128",
        "RNN_CELL_256",
        "RNN_CELL_512",
        "RNN_CELL_64",
        "SKIP_BI_LSTM_1024",
        "SKIP_BI_LSTM_128",
        "SKIP_BI_LSTM_256",
        "SKIP_BI_LSTM_512",
        "SKIP_CONV1D_128_3",
        "SKIP_CONV1D_128_5",
        "SKIP_LSTM_1024",
        "SKIP_LSTM_128",
        "SKIP_LSTM_256",
        "SKIP_LSTM_512",
        "SKIP_RNN_CELL_1024",
        "SKIP_RNN_CELL_128",
        "SKIP_RNN_CELL_256",
        "SKIP_RNN_CELL_512",
        "SKIP_RNN_CELL_64",
        "SVDF_CELL_1024_16_1",
        "SVDF_CELL_1024_4_1",
        "SVDF_CELL_1024_8_1",
        "SVDF_CELL_128_16_1",
        "SVDF_CELL_128_4_1",
        "SVDF_CELL_128_8_1",
        "SVDF_CELL_256_16_1",
        "SVDF_CELL_256_4_1",
        "SVDF_CELL_256_8_1",
        "SVDF_CELL_32_32_1",
        "SVDF_CELL_32_32_1_2",
        "SVDF_CELL_512_16_1",
        "SVDF_CELL_512_4_1",
        "SVDF_CELL_512_8_1",
        "SVDF_CELL_576_8_1_16",
        "SVDF_CELL_576_8_1_64",
        "SVDF_CELL_576_8_1_7",
        "SVDF_CELL_64_16_1",
        "SVDF_CELL_64_4_1",
        "SVDF_CELL_64_8_1",
        "SVDF_CONV_1024_16_1_64",
        "SVDF_CONV_1024_4_1_64",
        "SVDF_CONV_1024_8_1_64",
        "SVDF_CONV_128_16_1_64",
        "SVDF_CONV_128_4_1_64",
        "SVDF_CONV_128_8_1_64",
        "SVDF_CONV_256_16_1_64",
        "SVDF_CONV_256_4_1_64",
        "SVDF_CONV_256_8_1_64",
        "SVDF_CONV_32_32_1",
        "SVDF_CONV_32_32_1_2",
        "SVDF_CONV_512_16_1_64",
        "SVDF_CONV_512_4_1_64",
        "SVDF_CONV_512_8_1_64",
        "SVDF_CONV_576_8_1_16",
        "SVDF_CONV_576_8_1_64",
        "SVDF_CONV_576_8_1_7",
        "SVDF_CONV_64_16_1_64",
        "SVDF_CONV_64_4_1_64",
        "SVDF_CONV_64_8_1_64",
        "TUNABLE_SVDF",
    ]
)
# torchsearch's own additions, not in Model Search: 1xK convolutions with batch norm for
# 1-D signals seen as one-pixel-high images (the last section of blocks/_image.py).
TORCHSEARCH_NAMES = frozenset(
    [
        "CONVOLUTION_1X3_BN",
        "CONVOLUTION_1X5_BN",
        "CONVOLUTION_1X7_BN",
        "DILATED_CONVOLUTION_1X3_2_BN",
        "DILATED_CONVOLUTION_1X3_4_BN",
        "DOWNSAMPLE_CONVOLUTION_1X3_BN",
        "FIXED_CHANNEL_CONVOLUTION_1X5_8_BN",
        "FIXED_CHANNEL_CONVOLUTION_1X5_16_BN",
        "FIXED_CHANNEL_CONVOLUTION_1X5_32_BN",
        "FIXED_CHANNEL_CONVOLUTION_1X5_64_BN",
    ]
)
CATALOGUE_MODULES = ("_image", "_flatten", "_dense", "_recurrent", "_svdf")

# Small inputs of every kind; 8 channels keep GENERAL_BLOCK and DOWNSAMPLE_FLATTEN active.
SAMPLE_SPECS = {
    InputKind.IMAGE: TensorSpec.image(8, 12, 12),
    InputKind.FLAT: TensorSpec.flat(12),
    InputKind.SEQUENCE: TensorSpec.sequence(5, 7),
}
BATCH = 3


def _cases() -> list[tuple[str, InputKind]]:
    # TORCHSEARCH_TEST_PROVIDER=<distribution> narrows the run to one plugin's blocks (the
    # nox plugins session sets it, since the tests session checks the catalogue already).
    registry = get_registry()
    only = os.environ.get("TORCHSEARCH_TEST_PROVIDER")
    return [
        (name, kind)
        for name in registry.names()
        if not only or registry.provider(name).distribution == only
        for kind in sorted(registry.prototype(name).input_kinds, key=lambda k: k.value)
    ]


def test_every_model_search_name_is_registered() -> None:
    assert len(torchsearch.list_blocks()) >= 130
    missing = ORIGINAL_NAMES - set(torchsearch.list_blocks())
    assert not missing, f"catalogue blocks missing: {sorted(missing)}"
    for name in ORIGINAL_NAMES:
        assert torchsearch.block_provider(name).distribution == "torchsearch"


def test_torchsearch_provides_model_search_names_and_its_own_additions() -> None:
    assert len(ORIGINAL_NAMES) == 136
    assert not ORIGINAL_NAMES & TORCHSEARCH_NAMES
    registry = get_registry()
    provided = {n for n in registry.names() if registry.provider(n).distribution == "torchsearch"}
    assert provided == ORIGINAL_NAMES | TORCHSEARCH_NAMES


def test_entry_points_match_the_catalogue_modules() -> None:
    declared = {
        ep.name: ep.value
        for ep in importlib.metadata.entry_points(group="torchsearch.blocks")
        if ep.dist is not None and ep.dist.name == "torchsearch"
    }
    defined = {}
    for module_name in CATALOGUE_MODULES:
        module = importlib.import_module(f"torchsearch.blocks.{module_name}")
        for attr, value in vars(module).items():
            if isinstance(value, BlockVariant):
                defined[attr] = f"torchsearch.blocks.{module_name}:{attr}"
    assert declared == defined


@pytest.mark.parametrize(("name", "kind"), _cases(), ids=lambda v: getattr(v, "value", v))
def test_block_builds_runs_and_trains(name: str, kind: InputKind) -> None:
    torch.manual_seed(0)
    block = torchsearch.create_block(name)
    spec = SAMPLE_SPECS[kind]
    module, output = block.build(spec)
    shape = (BATCH, *(7 if d is None else d for d in spec.shape))
    x = torch.randn(shape, requires_grad=True)
    lengths = torch.tensor([7, 5, 2]) if kind is InputKind.SEQUENCE else None
    y = module(x, lengths) if block.uses_lengths else module(x)
    expected = (BATCH, *(7 if d is None else d for d in output.shape))
    assert tuple(y.shape) == expected, f"{name} declared {output}, produced {tuple(y.shape)}"
    assert torch.isfinite(y).all(), f"{name} produced non-finite values"
    y.pow(2).mean().backward()
    params = [p for p in module.parameters() if p.requires_grad]
    assert all(p.grad is not None for p in params), f"{name} has parameters without gradient"
    if output.kind is InputKind.SEQUENCE:
        assert output.steps == spec.steps, "sequence blocks keep the number of steps"


@pytest.mark.parametrize("name", sorted(ORIGINAL_NAMES))
def test_order_flag_matches_model_search(name: str) -> None:
    block = torchsearch.create_block(name)
    dense_like = (
        "FULLY_CONNECTED",
        "FIXED_OUTPUT",
        "LOWRANK",
        "BOTTLENECK",
        "IDENTITY",
        "FLATTEN",
    )
    expected = not any(part in name for part in dense_like)
    assert block.is_input_order_important is expected
    assert block.is_flatten is name.endswith("FLATTEN")
