"""Model Search's image and flatten blocks: the original's shapes, 'SAME' maths, gradients.

The shape table is that of Model Search's block_test.py with NHWC turned into NCHW; the
parameter counts are Keras's for the same layers; the padding values are worked out by
hand from TensorFlow's 'SAME' rule. torchsearch's own 1xK batch-norm blocks for 1-D
signals are checked at the end.
"""

from __future__ import annotations

import math
import pickle

import pytest
import torch
from torch import nn

from torchsearch._errors import ConfigError
from torchsearch.blocks import _flatten
from torchsearch.blocks import _image
from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import TensorSpec
from torchsearch.blocks._flatten import DOWNSAMPLE_FLATTEN
from torchsearch.blocks._flatten import FLATTEN
from torchsearch.blocks._flatten import PLATE_REDUCTION_FLATTEN
from torchsearch.blocks._image import AVERAGE_POOL_2X2
from torchsearch.blocks._image import AVERAGE_POOL_4X4
from torchsearch.blocks._image import CONVOLUTION_1X7
from torchsearch.blocks._image import CONVOLUTION_3X1
from torchsearch.blocks._image import CONVOLUTION_3X3
from torchsearch.blocks._image import DILATED_CONVOLUTION_2
from torchsearch.blocks._image import DILATED_CONVOLUTION_4
from torchsearch.blocks._image import DOWNSAMPLE_CONVOLUTION_3X3
from torchsearch.blocks._image import DOWNSAMPLE_CONVOLUTION_4X4
from torchsearch.blocks._image import DOWNSAMPLE_CONVOLUTION_5X5
from torchsearch.blocks._image import DUAL_RESNET
from torchsearch.blocks._image import FIXED_CHANNEL_CONVOLUTION_64
from torchsearch.blocks._image import FIXED_CHANNEL_STRIDE_96_2
from torchsearch.blocks._image import GENERAL_BLOCK
from torchsearch.blocks._image import INCREASE_CHANNELS_3X3
from torchsearch.blocks._image import INCREASE_CHANNELS_4X4
from torchsearch.blocks._image import MAX_POOLING_2X2
from torchsearch.blocks._image import MAX_POOLING_3X3
from torchsearch.blocks._image import MAX_POOLING_5X5
from torchsearch.blocks._image import RESNET_3X3
from torchsearch.blocks._image import SameAvgPool2d
from torchsearch.blocks._image import SameConv2d

IMAGE_NAMES = {
    "AVERAGE_POOL_2X2", "AVERAGE_POOL_4X4",
    "CONVOLUTION_1X3", "CONVOLUTION_1X5", "CONVOLUTION_1X7", "CONVOLUTION_3X1",
    "CONVOLUTION_3X3", "CONVOLUTION_4X4", "CONVOLUTION_5X1", "CONVOLUTION_5X5",
    "CONVOLUTION_7X1",
    "DILATED_CONVOLUTION_2", "DILATED_CONVOLUTION_4",
    "DOWNSAMPLE_CONVOLUTION_3X3", "DOWNSAMPLE_CONVOLUTION_4X4", "DOWNSAMPLE_CONVOLUTION_5X5",
    "DUAL_RESNET",
    "FIXED_CHANNEL_CONVOLUTION_16", "FIXED_CHANNEL_CONVOLUTION_32",
    "FIXED_CHANNEL_CONVOLUTION_64", "FIXED_CHANNEL_CONVOLUTION_96",
    "FIXED_CHANNEL_CONVOLUTION_120", "FIXED_CHANNEL_STRIDE_96_2",
    "GENERAL_BLOCK",
    "INCREASE_CHANNELS_3X3", "INCREASE_CHANNELS_4X4", "INCREASE_CHANNELS_5X5",
    "MAX_POOLING_2X2", "MAX_POOLING_3X3", "MAX_POOLING_5X5",
    "RESNET_3X3", "RESNET_4X4", "RESNET_5X5",
}  # fmt: skip
FLATTEN_NAMES = {"FLATTEN", "PLATE_REDUCTION_FLATTEN", "DOWNSAMPLE_FLATTEN"}
# torchsearch's own additions to _image (not Model Search's): 1xK kernels, batch norm on.
BN_1D_NAMES = {
    "FIXED_CHANNEL_CONVOLUTION_1X5_8_BN", "FIXED_CHANNEL_CONVOLUTION_1X5_16_BN",
    "FIXED_CHANNEL_CONVOLUTION_1X5_32_BN", "FIXED_CHANNEL_CONVOLUTION_1X5_64_BN",
    "CONVOLUTION_1X3_BN", "CONVOLUTION_1X5_BN", "CONVOLUTION_1X7_BN",
    "DILATED_CONVOLUTION_1X3_2_BN", "DILATED_CONVOLUTION_1X3_4_BN",
    "DOWNSAMPLE_CONVOLUTION_1X3_BN",
}  # fmt: skip


