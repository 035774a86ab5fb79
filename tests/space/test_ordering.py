"""The CNN ordering rule and growth, ported from Model Search's architecture_utils_test.

Includes its ``fix_architecture_order`` table (docs/model_search.md, "Architectures and
the CNN order").
"""

from __future__ import annotations

import pytest

from torchsearch import ProblemType
from torchsearch import UnknownBlockError
from torchsearch import fix_architecture_order
from torchsearch import increase_structure_depth

PRF = "PLATE_REDUCTION_FLATTEN"


@pytest.mark.parametrize(
    ("initial", "fixed"),
    [
        ([], [PRF]),
        ([PRF], [PRF]),
        (["DOWNSAMPLE_FLATTEN"], ["DOWNSAMPLE_FLATTEN"]),
        ([PRF, "FULLY_CONNECTED", "CONVOLUTION_3X3"], ["CONVOLUTION_3X3", PRF, "FULLY_CONNECTED"]),
        (
            ["DOWNSAMPLE_FLATTEN", "FULLY_CONNECTED", "CONVOLUTION_3X3"],
            ["CONVOLUTION_3X3", "DOWNSAMPLE_FLATTEN", "FULLY_CONNECTED"],
        ),
        (
            [
                PRF,
                "FULLY_CONNECTED",
                "FULLY_CONNECTED_PYRAMID",
                "CONVOLUTION_3X3",
                "DOWNSAMPLE_CONVOLUTION_3X3",
            ],
            [
                "CONVOLUTION_3X3",
                "DOWNSAMPLE_CONVOLUTION_3X3",
                PRF,
                "FULLY_CONNECTED",
                "FULLY_CONNECTED_PYRAMID",
            ],
        ),
    ],
    ids=["empty", "flatten", "downsample_flatten", "basic", "basic_downsample", "advanced"],
)
def test_fix_architecture_order_table(initial: list[str], fixed: list[str]) -> None:
    assert fix_architecture_order(initial, ProblemType.CNN) == tuple(fixed)


def test_identity_test_case_keeps_the_first_flatten_only() -> None:
    # search/identity_test: [FO_FC_128, FC16_32, FC_64, CONV3X3] -> conv first, flatten, dense.
    initial = [
        "FIXED_OUTPUT_FULLY_CONNECTED_128",
        "FIXED_CHANNEL_CONVOLUTION_32",
        "FIXED_CHANNEL_CONVOLUTION_64",
        "CONVOLUTION_3X3",
    ]
    assert fix_architecture_order(initial, "cnn") == (
        "FIXED_CHANNEL_CONVOLUTION_32",
        "FIXED_CHANNEL_CONVOLUTION_64",
        "CONVOLUTION_3X3",
        PRF,
        "FIXED_OUTPUT_FULLY_CONNECTED_128",
    )
    two_flattens = ["FLATTEN", "CONVOLUTION_3X3", PRF, "IDENTITY"]
    assert fix_architecture_order(two_flattens, "cnn") == (
        "CONVOLUTION_3X3",
        "FLATTEN",
        "IDENTITY",
    )


@pytest.mark.parametrize("problem", ["dnn", "rnn_all", "rnn_last"])
def test_other_problem_types_are_left_alone(problem: str) -> None:
    arch = ["FULLY_CONNECTED", "CONVOLUTION_3X3", "FLATTEN"]
    assert fix_architecture_order(arch, problem) == tuple(arch)


@pytest.mark.parametrize(
    ("problem", "new_block"),
    [("rnn_all", "LSTM_128"), ("dnn", "FIXED_OUTPUT_FULLY_CONNECTED_128")],
)
def test_increase_structure_depth_on_an_empty_tower(problem: str, new_block: str) -> None:
    assert increase_structure_depth([], new_block, problem) == (new_block,)


def test_cnn_growth_inserts_conv_before_the_flatten_and_appends_dense() -> None:
    tower = ("CONVOLUTION_3X3", PRF, "FULLY_CONNECTED")
    assert increase_structure_depth(tower, "RESNET_3X3", "cnn") == (
        "CONVOLUTION_3X3",
        "RESNET_3X3",
        PRF,
        "FULLY_CONNECTED",
    )
    assert increase_structure_depth(tower, "FULLY_CONNECTED_PYRAMID", "cnn") == (
        *tower,
        "FULLY_CONNECTED_PYRAMID",
    )
    assert increase_structure_depth(["CONVOLUTION_3X3"], "RESNET_3X3", "cnn") == (
        "CONVOLUTION_3X3",
        "RESNET_3X3",
    )


def test_unknown_block_in_a_cnn_tower() -> None:
    with pytest.raises(UnknownBlockError, match="CONVOLUTION_3X3"):
        fix_architecture_order(["CONVOLUTION_3x3"], "cnn")
