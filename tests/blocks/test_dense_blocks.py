"""Model Search's dense blocks: the original's widths, residual types, skips and gradients.

The shape table is that of Model Search's block_test.py with NHWC turned into NCHW; the
width rules and residual semantics are the original's; parameter counts are Keras's for
the same layers.
"""

from __future__ import annotations

import math
import pickle
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from torchsearch._errors import ConfigError
from torchsearch.blocks import _dense
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import TensorSpec
from torchsearch.blocks._dense import BOTTLENECK_32
from torchsearch.blocks._dense import BOTTLENECK_32_SKIP
from torchsearch.blocks._dense import BOTTLENECK_64
from torchsearch.blocks._dense import FIXED_OUTPUT_FULLY_CONNECTED_64
from torchsearch.blocks._dense import FIXED_OUTPUT_FULLY_CONNECTED_1024
from torchsearch.blocks._dense import FULLY_CONNECTED
from torchsearch.blocks._dense import FULLY_CONNECTED_PYRAMID
from torchsearch.blocks._dense import FULLY_CONNECTED_RESIDUAL_CONCAT
from torchsearch.blocks._dense import FULLY_CONNECTED_RESIDUAL_CONCAT_BATCHNORM
from torchsearch.blocks._dense import FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES
from torchsearch.blocks._dense import FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES_BATCHNORM
from torchsearch.blocks._dense import FULLY_CONNECTED_RESIDUAL_PROJECT
from torchsearch.blocks._dense import FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM
from torchsearch.blocks._dense import IDENTITY
from torchsearch.blocks._dense import LOWRANK_1
from torchsearch.blocks._dense import LOWRANK_2
from torchsearch.blocks._dense import LOWRANK_2_SKIP
from torchsearch.blocks._dense import LOWRANK_3_SKIP
from torchsearch.blocks._dense import Bottleneck
from torchsearch.blocks._dense import FixedOutputFullyConnected
from torchsearch.blocks._dense import FullyConnected
from torchsearch.blocks._dense import FullyConnectedPyramid
from torchsearch.blocks._dense import Identity
from torchsearch.blocks._dense import LowRank
from torchsearch.blocks._dense import ResidualConnectionType

DENSE_NAMES = {
    "FULLY_CONNECTED", "FULLY_CONNECTED_PYRAMID",
    "FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES",
    "FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES_BATCHNORM",
    "FULLY_CONNECTED_RESIDUAL_CONCAT", "FULLY_CONNECTED_RESIDUAL_CONCAT_BATCHNORM",
    "FULLY_CONNECTED_RESIDUAL_PROJECT", "FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM",
    "FIXED_OUTPUT_FULLY_CONNECTED_64", "FIXED_OUTPUT_FULLY_CONNECTED_128",
    "FIXED_OUTPUT_FULLY_CONNECTED_256", "FIXED_OUTPUT_FULLY_CONNECTED_512",
    "FIXED_OUTPUT_FULLY_CONNECTED_1024",
    "LOWRANK_1", "LOWRANK_2", "LOWRANK_3", "LOWRANK_1_SKIP", "LOWRANK_2_SKIP", "LOWRANK_3_SKIP",
    "BOTTLENECK_32", "BOTTLENECK_64", "BOTTLENECK_32_SKIP", "BOTTLENECK_64_SKIP",
    "IDENTITY",
}  # fmt: skip
VARIANTS = {k: v for k, v in vars(_dense).items() if isinstance(v, BlockVariant)}
ALL = sorted(VARIANTS)
FORCE = ResidualConnectionType.FORCE_MATCH_SHAPES
SPECS = [TensorSpec.flat(12), TensorSpec.image(2, 3, 4), TensorSpec.sequence(5, 7)]


def _input(spec: TensorSpec, batch: int = 3, steps: int = 7) -> torch.Tensor:
    return torch.randn(batch, *(steps if d is None else d for d in spec.shape))


# --------------------------------------------------------------------------- the catalogue


def test_lookup_names_are_model_searchs() -> None:
    assert set(VARIANTS) == DENSE_NAMES


def test_all_lists_classes_only() -> None:
    exported = [getattr(_dense, name) for name in _dense.__all__]
    assert all(isinstance(value, type) for value in exported)
    assert {v.block_class for v in VARIANTS.values()} <= set(exported)