def _variants(module: object) -> dict[str, BlockVariant]:
    return {k: v for k, v in vars(module).items() if isinstance(v, BlockVariant)}


VARIANTS = {**_variants(_image), **_variants(_flatten)}
ALL = sorted(VARIANTS)


def _run(
    block: Block, spec: TensorSpec, batch: int = 2
) -> tuple[nn.Module, TensorSpec, torch.Tensor]:
    module, output = block.build(spec)
    return module, output, module(torch.randn(batch, *spec.shape))


# --------------------------------------------------------------------------- the catalogue


def test_lookup_names_are_model_searchs_and_torchsearchs_own() -> None:
    assert not IMAGE_NAMES & BN_1D_NAMES
    assert set(_variants(_image)) == IMAGE_NAMES | BN_1D_NAMES
    assert set(_variants(_flatten)) == FLATTEN_NAMES


@pytest.mark.parametrize("module", [_image, _flatten], ids=["image", "flatten"])
def test_all_lists_classes_only(module: object) -> None:
    exported = [getattr(module, name) for name in module.__all__]  # type: ignore[attr-defined]
    assert all(isinstance(value, type) for value in exported)
    blocks = {v.block_class for v in _variants(module).values()}
    assert blocks <= set(exported)


@pytest.mark.parametrize("name", ALL)
def test_flags_match_model_search(name: str) -> None:
    block = VARIANTS[name]()
    is_flatten = name in FLATTEN_NAMES
    assert block.is_flatten is is_flatten
    assert block.is_input_order_important is not is_flatten
    assert not block.uses_lengths and not block.hyperparameters()
    expected = {InputKind.IMAGE}
    if name in ("FLATTEN", "PLATE_REDUCTION_FLATTEN"):
        expected.add(InputKind.FLAT)
    assert block.input_kinds == expected


# --------------------------------------------------------------------------- shapes


