"""Model Search's dense (DNN) blocks in PyTorch: fully connected layers and their variants.

Ported from the original ``block.py`` (docs/model_search.md, "Blocks") so that a DNN
architecture in Model Search's vocabulary builds the same layers with the same widths
(``FULLY_CONNECTED`` keeps the input width within its caps, the residual variants
slice, pad, concatenate or project the input). As in the image blocks, layers start from
Keras's initial values (Glorot-uniform kernels, zero biases) and batch norm uses Keras's
settings, so a found architecture trains as it did.

The original flattens whatever it gets; here an image is flattened too, while a sequence
keeps its steps and each block is applied to every step (see :class:`_DenseBlock`).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn

from torchsearch._errors import ConfigError
from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import BuiltBlock
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import TensorSpec

__all__ = [
    "Bottleneck",
    "BottleneckLayer",
    "FixedOutputFullyConnected",
    "FullyConnected",
    "FullyConnectedLayer",
    "FullyConnectedPyramid",
    "Identity",
    "LowRank",
    "LowRankLayer",
    "ResidualConnectionType",
]

_BN_EPSILON = 1e-3  # Keras BatchNormalization's epsilon.
_BN_MOMENTUM = 0.01  # torch counts momentum the other way round: 1 - Keras's 0.99.


# --------------------------------------------------------------------------- helpers


def positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value``; raises :class:`ConfigError` unless it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return value


def check_build_input(block: Block, spec: TensorSpec, hparams: Mapping[str, Any] | None) -> None:
    """Raises :class:`ConfigError` unless ``block`` takes ``spec`` and ``hparams``."""
    if not block.accepts(spec):
        kinds = " or ".join(sorted(kind.value for kind in block.input_kinds))
        raise ConfigError(f"{type(block).__name__} takes {kinds} inputs, got {spec}.")
    block.resolve_hparams(hparams)  # Rejects names the block does not declare.


def keras_linear(in_features: int, out_features: int, bias: bool = True) -> nn.Linear:
    """An ``nn.Linear`` with Keras ``Dense``'s initial values: Glorot-uniform, zero bias."""
    linear = nn.Linear(in_features, out_features, bias=bias)
    nn.init.xavier_uniform_(linear.weight)
    if linear.bias is not None:
        nn.init.zeros_(linear.bias)
    return linear


def _batch_norm(features: int, enabled: bool) -> nn.BatchNorm1d | None:
    return nn.BatchNorm1d(features, eps=_BN_EPSILON, momentum=_BN_MOMENTUM) if enabled else None


def _apply_batch_norm(bn: nn.BatchNorm1d, x: Tensor) -> Tensor:
    """Normalises the last dimension of ``N, F`` or ``N, T, F`` (stats over N and T)."""
    return bn(x) if x.dim() == 2 else bn(x.transpose(1, 2)).transpose(1, 2)


class ResidualConnectionType(str, enum.Enum):
    """How :class:`FullyConnected` joins its input ``x`` and output ``f(x)``."""

    NONE = "none"
    """``f(x)``."""
    FORCE_MATCH_SHAPES = "force_match_shapes"
    """``x' + f(x)``, where ``x'`` is ``x`` cut or zero-padded to the width of ``f(x)``."""
    CONCAT = "concat"
    """``concat(x, f(x))``."""
    PROJECT = "project"
    """``P x + f(x)``, with a dense projection ``P`` only when the widths differ."""


# --------------------------------------------------------------------------- layers