def _expected_settings(name: str) -> tuple[type, dict[str, object]]:
    """The original's registration of ``name``, read off the name."""
    if name == "IDENTITY":
        return Identity, {}
    if name == "FULLY_CONNECTED_PYRAMID":
        return FullyConnectedPyramid, {}
    if match := re.fullmatch(r"FIXED_OUTPUT_FULLY_CONNECTED_(\d+)", name):
        return FixedOutputFullyConnected, {"output_size": int(match[1])}
    if match := re.fullmatch(r"LOWRANK_(\d)(_SKIP)?", name):
        return LowRank, {"kernel_rank": int(match[1]), "skip_connect": bool(match[2])}
    if match := re.fullmatch(r"BOTTLENECK_(\d+)(_SKIP)?", name):
        return Bottleneck, {"projection_size": int(match[1]), "skip_connect": bool(match[2])}
    match = re.fullmatch(r"FULLY_CONNECTED(?:_RESIDUAL_(\w+?))?(_BATCHNORM)?", name)
    assert match, name
    residual = ResidualConnectionType[match[1]] if match[1] else ResidualConnectionType.NONE
    return FullyConnected, {
        "max_output_size": 100,
        "max_number_of_parameters": None,
        "apply_batch_norm": bool(match[2]),
        "residual_connection_type": residual,
    }


@pytest.mark.parametrize("name", ALL)
def test_registered_settings_match_model_search(name: str) -> None:
    block = VARIANTS[name]()
    block_class, settings = _expected_settings(name)
    assert type(block) is block_class
    assert {k: getattr(block, k) for k in settings} == settings


@pytest.mark.parametrize("name", ALL)
def test_flags_match_model_search(name: str) -> None:
    block = VARIANTS[name]()
    assert block.is_input_order_important is False
    assert block.is_flatten is False
    assert block.uses_lengths is False
    assert not block.hyperparameters()
    assert block.input_kinds == {InputKind.FLAT, InputKind.IMAGE, InputKind.SEQUENCE}


# --------------------------------------------------------------------------- shapes


# block_test.py's rows for these blocks; input (2, 3, 32, 32) (3072 once flattened) unless
# given; a 2-D input shape is a flat spec.
SHAPE_TABLE = [
    ("dense_block", FullyConnected(4000, 1000000000), None, (2, 3072)),
    ("fixed_dense_block", FixedOutputFullyConnected(100), None, (2, 100)),
    ("low_rank", LowRank(kernel_rank=2), (2, 100), (2, 100)),
    ("low_rank_2", LowRank(kernel_rank=1), (2, 100), (2, 100)),
    ("low_rank_skip", LowRank(kernel_rank=2, skip_connect=True), (2, 100), (2, 100)),
    ("dense_block_parameter_restricted", FullyConnected(4000, 6553600), None, (2, 2133)),
    ("dense_block_restricted_output", FullyConnected(1024), None, (2, 1024)),
    ("dense_block_with_batch_norm", FullyConnected(4000, 10**9, True), None, (2, 3072)),
    ("force_match_input_larger", FullyConnected(100, 10**9, False, FORCE), (2, 1000), (2, 100)),
    ("force_match_input_smaller", FullyConnected(100, 10**9, False, FORCE), (2, 1), (2, 2)),
    ("residual_concat", FullyConnected(4000, 10**9, False, "concat"), (2, 1000), (2, 2000)),
    ("residual_project", FullyConnected(40, 10**9, False, "project"), (2, 1000), (2, 40)),
    ("residual_project_bn", FullyConnected(4000, 10**9, True, "project"), None, (2, 3072)),
    ("Identity", Identity(), (2, 4, 3, 3), (2, 4, 3, 3)),
    ("Bottleneck", Bottleneck(), (2, 3), (2, 3)),
    ("Bottleneck_skip", Bottleneck(skip_connect=True), (2, 3), (2, 3)),
]


@pytest.mark.parametrize(
    ("block", "input_shape", "output_shape"),
    [row[1:] for row in SHAPE_TABLE],
    ids=[row[0] for row in SHAPE_TABLE],
)
def test_model_search_shape_table(
    block: object, input_shape: tuple[int, ...] | None, output_shape: tuple[int, ...]
) -> None:
    batch, *shape = input_shape or (2, 3, 32, 32)
    spec = TensorSpec.flat(*shape) if len(shape) == 1 else TensorSpec.image(*shape)
    module, output = block.build(spec)  # type: ignore[attr-defined]
    y = module(torch.randn(batch, *shape))
    assert tuple(y.shape) == output_shape
    assert output.shape == output_shape[1:]