# block_test.py's table; the original builds classes with default arguments, which are
# the settings of the variants below. Input (2, 3, 32, 32) unless given.
SHAPE_TABLE = [
    ("fixed_channel_block", FIXED_CHANNEL_CONVOLUTION_64, {}, None, (2, 64, 32, 32)),
    ("conv_block", CONVOLUTION_3X3, {}, None, (2, 3, 32, 32)),
    ("conv_block_batch_norm", CONVOLUTION_3X3, {"apply_batch_norm": True}, None, (2, 3, 32, 32)),
    ("non_symmetric_conv_block", CONVOLUTION_3X1, {}, None, (2, 3, 32, 32)),
    ("dilated_conv_block", DILATED_CONVOLUTION_2, {}, None, (2, 3, 32, 32)),
    ("dilated_conv_bn", DILATED_CONVOLUTION_2, {"apply_batch_norm": True}, None, (2, 3, 32, 32)),
    ("max_pool_block", MAX_POOLING_2X2, {}, None, (2, 3, 16, 16)),
    ("increase_block", INCREASE_CHANNELS_3X3, {}, None, (2, 6, 32, 32)),
    ("increase_bn", INCREASE_CHANNELS_3X3, {"apply_batch_norm": True}, None, (2, 6, 32, 32)),
    ("down_block", DOWNSAMPLE_CONVOLUTION_3X3, {}, None, (2, 6, 16, 16)),
    ("down_bn", DOWNSAMPLE_CONVOLUTION_3X3, {"apply_batch_norm": True}, None, (2, 6, 16, 16)),
    ("avg_block", AVERAGE_POOL_2X2, {}, None, (2, 3, 16, 16)),
    ("resnet_block", RESNET_3X3, {}, None, (2, 3, 32, 32)),
    ("resnet_block_batch_norm", RESNET_3X3, {"apply_batch_norm": True}, None, (2, 3, 32, 32)),
    ("downsample_flatten", DOWNSAMPLE_FLATTEN, {}, None, (2, 96)),
    ("downsample_flatten_limit_hit", DOWNSAMPLE_FLATTEN, {"max_channels": 50}, None, (2, 50)),
    ("dual_resnet_block", DUAL_RESNET, {}, None, (2, 3, 32, 32)),
    ("general_block1", GENERAL_BLOCK, {}, None, (2, 3, 32, 32)),
    ("general_block2", GENERAL_BLOCK, {"apply_batch_norm": True}, None, (2, 3, 32, 32)),
    ("general_block3", GENERAL_BLOCK, {"apply_batch_norm": True}, (2, 7, 32, 32), (2, 5, 32, 32)),
    (
        "general_block4",
        GENERAL_BLOCK,
        {"apply_batch_norm": True},
        (2, 20, 32, 32),
        (2, 20, 32, 32),
    ),
    ("plate_reduction", PLATE_REDUCTION_FLATTEN, {}, None, (2, 3)),
]


@pytest.mark.parametrize(
    ("variant", "settings", "input_shape", "output_shape"),
    [row[1:] for row in SHAPE_TABLE],
    ids=[row[0] for row in SHAPE_TABLE],
)
def test_model_search_shape_table(
    variant: BlockVariant,
    settings: dict[str, object],
    input_shape: tuple[int, ...] | None,
    output_shape: tuple[int, ...],
) -> None:
    batch, *shape = input_shape or (2, 3, 32, 32)
    _, output, y = _run(variant(**settings), TensorSpec.image(*shape), batch)
    assert tuple(y.shape) == output_shape
    assert output.shape == output_shape[1:]