class FullyConnectedLayer(nn.Module):
    """``linear`` → ReLU → optional ``bn`` → optional residual connection.

    Args:
        in_features: input width (after flattening an image).
        out_features: width of ``linear``.
        apply_batch_norm: batch norm after the ReLU, as the original orders them.
        residual_connection_type: how the input joins the output.
        flatten_input: flatten ``N, C, H, W`` inputs first.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        apply_batch_norm: bool = False,
        residual_connection_type: ResidualConnectionType = ResidualConnectionType.NONE,
        flatten_input: bool = False,
    ) -> None:
        super().__init__()
        self.flatten_input = flatten_input
        self.residual_connection_type = ResidualConnectionType(residual_connection_type)
        self.linear = keras_linear(in_features, out_features)
        self.bn = _batch_norm(out_features, apply_batch_norm)
        project = self.residual_connection_type is ResidualConnectionType.PROJECT
        self.projection = (
            keras_linear(in_features, out_features)
            if project and in_features != out_features
            else None
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1) if self.flatten_input else x
        h = F.relu(self.linear(x))
        h = h if self.bn is None else _apply_batch_norm(self.bn, h)
        return self._residual(x, h)

    def _residual(self, x: Tensor, h: Tensor) -> Tensor:
        kind = self.residual_connection_type
        if kind is ResidualConnectionType.NONE:
            return h
        if kind is ResidualConnectionType.CONCAT:
            return torch.cat((x, h), dim=-1)
        if kind is ResidualConnectionType.PROJECT:
            return (x if self.projection is None else self.projection(x)) + h
        # FORCE_MATCH_SHAPES: cut the input when wider, pad zeros on the right when narrower.
        width, out = x.shape[-1], h.shape[-1]
        return (x[..., :out] if width >= out else F.pad(x, (0, out - width))) + h


class LowRankLayer(nn.Module):
    """``left`` (rank ``r``, no bias) → ``right`` (back to the input width) → ReLU (+ input).

    Args:
        in_features: input and output width.
        kernel_rank: rank ``r`` of the product ``right.weight @ left.weight``.
        skip_connect: add the input to the output.
        flatten_input: flatten ``N, C, H, W`` inputs first.
    """

    def __init__(
        self, in_features: int, kernel_rank: int, skip_connect: bool, flatten_input: bool = False
    ) -> None:
        super().__init__()
        self.flatten_input = flatten_input
        self.skip_connect = skip_connect
        self.left = keras_linear(in_features, kernel_rank, bias=False)
        self.right = keras_linear(kernel_rank, in_features)

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1) if self.flatten_input else x
        h = F.relu(self.right(self.left(x)))
        return h + x if self.skip_connect else h


class BottleneckLayer(nn.Module):
    """``lower_dim`` → ReLU → ``expand_dim`` (back to the input width) → ReLU (+ input).

    Args:
        in_features: input and output width.
        projection_size: width of the bottleneck.
        skip_connect: add the input to the output.
        flatten_input: flatten ``N, C, H, W`` inputs first.
    """

    def __init__(
        self,
        in_features: int,
        projection_size: int,
        skip_connect: bool,
        flatten_input: bool = False,
    ) -> None:
        super().__init__()
        self.flatten_input = flatten_input
        self.skip_connect = skip_connect
        self.lower_dim = keras_linear(in_features, projection_size)
        self.expand_dim = keras_linear(projection_size, in_features)

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1) if self.flatten_input else x
        h = F.relu(self.expand_dim(F.relu(self.lower_dim(x))))
        return h + x if self.skip_connect else h


# --------------------------------------------------------------------------- blocks


class _DenseBlock(Block):
    """A dense block: order N, on flat vectors, flattened images or every step of a sequence.

    Deliberate deviation from the original, which flattens any input: a ``N, T, F``
    sequence is not flattened into ``N, T * F`` (torch sequences vary in length, so ``T``
    is no fixed width); the layer is applied to each step and ``T`` is kept. Dense blocks
    take no ``lengths``: padded steps are transformed like the others (and enter batch
    norm's statistics); blocks that read lengths downstream ignore them again.
    """

    input_kinds = frozenset({InputKind.FLAT, InputKind.IMAGE, InputKind.SEQUENCE})
    is_input_order_important = False

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the module for ``spec``; the output is flat, or a sequence for a sequence."""
        check_build_input(self, spec, hparams)
        sequence = spec.kind is InputKind.SEQUENCE
        in_features = spec.features if sequence else spec.numel
        module, out_features = self._build(in_features, spec.kind is InputKind.IMAGE)
        if sequence:
            return BuiltBlock(module, TensorSpec.sequence(out_features, spec.steps))
        return BuiltBlock(module, TensorSpec.flat(out_features))

    @abc.abstractmethod
    def _build(self, in_features: int, flatten_input: bool) -> tuple[nn.Module, int]:
        """The module and its output width for ``in_features`` inputs."""


class FullyConnected(_DenseBlock):
    """A dense layer about as wide as its input, the original ``FullyConnectedBlock``.

    The width is ``max(min(cap, in_features), 2)``, where ``cap`` is ``max_output_size``,
    lowered to ``max_number_of_parameters // in_features`` when that is set.
    Applied per step to a sequence (see :class:`_DenseBlock`).

    Args:
        max_output_size: the widest output.
        max_number_of_parameters: a cap on the number of kernel entries, or ``None``.
        apply_batch_norm: batch norm after the ReLU.
        residual_connection_type: a :class:`ResidualConnectionType` or its value.
    """

    def __init__(
        self,
        max_output_size: int = 100,
        max_number_of_parameters: int | None = None,
        apply_batch_norm: bool = False,
        residual_connection_type: ResidualConnectionType | str = ResidualConnectionType.NONE,
    ) -> None:
        positive_int(max_output_size, "max_output_size")
        if max_number_of_parameters is not None:
            positive_int(max_number_of_parameters, "max_number_of_parameters")
        try:
            residual = ResidualConnectionType(residual_connection_type)
        except ValueError:
            options = ", ".join(t.value for t in ResidualConnectionType)
            raise ConfigError(
                f"residual_connection_type must be one of {options}, "
                f"got {residual_connection_type!r}."
            ) from None
        self.max_output_size = max_output_size
        self.max_number_of_parameters = max_number_of_parameters
        self.apply_batch_norm = apply_batch_norm
        self.residual_connection_type = residual

    def output_width(self, in_features: int) -> int:
        """The width of the dense layer for ``in_features`` inputs (before any concat)."""
        cap = self.max_output_size
        if self.max_number_of_parameters:
            cap = min(cap, self.max_number_of_parameters // in_features)
        return max(min(cap, in_features), 2)

    def _build(self, in_features: int, flatten_input: bool) -> tuple[nn.Module, int]:
        width = self.output_width(in_features)
        layer = FullyConnectedLayer(
            in_features, width, self.apply_batch_norm, self.residual_connection_type, flatten_input
        )
        concat = self.residual_connection_type is ResidualConnectionType.CONCAT
        return layer, in_features + width if concat else width


class FullyConnectedPyramid(_DenseBlock):
    """A dense layer half as wide as its input, the original ``FullyConnectedPyramidBlock``.

    The width is ``min(cap, max(in_features // 2, 2))``, with ``cap`` as in
    :class:`FullyConnected`. Applied per step to a sequence (see :class:`_DenseBlock`).

    Args:
        max_output_size: the widest output.
        max_number_of_parameters: a cap on the number of kernel entries, or ``None``.
    """

    def __init__(
        self, max_output_size: int = 100, max_number_of_parameters: int | None = None
    ) -> None:
        positive_int(max_output_size, "max_output_size")
        if max_number_of_parameters is not None:
            positive_int(max_number_of_parameters, "max_number_of_parameters")
        self.max_output_size = max_output_size
        self.max_number_of_parameters = max_number_of_parameters

    def _build(self, in_features: int, flatten_input: bool) -> tuple[nn.Module, int]:
        cap = self.max_output_size
        if self.max_number_of_parameters:
            cap = min(cap, self.max_number_of_parameters // in_features)
        width = min(cap, max(in_features // 2, 2))
        if width < 1:  # The original would build a layer of zero units.
            raise ConfigError(
                f"FullyConnectedPyramid with max_number_of_parameters="
                f"{self.max_number_of_parameters} leaves no unit for {in_features} inputs."
            )
        return FullyConnectedLayer(in_features, width, flatten_input=flatten_input), width


class FixedOutputFullyConnected(_DenseBlock):
    """A dense layer of ``output_size`` units and ReLU (``FixedOutputFullyConnectedBlock``).

    Applied per step to a sequence (see :class:`_DenseBlock`).

    Args:
        output_size: the number of units.
    """

    def __init__(self, output_size: int = 100) -> None:
        self.output_size = positive_int(output_size, "output_size")

    def _build(self, in_features: int, flatten_input: bool) -> tuple[nn.Module, int]:
        layer = FullyConnectedLayer(in_features, self.output_size, flatten_input=flatten_input)
        return layer, self.output_size


class LowRank(_DenseBlock):
    """A dense layer whose kernel has rank ``kernel_rank`` (``LowRankLayerBlock``).

    The output keeps the input width (of the flattened input for an image). Applied per
    step to a sequence (see :class:`_DenseBlock`).

    Args:
        kernel_rank: the rank of the kernel.
        skip_connect: add the input to the output.
    """

    def __init__(self, kernel_rank: int = 1, skip_connect: bool = False) -> None:
        self.kernel_rank = positive_int(kernel_rank, "kernel_rank")
        self.skip_connect = skip_connect

    def _build(self, in_features: int, flatten_input: bool) -> tuple[nn.Module, int]:
        layer = LowRankLayer(in_features, self.kernel_rank, self.skip_connect, flatten_input)
        return layer, in_features


class Bottleneck(_DenseBlock):
    """Down to ``projection_size`` and back up, both with ReLU (``BottleNeckBlock``).

    The output keeps the input width (of the flattened input for an image). Applied per
    step to a sequence (see :class:`_DenseBlock`).

    Args:
        projection_size: width of the bottleneck.
        skip_connect: add the input to the output.
    """

    def __init__(self, projection_size: int = 32, skip_connect: bool = False) -> None:
        self.projection_size = positive_int(projection_size, "projection_size")
        self.skip_connect = skip_connect

    def _build(self, in_features: int, flatten_input: bool) -> tuple[nn.Module, int]:
        layer = BottleneckLayer(
            in_features, self.projection_size, self.skip_connect, flatten_input
        )
        return layer, in_features


class Identity(Block):
    """Passes its input through unchanged, whatever its kind (``IdentityBlock``).

    Model Search uses it as the "no block" choice of Bayesian-optimisation searches.
    """

    input_kinds = frozenset(InputKind)
    is_input_order_important = False

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """An ``nn.Identity`` whose output spec is ``spec``."""
        check_build_input(self, spec, hparams)
        return BuiltBlock(nn.Identity(), spec)


# --------------------------------------------------------------------------- lookup names
# The original's registrations.

_FORCE = ResidualConnectionType.FORCE_MATCH_SHAPES
_CONCAT = ResidualConnectionType.CONCAT
_PROJECT = ResidualConnectionType.PROJECT

FULLY_CONNECTED = BlockVariant(FullyConnected)
FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES = BlockVariant(
    FullyConnected, residual_connection_type=_FORCE
)
FULLY_CONNECTED_RESIDUAL_FORCE_MATCH_SHAPES_BATCHNORM = BlockVariant(
    FullyConnected, residual_connection_type=_FORCE, apply_batch_norm=True
)
FULLY_CONNECTED_RESIDUAL_CONCAT = BlockVariant(FullyConnected, residual_connection_type=_CONCAT)
FULLY_CONNECTED_RESIDUAL_CONCAT_BATCHNORM = BlockVariant(
    FullyConnected, residual_connection_type=_CONCAT, apply_batch_norm=True
)
FULLY_CONNECTED_RESIDUAL_PROJECT = BlockVariant(FullyConnected, residual_connection_type=_PROJECT)
FULLY_CONNECTED_RESIDUAL_PROJECT_BATCHNORM = BlockVariant(
    FullyConnected, residual_connection_type=_PROJECT, apply_batch_norm=True
)
FULLY_CONNECTED_PYRAMID = BlockVariant(FullyConnectedPyramid)
FIXED_OUTPUT_FULLY_CONNECTED_64 = BlockVariant(FixedOutputFullyConnected, output_size=64)
FIXED_OUTPUT_FULLY_CONNECTED_128 = BlockVariant(FixedOutputFullyConnected, output_size=128)
FIXED_OUTPUT_FULLY_CONNECTED_256 = BlockVariant(FixedOutputFullyConnected, output_size=256)
FIXED_OUTPUT_FULLY_CONNECTED_512 = BlockVariant(FixedOutputFullyConnected, output_size=512)
FIXED_OUTPUT_FULLY_CONNECTED_1024 = BlockVariant(FixedOutputFullyConnected, output_size=1024)
LOWRANK_1 = BlockVariant(LowRank, kernel_rank=1)
LOWRANK_2 = BlockVariant(LowRank, kernel_rank=2)
LOWRANK_3 = BlockVariant(LowRank, kernel_rank=3)
LOWRANK_1_SKIP = BlockVariant(LowRank, kernel_rank=1, skip_connect=True)
LOWRANK_2_SKIP = BlockVariant(LowRank, kernel_rank=2, skip_connect=True)
LOWRANK_3_SKIP = BlockVariant(LowRank, kernel_rank=3, skip_connect=True)
BOTTLENECK_32 = BlockVariant(Bottleneck, projection_size=32)
BOTTLENECK_64 = BlockVariant(Bottleneck, projection_size=64)
BOTTLENECK_32_SKIP = BlockVariant(Bottleneck, projection_size=32, skip_connect=True)
BOTTLENECK_64_SKIP = BlockVariant(Bottleneck, projection_size=64, skip_connect=True)
IDENTITY = BlockVariant(Identity)