@pytest.mark.parametrize(
    ("max_output_size", "max_number_of_parameters", "in_features", "width"),
    [
        (4000, 6553600, 3072, 2133),  # 6553600 // 3072.
        (100, None, 3072, 100),
        (100, None, 7, 7),
        (100, None, 1, 2),  # Never below 2.
        (100, 10, 100, 2),  # A cap of 0 still gives 2.
    ],
)
def test_fully_connected_width_rule(
    max_output_size: int, max_number_of_parameters: int | None, in_features: int, width: int
) -> None:
    block = FullyConnected(max_output_size, max_number_of_parameters)
    assert block.output_width(in_features) == width
    module, output = block.build(TensorSpec.flat(in_features))
    assert output.shape == (width,) and module.linear.out_features == width


@pytest.mark.parametrize(
    ("settings", "in_features", "width"),
    [({}, 100, 50), ({}, 3, 2), ({}, 1000, 100), ({"max_number_of_parameters": 1000}, 100, 10)],
)
def test_pyramid_width_rule(settings: dict[str, int], in_features: int, width: int) -> None:
    _, output = FullyConnectedPyramid(**settings).build(TensorSpec.flat(in_features))
    assert output.shape == (width,)


@pytest.mark.parametrize("name", ALL)
def test_declared_output_matches_the_module(name: str) -> None:
    torch.manual_seed(0)
    block = VARIANTS[name]()
    for spec in [*SPECS, TensorSpec.sequence(5)]:
        module, output = block.build(spec)
        y = module(_input(spec))
        expected_kind = spec.kind if name == "IDENTITY" else InputKind.FLAT
        if spec.kind is InputKind.SEQUENCE:
            expected_kind = InputKind.SEQUENCE
            assert output.steps == spec.steps
        assert output.kind is expected_kind, f"{name} on {spec}"
        assert tuple(y.shape[1:]) == tuple(7 if d is None else d for d in output.shape)


# --------------------------------------------------------------------------- residuals


def _fc(variant: BlockVariant, in_features: int, **settings: object) -> nn.Module:
    module, _ = variant(**settings).build(TensorSpec.flat(in_features))
    return module.eval()


def test_force_match_cuts_a_wider_input() -> None:
    module = _fc(FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES, 10, max_output_size=4)
    x = torch.randn(3, 10)
    assert torch.allclose(module(x), F.relu(module.linear(x)) + x[:, :4])


def test_force_match_zero_pads_a_narrower_input() -> None:
    module = _fc(FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES, 1)
    x = torch.randn(3, 1)
    h = F.relu(module.linear(x))
    assert torch.allclose(module(x), h + torch.cat([x, torch.zeros(3, 1)], dim=1))


def test_force_match_adds_an_input_of_equal_width() -> None:
    module = _fc(FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES, 6)
    x = torch.randn(3, 6)
    assert torch.allclose(module(x), F.relu(module.linear(x)) + x)


def test_concat_puts_the_input_first() -> None:
    module = _fc(FULLY_CONNECTED_RESIDUAL_CONCAT, 6)
    x = torch.randn(3, 6)
    y = module(x)
    assert y.shape == (3, 12)
    assert torch.equal(y[:, :6], x)
    assert torch.allclose(y[:, 6:], F.relu(module.linear(x)))


def test_project_projects_only_when_widths_differ() -> None:
    module = _fc(FULLY_CONNECTED_RESIDUAL_PROJECT, 200)
    x = torch.randn(3, 200)
    assert module.projection.in_features == 200 and module.projection.out_features == 100
    assert torch.allclose(module(x), module.projection(x) + F.relu(module.linear(x)))
    same = _fc(FULLY_CONNECTED_RESIDUAL_PROJECT, 8)
    x = torch.randn(3, 8)
    assert same.projection is None
    assert torch.allclose(same(x), x + F.relu(same.linear(x)))