@pytest.mark.parametrize(
    ("variant", "shape", "expected"),
    [
        (DOWNSAMPLE_CONVOLUTION_4X4, (3, 7, 5), (6, 4, 3)),
        (DOWNSAMPLE_CONVOLUTION_5X5, (2, 1, 1), (4, 1, 1)),
        (FIXED_CHANNEL_STRIDE_96_2, (3, 7, 7), (96, 4, 4)),
        (CONVOLUTION_1X7, (3, 2, 9), (3, 2, 9)),
        (AVERAGE_POOL_4X4, (3, 5, 6), (3, 2, 2)),
        (MAX_POOLING_3X3, (3, 7, 8), (3, 3, 3)),
        (MAX_POOLING_5X5, (2, 1, 5), (2, 1, 1)),  # Only the width decides, as in the original.
        (DOWNSAMPLE_FLATTEN, (8, 12, 12), (128,)),
        (DOWNSAMPLE_FLATTEN, (3, 5, 9), (24 * 1 * 2,)),
        (DOWNSAMPLE_FLATTEN, (200, 8, 8), (400 * 4 * 4,)),  # Stops above 300 channels.
        (DOWNSAMPLE_FLATTEN, (301, 4, 4), (301 * 4 * 4,)),
        (FLATTEN, (3, 4, 5), (60,)),
        (PLATE_REDUCTION_FLATTEN, (7, 3, 3), (7,)),
    ],
)
def test_odd_sizes_follow_tensorflow_same(
    variant: BlockVariant, shape: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    _, output, y = _run(variant(), TensorSpec.image(*shape))
    assert output.shape == expected
    assert tuple(y.shape[1:]) == expected


@pytest.mark.parametrize("name", ALL)
def test_declared_output_matches_the_module(name: str) -> None:
    torch.manual_seed(0)
    block = VARIANTS[name]()
    specs = [TensorSpec.image(8, 12, 12), TensorSpec.image(3, 7, 5), TensorSpec.image(6, 1, 1)]
    for spec in [*specs, TensorSpec.flat(5)]:
        if block.accepts(spec):
            _, output, y = _run(block, spec)
            assert tuple(y.shape[1:]) == output.shape, f"{name} on {spec}"
            assert output.kind is (InputKind.FLAT if block.is_flatten else InputKind.IMAGE)


@pytest.mark.parametrize(
    ("variant", "spec"),
    [
        (AVERAGE_POOL_2X2, TensorSpec.image(3, 8, 1)),
        (AVERAGE_POOL_4X4, TensorSpec.image(3, 8, 3)),
        (MAX_POOLING_3X3, TensorSpec.image(3, 8, 2)),
        (MAX_POOLING_5X5, TensorSpec.image(3, 8, 4)),
        (GENERAL_BLOCK, TensorSpec.image(5, 8, 8)),
        (FLATTEN, TensorSpec.flat(7)),
        (PLATE_REDUCTION_FLATTEN, TensorSpec.flat(7)),
    ],
)
def test_no_op_cases_return_identity(variant: BlockVariant, spec: TensorSpec) -> None:
    module, output = variant().build(spec)
    assert isinstance(module, nn.Identity)
    assert output == spec


# --------------------------------------------------------------------------- 'SAME' maths


def _ones_conv(kernel: int, stride: int = 1) -> SameConv2d:
    conv = SameConv2d(1, 1, kernel, stride=stride)
    nn.init.ones_(conv.weight)
    return conv


@pytest.mark.parametrize(
    ("kernel", "stride", "size", "counts"),
    [
        (4, 1, 5, [3, 4, 4, 3, 2]),  # Pads 1 before and 2 after: the odd cell goes last.
        (3, 2, 6, [3, 3, 2]),  # Pads 0 before and 1 after.
        (3, 2, 5, [2, 3, 2]),  # Pads 1 on both sides.
    ],
)
def test_conv_pads_like_tensorflow(kernel: int, stride: int, size: int, counts: list[int]) -> None:
    # A kernel of ones over an input of ones counts the real cells under each window.
    y = _ones_conv(kernel, stride)(torch.ones(1, 1, size, size))
    expected = torch.outer(torch.tensor(counts), torch.tensor(counts)).float()
    assert torch.equal(y[0, 0].detach(), expected)


def test_average_pool_leaves_padding_out() -> None:
    x = torch.arange(9.0).view(1, 1, 3, 3)
    assert torch.equal(SameAvgPool2d(2)(x), torch.tensor([[[[2.0, 3.5], [6.5, 8.0]]]]))
    module, _ = AVERAGE_POOL_4X4().build(TensorSpec.image(1, 1, 5))  # Pads 1 before, 2 after.
    assert torch.equal(module(torch.arange(5.0).view(1, 1, 1, 5)), torch.tensor([[[[1.0, 3.5]]]]))


def test_max_pool_never_picks_padding() -> None:
    module, _ = MAX_POOLING_2X2().build(TensorSpec.image(1, 3, 3))
    x = -torch.arange(1.0, 10.0).view(1, 1, 3, 3)
    assert torch.equal(module(x), torch.tensor([[[[-1.0, -3.0], [-7.0, -9.0]]]]))


# --------------------------------------------------------------------------- behaviour


def test_resnet_adds_the_input_before_the_last_relu() -> None:
    unit, _ = RESNET_3X3().build(TensorSpec.image(4, 6, 6))
    x = torch.randn(2, 4, 6, 6)
    expected = torch.relu(unit.conv2(torch.relu(unit.conv1(x))) + x)
    assert torch.allclose(unit(x), expected)


def test_dual_resnet_halves_both_branches() -> None:
    unit, _ = DUAL_RESNET().build(TensorSpec.image(4, 6, 6))
    x = torch.randn(2, 4, 6, 6)
    expected = torch.relu(x + unit.branch1(x) / 2 + unit.branch2(x) / 2)
    assert torch.allclose(unit(x), expected)


def test_general_block_ends_with_the_activated_reduction() -> None:
    unit, output = GENERAL_BLOCK().build(TensorSpec.image(12, 5, 5))
    x = torch.randn(2, 12, 5, 5)
    assert output.channels == 10
    assert torch.allclose(unit(x)[:, 8:], torch.relu(unit.reduce(x)))


def test_kernel_sizes_are_height_by_width() -> None:
    module, _ = CONVOLUTION_1X7().build(TensorSpec.image(3, 9, 9))
    assert module.conv.weight.shape == (3, 3, 1, 7)


@pytest.mark.parametrize(
    ("variant", "settings", "shape", "count"),
    [
        (FIXED_CHANNEL_CONVOLUTION_64, {}, (3, 8, 8), 3 * 3 * 3 * 64 + 64),
        (CONVOLUTION_1X7, {}, (3, 8, 8), 7 * 3 * 3 + 3),
        (INCREASE_CHANNELS_4X4, {}, (3, 8, 8), 16 * 3 * 6 + 6),
        (DOWNSAMPLE_CONVOLUTION_5X5, {}, (3, 8, 8), 25 * 3 * 6 + 6),
        (DILATED_CONVOLUTION_4, {}, (3, 8, 8), 9 * 3 * 3 + 3),
        (RESNET_3X3, {}, (3, 8, 8), 2 * (9 * 3 * 3 + 3)),
        (RESNET_3X3, {"apply_batch_norm": True}, (3, 8, 8), 2 * (9 * 3 * 3 + 3) + 2 * 2 * 3),
        (DUAL_RESNET, {}, (3, 8, 8), 4 * (9 * 3 * 3 + 3)),
        (GENERAL_BLOCK, {}, (20, 8, 8), (20 * 4 + 4) + 6 * (9 * 4 * 4 + 4)),
        (GENERAL_BLOCK, {"apply_batch_norm": True}, (20, 8, 8), 972 + 2 * 4),
        (DOWNSAMPLE_FLATTEN, {}, (3, 32, 32), 78 + 300 + 1176 + 4656 + 18528),
        (MAX_POOLING_3X3, {}, (3, 8, 8), 0),
        (PLATE_REDUCTION_FLATTEN, {}, (3, 8, 8), 0),
    ],
)
def test_parameter_counts_match_keras(
    variant: BlockVariant, settings: dict[str, object], shape: tuple[int, ...], count: int
) -> None:
    module, _ = variant(**settings).build(TensorSpec.image(*shape))
    assert sum(p.numel() for p in module.parameters()) == count


def test_initial_values_and_batch_norm_follow_keras() -> None:
    module, _ = RESNET_3X3(apply_batch_norm=True).build(TensorSpec.image(4, 6, 6))
    limit = math.sqrt(6 / (9 * 4 + 9 * 4))  # Glorot uniform.
    assert module.conv1.weight.abs().max() <= limit
    assert torch.equal(module.conv1.bias, torch.zeros(4))
    assert (module.bn1.eps, module.bn1.momentum) == (1e-3, 0.01)


@pytest.mark.parametrize("name", ALL)
def test_registered_blocks_have_batch_norm_as_named_and_named_layers(name: str) -> None:
    # Model Search registers every conv block without batch norm (docs/model_search.md,
    # "Blocks"); only the _BN additions have it.
    module, _ = VARIANTS[name]().build(TensorSpec.image(10, 8, 8))
    has_bn = any(isinstance(m, nn.BatchNorm2d) for m in module.modules())
    assert has_bn is (name in BN_1D_NAMES)
    for parameter_name, _ in module.named_parameters():
        assert not any(part.isdigit() for part in parameter_name.split(".")), parameter_name


@pytest.mark.parametrize(
    ("variant", "names"),
    [
        (CONVOLUTION_3X3, {"conv"}),
        (RESNET_3X3, {"conv1", "conv2"}),
        (DUAL_RESNET, {"branch1.conv1", "branch1.conv2", "branch2.conv1", "branch2.conv2"}),
        (
            GENERAL_BLOCK,
            {"reduce", "avg_conv", "max_conv"}
            | {f"branch{b}.conv{c}" for b in (1, 2) for c in (1, 2)},
        ),
        (DOWNSAMPLE_FLATTEN, {"conv1", "conv2", "conv3"}),
    ],
)
def test_parameter_names_read_well(variant: BlockVariant, names: set[str]) -> None:
    module, _ = variant().build(TensorSpec.image(10, 8, 8))
    expected = {f"{n}.{p}" for n in names for p in ("weight", "bias")}
    assert {name for name, _ in module.named_parameters()} == expected


@pytest.mark.parametrize("name", ALL)
def test_forward_and_backward_reach_the_input(name: str) -> None:
    torch.manual_seed(0)
    block = VARIANTS[name]()
    module, _ = block.build(TensorSpec.image(8, 12, 12))
    x = torch.randn(3, 8, 12, 12, requires_grad=True)
    module(x).pow(2).mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in module.parameters()), name


# --------------------------------------------------------------------------- errors, settings


@pytest.mark.parametrize(
    ("variant", "spec"),
    [
        (CONVOLUTION_3X3, TensorSpec.flat(8)),
        (GENERAL_BLOCK, TensorSpec.sequence(8, 4)),
        (DOWNSAMPLE_FLATTEN, TensorSpec.flat(8)),
        (FLATTEN, TensorSpec.sequence(8, 4)),
    ],
)
def test_unaccepted_inputs_raise(variant: BlockVariant, spec: TensorSpec) -> None:
    block = variant()
    assert not block.accepts(spec)
    with pytest.raises(ConfigError, match="takes"):
        block.build(spec)


def test_bad_settings_raise() -> None:
    spec = TensorSpec.image(3, 8, 8)
    with pytest.raises(ConfigError, match="hyperparameter"):
        CONVOLUTION_3X3().build(spec, {"units": 3})
    with pytest.raises(ConfigError, match="kernel_size"):
        CONVOLUTION_3X3(kernel_size=0)
    with pytest.raises(ConfigError, match="kernel_size"):
        AVERAGE_POOL_2X2(kernel_size=(2, 2))
    with pytest.raises(ConfigError, match="never stops"):  # The original loops forever.
        DOWNSAMPLE_FLATTEN(strides=1, max_channels=8).build(spec)