@pytest.mark.parametrize(
    "variant",
    [
        FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES_BATCHNORM,
        FULLY_CONNECTED_RESIDUAL_CONCAT_BATCHNORM,
        FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM,
    ],
)
def test_batch_norm_follows_the_relu_and_keras_settings(variant: BlockVariant) -> None:
    module = _fc(variant, 6)
    assert isinstance(module.bn, nn.BatchNorm1d)
    assert (module.bn.eps, module.bn.momentum) == (1e-3, 0.01)
    x = torch.randn(3, 6)
    h = F.relu(module.linear(x)) / math.sqrt(1 + 1e-3)  # Fresh running stats: 0 and 1.
    expected = (
        torch.cat([x, h], 1) if variant is FULLY_CONNECTED_RESIDUAL_CONCAT_BATCHNORM else x + h
    )
    assert torch.allclose(module(x), expected, atol=1e-6)


def test_batch_norm_on_sequences_normalises_over_batch_and_steps() -> None:
    module, _ = FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES_BATCHNORM().build(
        TensorSpec.sequence(6)
    )
    x = torch.randn(4, 9, 6)
    normalised = module(x) - x  # Training mode: batch statistics.
    assert torch.allclose(normalised.mean(dim=(0, 1)), torch.zeros(6), atol=1e-5)


@pytest.mark.parametrize("name", sorted(n for n in ALL if "BATCHNORM" not in n))
def test_batch_norm_only_where_the_original_applies_it(name: str) -> None:
    module, _ = VARIANTS[name]().build(TensorSpec.flat(6))
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


# --------------------------------------------------------------------------- low rank, bottleneck


@pytest.mark.parametrize(
    ("variant", "rank"), [(LOWRANK_1, 1), (LOWRANK_2, 2), (LOWRANK_3_SKIP, 3)]
)
def test_low_rank_kernel_has_the_rank(variant: BlockVariant, rank: int) -> None:
    module, _ = variant().build(TensorSpec.flat(20))
    assert module.left.bias is None and module.right.bias is not None
    kernel = module.right.weight @ module.left.weight
    assert kernel.shape == (20, 20)
    assert torch.linalg.matrix_rank(kernel.detach()) == rank


@pytest.mark.parametrize(("variant", "skip"), [(LOWRANK_2, False), (LOWRANK_2_SKIP, True)])
def test_low_rank_skip_adds_the_input(variant: BlockVariant, skip: bool) -> None:
    module, _ = variant().build(TensorSpec.flat(20))
    x = torch.randn(3, 20)
    h = F.relu(module.right(module.left(x)))
    assert torch.allclose(module(x), h + x if skip else h)


@pytest.mark.parametrize(("variant", "skip"), [(BOTTLENECK_32, False), (BOTTLENECK_32_SKIP, True)])
def test_bottleneck_skip_adds_the_input(variant: BlockVariant, skip: bool) -> None:
    module, _ = variant().build(TensorSpec.flat(10))
    assert module.lower_dim.out_features == 32 and module.expand_dim.out_features == 10
    x = torch.randn(3, 10)
    h = F.relu(module.expand_dim(F.relu(module.lower_dim(x))))
    assert torch.allclose(module(x), h + x if skip else h)


def test_skips_use_the_flattened_image() -> None:
    module, output = LOWRANK_3_SKIP().build(TensorSpec.image(2, 3, 4))
    x = torch.randn(3, 2, 3, 4)
    flat = x.flatten(1)
    assert output == TensorSpec.flat(24)
    assert torch.allclose(module(x), F.relu(module.right(module.left(flat))) + flat)


# --------------------------------------------------------------------------- input kinds


def test_images_are_flattened_first() -> None:
    module, output = FIXED_OUTPUT_FULLY_CONNECTED_64().build(TensorSpec.image(2, 3, 4))
    x = torch.randn(3, 2, 3, 4)
    assert output == TensorSpec.flat(64) and module.linear.in_features == 24
    assert torch.allclose(module(x), F.relu(module.linear(x.flatten(1))))


@pytest.mark.parametrize(
    "variant", [FULLY_CONNECTED, FULLY_CONNECTED_RESIDUAL_CONCAT, LOWRANK_2_SKIP, BOTTLENECK_64]
)
def test_sequences_are_processed_step_by_step(variant: BlockVariant) -> None:
    # The deliberate deviation of _DenseBlock: T is kept and each step is independent.
    module, output = variant().build(TensorSpec.sequence(6))
    x = torch.randn(2, 5, 6)
    y = module(x)
    assert output.steps is None and y.shape[:2] == (2, 5)
    for t in range(5):
        assert torch.allclose(y[:, t], module(x[:, t]), atol=1e-6)