def test_blocks_are_plain_reusable_settings() -> None:
    block = DOWNSAMPLE_FLATTEN(max_channels=50)
    settings = dict(vars(block))
    first, _ = block.build(TensorSpec.image(3, 8, 8))
    second, _ = block.build(TensorSpec.image(3, 8, 8))
    assert vars(block) == settings
    assert first.conv1.weight is not second.conv1.weight
    copy = pickle.loads(pickle.dumps(block))
    assert (
        repr(copy)
        == repr(block)
        == "DownsampleFlatten(kernel_size=2, max_channels=50, strides=(2, 2))"
    )


# --------------------------------------------------------------------------- torchsearch's own

STRIP = (1, 40)  # mnist1d's signals: one pixel high, 40 wide.


@pytest.mark.parametrize(
    ("name", "channels", "kernel", "output", "count"),
    [
        # Conv weight (out * in * 1 * K) + conv bias (out) + batch-norm scale and shift
        # (2 * out); the running mean and variance are buffers, not parameters.
        ("FIXED_CHANNEL_CONVOLUTION_1X5_8_BN", 1, (1, 5), (8, 1, 40), 8 * 5 + 8 + 2 * 8),
        ("FIXED_CHANNEL_CONVOLUTION_1X5_16_BN", 1, (1, 5), (16, 1, 40), 16 * 5 + 16 + 2 * 16),
        ("FIXED_CHANNEL_CONVOLUTION_1X5_32_BN", 1, (1, 5), (32, 1, 40), 32 * 5 + 32 + 2 * 32),
        ("FIXED_CHANNEL_CONVOLUTION_1X5_64_BN", 3, (1, 5), (64, 1, 40), 64 * 15 + 64 + 2 * 64),
        ("CONVOLUTION_1X3_BN", 12, (1, 3), (12, 1, 40), 12 * 12 * 3 + 12 + 2 * 12),
        ("CONVOLUTION_1X5_BN", 32, (1, 5), (32, 1, 40), 32 * 32 * 5 + 32 + 2 * 32),
        ("CONVOLUTION_1X7_BN", 8, (1, 7), (8, 1, 40), 8 * 8 * 7 + 8 + 2 * 8),
        ("DILATED_CONVOLUTION_1X3_2_BN", 16, (1, 3), (16, 1, 40), 16 * 16 * 3 + 16 + 2 * 16),
        ("DILATED_CONVOLUTION_1X3_4_BN", 16, (1, 3), (16, 1, 40), 16 * 16 * 3 + 16 + 2 * 16),
        ("DOWNSAMPLE_CONVOLUTION_1X3_BN", 16, (1, 3), (32, 1, 20), 16 * 32 * 3 + 32 + 2 * 32),
    ],
)
def test_1d_blocks_on_a_strip_have_1xk_kernels_and_exact_counts(
    name: str, channels: int, kernel: tuple[int, int], output: tuple[int, ...], count: int
) -> None:
    module, spec = VARIANTS[name]().build(TensorSpec.image(channels, *STRIP))
    assert module.conv.weight.shape == (output[0], channels, *kernel)
    assert spec.shape == output
    assert tuple(module(torch.randn(2, channels, *STRIP)).shape[1:]) == output
    assert sum(p.numel() for p in module.parameters()) == count


@pytest.mark.parametrize(
    ("name", "stride", "dilation"),
    [
        ("CONVOLUTION_1X5_BN", (1, 1), (1, 1)),
        ("DILATED_CONVOLUTION_1X3_2_BN", (1, 1), (1, 2)),
        ("DILATED_CONVOLUTION_1X3_4_BN", (1, 1), (1, 4)),
        ("DOWNSAMPLE_CONVOLUTION_1X3_BN", (1, 2), (1, 1)),
    ],
)
def test_1d_blocks_stride_and_dilate_along_the_width_only(
    name: str, stride: tuple[int, int], dilation: tuple[int, int]
) -> None:
    module, _ = VARIANTS[name]().build(TensorSpec.image(4, *STRIP))
    assert (tuple(module.conv.stride), tuple(module.conv.dilation)) == (stride, dilation)


@pytest.mark.parametrize("name", sorted(BN_1D_NAMES))
def test_1d_blocks_apply_batch_norm(name: str) -> None:
    torch.manual_seed(0)
    module, _ = VARIANTS[name]().build(TensorSpec.image(4, *STRIP))
    assert isinstance(module.bn, nn.BatchNorm2d)
    assert (module.bn.eps, module.bn.momentum) == (1e-3, 0.01)  # Keras's settings.
    x = torch.randn(8, 4, *STRIP)
    y = module.train()(x)
    assert torch.allclose(y, torch.relu(module.bn(module.conv(x))))
    # Training-mode batch norm undoes the conv's scale and bias: a 100x input gives the
    # same output, which no block without batch norm does.
    assert torch.allclose(module(100 * x), y, rtol=1e-2, atol=1e-3)
    assert int(module.bn.num_batches_tracked) == 3