@pytest.mark.parametrize("spec", [*SPECS, TensorSpec.sequence(5)], ids=str)
def test_identity_takes_every_kind_unchanged(spec: TensorSpec) -> None:
    block = IDENTITY()
    assert block.accepts(spec)
    module, output = block.build(spec)
    x = _input(spec)
    assert output == spec and module(x) is x


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("variant", "in_features", "count"),
    [
        (FULLY_CONNECTED, 10, 10 * 10 + 10),
        (FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES_BATCHNORM, 10, 110 + 2 * 10),
        (FULLY_CONNECTED_RESIDUAL_PROJECT, 200, 2 * (200 * 100 + 100)),
        (FULLY_CONNECTED_RESIDUAL_CONCAT, 300, 300 * 100 + 100),
        (FULLY_CONNECTED_PYRAMID, 10, 10 * 5 + 5),
        (FIXED_OUTPUT_FULLY_CONNECTED_1024, 3, 3 * 1024 + 1024),
        (LOWRANK_2, 100, 100 * 2 + 2 * 100 + 100),
        (BOTTLENECK_32, 3, 3 * 32 + 32 + 32 * 3 + 3),
        (IDENTITY, 3, 0),
    ],
)
def test_parameter_counts_match_keras(variant: BlockVariant, in_features: int, count: int) -> None:
    module, _ = variant().build(TensorSpec.flat(in_features))
    assert sum(p.numel() for p in module.parameters() if p.requires_grad) == count


def test_initial_values_follow_keras() -> None:
    module, _ = FULLY_CONNECTED_RESIDUAL_PROJECT().build(TensorSpec.flat(300))
    for layer in (module.linear, module.projection):
        limit = math.sqrt(6 / (layer.in_features + layer.out_features))  # Glorot uniform.
        assert layer.weight.abs().max() <= limit
        assert torch.equal(layer.bias, torch.zeros(layer.out_features))


@pytest.mark.parametrize(
    ("variant", "names"),
    [
        (FULLY_CONNECTED, {"linear.weight", "linear.bias"}),
        (
            FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM,
            {"linear.weight", "linear.bias", "bn.weight", "bn.bias"}
            | {"projection.weight", "projection.bias"},
        ),
        (LOWRANK_2_SKIP, {"left.weight", "right.weight", "right.bias"}),
        (
            BOTTLENECK_64,
            {f"{n}.{p}" for n in ("lower_dim", "expand_dim") for p in ("weight", "bias")},
        ),
    ],
)
def test_parameter_names_read_well(variant: BlockVariant, names: set[str]) -> None:
    module, _ = variant().build(TensorSpec.flat(300))
    assert {name for name, _ in module.named_parameters()} == names


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_forward_and_backward_reach_the_input(name: str, spec: TensorSpec) -> None:
    torch.manual_seed(0)
    module, _ = VARIANTS[name]().build(spec)
    x = _input(spec).requires_grad_()
    y = module(x)
    if name == "IDENTITY":
        assert y is x
        return
    y.pow(2).mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in module.parameters()), name


# --------------------------------------------------------------------------- errors, settings


def test_bad_settings_raise() -> None:
    with pytest.raises(ConfigError, match="max_output_size"):
        FullyConnected(max_output_size=0)
    with pytest.raises(ConfigError, match="residual_connection_type"):
        FullyConnected(residual_connection_type="sideways")
    with pytest.raises(ConfigError, match="kernel_rank"):
        LowRank(kernel_rank=0)
    with pytest.raises(ConfigError, match="output_size"):
        FixedOutputFullyConnected(output_size=2.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no unit"):
        FullyConnectedPyramid(max_number_of_parameters=10).build(TensorSpec.flat(100))
    with pytest.raises(ConfigError, match="hyperparameter"):
        FULLY_CONNECTED().build(TensorSpec.flat(4), {"units": 3})


def test_residual_type_accepts_its_value() -> None:
    assert FullyConnected(residual_connection_type="concat").residual_connection_type is (
        ResidualConnectionType.CONCAT
    )


def test_blocks_are_plain_reusable_settings() -> None:
    block = FULLY_CONNECTED_RESIDUAL_CONCAT(max_output_size=8)
    settings = dict(vars(block))
    first, _ = block.build(TensorSpec.flat(4))
    second, _ = block.build(TensorSpec.flat(4))
    assert vars(block) == settings
    assert first.linear.weight is not second.linear.weight
    copy = pickle.loads(pickle.dumps(block))
    assert repr(copy) == repr(block)
    assert "max_output_size=8" in repr(block)
