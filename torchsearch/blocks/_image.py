"""Model Search's image (CNN) blocks: convolutions, pools and residual units, in PyTorch.

Ported from the original ``block.py`` (MODEL_SEARCH.md §3) so that a CNN architecture in
Model Search's vocabulary builds the same layers here, channels first (``N, C, H, W``)
where the original is NHWC, with exactly its output shapes. Kept from TensorFlow on
purpose: ``'SAME'`` padding for any kernel, stride and dilation (output
``ceil(size / stride)``, an odd cell of padding at the bottom or right; torch's
``padding="same"`` refuses strides above one), average pools that leave padding out of
the average, and Keras's initial values (Glorot-uniform kernels, zero biases) and batch
norm settings, so a found architecture trains as it did. Blocks read the channels from
the input spec, so one instance builds modules for any image size.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from typing import Any
from typing import ClassVar

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
    "AveragePool",
    "ConvReLU",
    "Convolution",
    "DilatedConvolution",
    "DownsampleConvolution",
    "DualResNet",
    "DualResidualUnit",
    "FixedChannelConvolution",
    "GeneralBlock",
    "GeneralUnit",
    "IncreaseChannels",
    "MaxPooling",
    "ResNet",
    "ResidualUnit",
    "SameAvgPool2d",
    "SameConv2d",
    "SameMaxPool2d",
    "TwoConvBranch",
]

Pair = int | tuple[int, int]

_BN_EPSILON = 1e-3  # Keras BatchNormalization's epsilon.
_BN_MOMENTUM = 0.01  # torch counts momentum the other way round: 1 - Keras's 0.99.


def _positive(value: int, name: str, what: str = "a positive integer") -> int:
    """``value``; raises :class:`ConfigError` unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be {what}, got {value!r}.")
    return value


def _pair(value: Pair, name: str) -> tuple[int, int]:
    """``(v, v)`` for an int ``v``, else the pair; both must be positive integers."""
    values = (value, value) if isinstance(value, int) else value
    what = "a positive integer or a pair of them"
    if not isinstance(values, tuple | list) or len(values) != 2:
        raise ConfigError(f"{name} must be {what}, got {value!r}.")
    return _positive(values[0], name, what), _positive(values[1], name, what)


def _same_size(size: int, stride: int) -> int:
    """Output length under TensorFlow's ``'SAME'`` padding: ``ceil(size / stride)``."""
    return -(-size // stride)


def _same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """``(before, after)`` padding of TensorFlow's ``'SAME'``; the odd cell goes after."""
    span = (kernel - 1) * dilation + 1
    total = max((_same_size(size, stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def _check_build_input(block: Block, spec: TensorSpec, hparams: Mapping[str, Any] | None) -> None:
    """Raises :class:`ConfigError` unless ``block`` takes ``spec`` and ``hparams``."""
    if not block.accepts(spec):
        kinds = " or ".join(sorted(kind.value for kind in block.input_kinds))
        raise ConfigError(f"{type(block).__name__} takes {kinds} inputs, got {spec}.")
    block.resolve_hparams(hparams)  # Rejects names the block does not declare.


def _batch_norm(channels: int, enabled: bool) -> nn.BatchNorm2d | None:
    return nn.BatchNorm2d(channels, eps=_BN_EPSILON, momentum=_BN_MOMENTUM) if enabled else None


# --------------------------------------------------------------------------- layers


class SameConv2d(nn.Conv2d):
    """A 2-D convolution with TensorFlow's ``'SAME'`` padding and Keras's initial values.

    ``kernel_size``, ``stride`` and ``dilation`` are ints or ``(height, width)`` pairs.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Pair,
        stride: Pair = 1,
        dilation: Pair = 1,
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, dilation=dilation)

    def reset_parameters(self) -> None:
        """Glorot-uniform kernel and zero bias, as Keras's ``Conv2D``."""
        nn.init.xavier_uniform_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        (k_h, k_w), (s_h, s_w), (d_h, d_w) = self.kernel_size, self.stride, self.dilation
        top, bottom = _same_padding(x.shape[-2], k_h, s_h, d_h)
        left, right = _same_padding(x.shape[-1], k_w, s_w, d_w)
        if top == bottom and left == right:  # Symmetric: the convolution pads by itself.
            return F.conv2d(x, self.weight, self.bias, self.stride, (top, left), self.dilation)
        x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, padding=SAME"


class _SamePool2d(nn.Module):
    def __init__(self, kernel_size: Pair, stride: Pair | None = None) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride")

    def _padding(self, x: Tensor) -> tuple[int, int, int, int]:
        top, bottom = _same_padding(x.shape[-2], self.kernel_size[0], self.stride[0])
        left, right = _same_padding(x.shape[-1], self.kernel_size[1], self.stride[1])
        return left, right, top, bottom

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding=SAME"


class SameMaxPool2d(_SamePool2d):
    """Max pooling with ``'SAME'`` padding; the stride defaults to the kernel size."""

    def forward(self, x: Tensor) -> Tensor:
        x = F.pad(x, self._padding(x), value=-math.inf)  # Padding never wins a window.
        return F.max_pool2d(x, self.kernel_size, self.stride)


class SameAvgPool2d(_SamePool2d):
    """Average pooling with ``'SAME'`` padding, which is left out of each average as in TF."""

    def forward(self, x: Tensor) -> Tensor:
        padding = self._padding(x)
        if not any(padding):
            return F.avg_pool2d(x, self.kernel_size, self.stride)
        sums = F.avg_pool2d(F.pad(x, padding), self.kernel_size, self.stride, divisor_override=1)
        ones = F.pad(x.new_ones((1, 1, *x.shape[-2:])), padding)
        counts = F.avg_pool2d(ones, self.kernel_size, self.stride, divisor_override=1)
        return sums / counts


class ConvReLU(nn.Module):
    """``conv`` → optional ``bn`` → ReLU, the body of most conv blocks."""

    def __init__(self, conv: SameConv2d, apply_batch_norm: bool = False) -> None:
        super().__init__()
        self.conv = conv
        self.bn = _batch_norm(conv.out_channels, apply_batch_norm)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        return F.relu(x if self.bn is None else self.bn(x))


class ResidualUnit(nn.Module):
    """``conv1`` → (``bn1``) → ReLU → ``conv2`` → + input → (``bn2``) → ReLU."""

    def __init__(self, channels: int, kernel_size: Pair, apply_batch_norm: bool = False) -> None:
        super().__init__()
        self.conv1 = SameConv2d(channels, channels, kernel_size)
        self.bn1 = _batch_norm(channels, apply_batch_norm)
        self.conv2 = SameConv2d(channels, channels, kernel_size)
        self.bn2 = _batch_norm(channels, apply_batch_norm)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv1(x)
        h = self.conv2(F.relu(h if self.bn1 is None else self.bn1(h))) + x
        return F.relu(h if self.bn2 is None else self.bn2(h))


class TwoConvBranch(nn.Module):
    """``conv1`` → ReLU → ``conv2``, channels kept and no activation at the end."""

    def __init__(self, channels: int, kernel_size: Pair) -> None:
        super().__init__()
        self.conv1 = SameConv2d(channels, channels, kernel_size)
        self.conv2 = SameConv2d(channels, channels, kernel_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv2(F.relu(self.conv1(x)))


class DualResidualUnit(nn.Module):
    """``relu(x + branch1(x) / 2 + branch2(x) / 2)`` over two :class:`TwoConvBranch`."""

    def __init__(self, channels: int, kernel_size: Pair) -> None:
        super().__init__()
        self.branch1 = TwoConvBranch(channels, kernel_size)
        self.branch2 = TwoConvBranch(channels, kernel_size)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x + self.branch1(x) / 2 + self.branch2(x) / 2)


class GeneralUnit(nn.Module):
    """Model Search's inception-like cell on ``width = channels // 5`` channels.

    A 1x1 ``reduce`` then ReLU (then ``bn``) feeds four branches: two
    :class:`TwoConvBranch`, an average pool → conv and a max pool → conv (pools of stride
    1). Their outputs and the *pre-activation* reduction are concatenated in that order
    and pass a ReLU: ``5 * width`` channels (MODEL_SEARCH.md §3 "Inception-like").
    """

    def __init__(self, channels: int, kernel_size: Pair, apply_batch_norm: bool = False) -> None:
        super().__init__()
        width = channels // 5
        self.reduce = SameConv2d(channels, width, 1)
        self.bn = _batch_norm(width, apply_batch_norm)
        self.branch1 = TwoConvBranch(width, kernel_size)
        self.branch2 = TwoConvBranch(width, kernel_size)
        self.avg_pool = SameAvgPool2d(kernel_size, stride=1)
        self.avg_conv = SameConv2d(width, width, kernel_size)
        self.max_pool = SameMaxPool2d(kernel_size, stride=1)
        self.max_conv = SameConv2d(width, width, kernel_size)

    def forward(self, x: Tensor) -> Tensor:
        reduced = self.reduce(x)
        h = F.relu(reduced)
        h = h if self.bn is None else self.bn(h)
        pooled = [self.avg_conv(self.avg_pool(h)), self.max_conv(self.max_pool(h))]
        branches = [self.branch1(h), self.branch2(h), *pooled, reduced]
        return F.relu(torch.cat(branches, dim=1))


# --------------------------------------------------------------------------- blocks


class _ImageBlock(Block):
    """A block on ``N, C, H, W`` images, placed before the flatten (order Y in §3)."""

    input_kinds = frozenset({InputKind.IMAGE})
    is_input_order_important = True

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the module for an image ``spec`` (else :class:`ConfigError`)."""
        _check_build_input(self, spec, hparams)
        channels, height, width = (int(d) for d in spec.shape)  # type: ignore[arg-type]
        return self._build(channels, height, width)

    @abc.abstractmethod
    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        """The module and its output spec for a ``channels x height x width`` input."""


class _ConvBlock(_ImageBlock):
    """``conv`` → (``bn``) → ReLU; subclasses give the channels, stride and dilation."""

    kernel_size: Pair
    apply_batch_norm: bool

    @abc.abstractmethod
    def _conv(self, channels: int) -> tuple[int, Pair, Pair]:
        """``(out_channels, stride, dilation)`` for an input of ``channels``."""

    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        out_channels, stride, dilation = self._conv(channels)
        conv = SameConv2d(channels, out_channels, self.kernel_size, stride, dilation)
        s_h, s_w = _pair(stride, "stride")
        output = TensorSpec.image(out_channels, _same_size(height, s_h), _same_size(width, s_w))
        return BuiltBlock(ConvReLU(conv, self.apply_batch_norm), output)


class FixedChannelConvolution(_ConvBlock):
    """Conv to ``num_filters`` channels, e.g. a CNN's first layer (§3 "Fixed-channel conv").

    Args:
        num_filters: output channels.
        kernel_size: an int or ``(height, width)``.
        apply_batch_norm: batch norm before the ReLU (off in every registration).
        stride: an int or ``(height, width)``; each side becomes ``ceil(size / stride)``.
    """

    def __init__(
        self,
        num_filters: int = 64,
        kernel_size: Pair = 3,
        apply_batch_norm: bool = False,
        stride: Pair = (1, 1),
    ) -> None:
        _positive(num_filters, "num_filters")
        _pair(kernel_size, "kernel_size")
        _pair(stride, "stride")
        self.num_filters = num_filters
        self.kernel_size = kernel_size
        self.apply_batch_norm = apply_batch_norm
        self.stride = stride

    def _conv(self, channels: int) -> tuple[int, Pair, Pair]:
        return self.num_filters, self.stride, 1


class Convolution(_ConvBlock):
    """Conv keeping channels and plate (§3 "Conv (channels kept)").

    Args:
        kernel_size: an int or ``(height, width)``, e.g. ``(1, 7)``.
        apply_batch_norm: batch norm before the ReLU (off in every registration).
    """

    channel_factor: ClassVar[int] = 1

    def __init__(self, kernel_size: Pair = 3, apply_batch_norm: bool = False) -> None:
        _pair(kernel_size, "kernel_size")
        self.kernel_size = kernel_size
        self.apply_batch_norm = apply_batch_norm

    def _conv(self, channels: int) -> tuple[int, Pair, Pair]:
        return self.channel_factor * channels, 1, 1


class IncreaseChannels(Convolution):
    """Conv doubling the channels on the same plate (§3 "Increase channels")."""

    channel_factor: ClassVar[int] = 2


class DownsampleConvolution(_ConvBlock):
    """Strided conv doubling the channels (§3 "Downsample").

    Args:
        kernel_size: an int or ``(height, width)``.
        strides: an int or ``(height, width)``; each side becomes ``ceil(size / stride)``.
        apply_batch_norm: batch norm before the ReLU (off in every registration).
    """

    def __init__(
        self, kernel_size: Pair = 3, strides: Pair = (2, 2), apply_batch_norm: bool = False
    ) -> None:
        _pair(kernel_size, "kernel_size")
        _pair(strides, "strides")
        self.kernel_size = kernel_size
        self.strides = strides
        self.apply_batch_norm = apply_batch_norm

    def _conv(self, channels: int) -> tuple[int, Pair, Pair]:
        return 2 * channels, self.strides, 1


class DilatedConvolution(_ConvBlock):
    """Dilated conv keeping channels and plate (§3 "Dilated conv").

    Args:
        kernel_size: an int or ``(height, width)``.
        dilation_rate: an int or ``(height, width)``.
        apply_batch_norm: batch norm before the ReLU (off in every registration).
    """

    def __init__(
        self, kernel_size: Pair = 3, dilation_rate: Pair = (2, 2), apply_batch_norm: bool = False
    ) -> None:
        _pair(kernel_size, "kernel_size")
        _pair(dilation_rate, "dilation_rate")
        self.kernel_size = kernel_size
        self.dilation_rate = dilation_rate
        self.apply_batch_norm = apply_batch_norm

    def _conv(self, channels: int) -> tuple[int, Pair, Pair]:
        return channels, 1, self.dilation_rate


class _Pool(_ImageBlock):
    """Pooling whose stride is its window; a no-op when the width is below the window."""

    layer: ClassVar[type[_SamePool2d]]

    def _pool(self, channels: int, height: int, width: int, size: int) -> BuiltBlock:
        # §3 "Pooling": the original tests dim 2 of NHWC, the width only, so an image
        # with a short height but a wide enough width is still pooled.
        if width < size:
            return BuiltBlock(nn.Identity(), TensorSpec.image(channels, height, width))
        output = TensorSpec.image(channels, _same_size(height, size), _same_size(width, size))
        return BuiltBlock(self.layer(size), output)


class AveragePool(_Pool):
    """Average pooling of window and stride ``kernel_size``, ``'SAME'`` padding (§3)."""

    layer = SameAvgPool2d

    def __init__(self, kernel_size: int = 2) -> None:
        _positive(kernel_size, "kernel_size")
        self.kernel_size = kernel_size

    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        return self._pool(channels, height, width, self.kernel_size)


class MaxPooling(_Pool):
    """Max pooling of window and stride ``pool_size``, ``'SAME'`` padding (§3)."""

    layer = SameMaxPool2d

    def __init__(self, pool_size: int = 2) -> None:
        _positive(pool_size, "pool_size")
        self.pool_size = pool_size

    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        return self._pool(channels, height, width, self.pool_size)


class ResNet(_ImageBlock):
    """Two convs with a skip connection, a :class:`ResidualUnit` (§3 "Residual CNN").

    Args:
        kernel_size: an int or ``(height, width)``.
        apply_batch_norm: batch norm after each conv (off in every registration).
    """

    def __init__(self, kernel_size: Pair = 3, apply_batch_norm: bool = False) -> None:
        _pair(kernel_size, "kernel_size")
        self.kernel_size = kernel_size
        self.apply_batch_norm = apply_batch_norm

    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        unit = ResidualUnit(channels, self.kernel_size, self.apply_batch_norm)
        return BuiltBlock(unit, TensorSpec.image(channels, height, width))


class DualResNet(_ImageBlock):
    """Two halved two-conv branches added to the input, a :class:`DualResidualUnit` (§3).

    Args:
        kernel_size: an int or ``(height, width)``.
    """

    def __init__(self, kernel_size: Pair = 3) -> None:
        _pair(kernel_size, "kernel_size")
        self.kernel_size = kernel_size

    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        unit = DualResidualUnit(channels, self.kernel_size)
        return BuiltBlock(unit, TensorSpec.image(channels, height, width))


class GeneralBlock(_ImageBlock):
    """The inception-like :class:`GeneralUnit`: ``5 * (C // 5)`` channels out (§3).

    A no-op below 6 channels, where ``C // 5`` would leave the branches empty.

    Args:
        kernel_size: kernel of the branch convs and pools.
        apply_batch_norm: batch norm on the activated 1x1 reduction (off when registered).
    """

    min_channels: ClassVar[int] = 6

    def __init__(self, kernel_size: Pair = 3, apply_batch_norm: bool = False) -> None:
        _pair(kernel_size, "kernel_size")
        self.kernel_size = kernel_size
        self.apply_batch_norm = apply_batch_norm

    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        if channels < self.min_channels:
            return BuiltBlock(nn.Identity(), TensorSpec.image(channels, height, width))
        unit = GeneralUnit(channels, self.kernel_size, self.apply_batch_norm)
        return BuiltBlock(unit, TensorSpec.image(5 * (channels // 5), height, width))


# --------------------------------------------------------------------------- lookup names
# The original's registrations (MODEL_SEARCH.md §3). Batch norm is off in all of them, a
# quirk of the original (§10) kept so that the names mean the same layers.

FIXED_CHANNEL_CONVOLUTION_16 = BlockVariant(FixedChannelConvolution, num_filters=16)
FIXED_CHANNEL_CONVOLUTION_32 = BlockVariant(FixedChannelConvolution, num_filters=32)
FIXED_CHANNEL_CONVOLUTION_64 = BlockVariant(FixedChannelConvolution, num_filters=64)
FIXED_CHANNEL_CONVOLUTION_96 = BlockVariant(FixedChannelConvolution, num_filters=96)
FIXED_CHANNEL_CONVOLUTION_120 = BlockVariant(FixedChannelConvolution, num_filters=120)
FIXED_CHANNEL_STRIDE_96_2 = BlockVariant(FixedChannelConvolution, num_filters=96, stride=(2, 2))
CONVOLUTION_3X3 = BlockVariant(Convolution, kernel_size=3)
CONVOLUTION_4X4 = BlockVariant(Convolution, kernel_size=4)
CONVOLUTION_5X5 = BlockVariant(Convolution, kernel_size=5)
CONVOLUTION_1X3 = BlockVariant(Convolution, kernel_size=(1, 3))
CONVOLUTION_1X5 = BlockVariant(Convolution, kernel_size=(1, 5))
CONVOLUTION_1X7 = BlockVariant(Convolution, kernel_size=(1, 7))
CONVOLUTION_3X1 = BlockVariant(Convolution, kernel_size=(3, 1))
CONVOLUTION_5X1 = BlockVariant(Convolution, kernel_size=(5, 1))
CONVOLUTION_7X1 = BlockVariant(Convolution, kernel_size=(7, 1))
INCREASE_CHANNELS_3X3 = BlockVariant(IncreaseChannels, kernel_size=3)
INCREASE_CHANNELS_4X4 = BlockVariant(IncreaseChannels, kernel_size=4)
INCREASE_CHANNELS_5X5 = BlockVariant(IncreaseChannels, kernel_size=5)
DOWNSAMPLE_CONVOLUTION_3X3 = BlockVariant(DownsampleConvolution, kernel_size=3)
DOWNSAMPLE_CONVOLUTION_4X4 = BlockVariant(DownsampleConvolution, kernel_size=4)
DOWNSAMPLE_CONVOLUTION_5X5 = BlockVariant(DownsampleConvolution, kernel_size=5)
AVERAGE_POOL_2X2 = BlockVariant(AveragePool, kernel_size=2)
AVERAGE_POOL_4X4 = BlockVariant(AveragePool, kernel_size=4)
MAX_POOLING_2X2 = BlockVariant(MaxPooling, pool_size=2)
MAX_POOLING_3X3 = BlockVariant(MaxPooling, pool_size=3)
MAX_POOLING_5X5 = BlockVariant(MaxPooling, pool_size=5)
DILATED_CONVOLUTION_2 = BlockVariant(DilatedConvolution, dilation_rate=2)
DILATED_CONVOLUTION_4 = BlockVariant(DilatedConvolution, dilation_rate=4)
RESNET_3X3 = BlockVariant(ResNet, kernel_size=3)
RESNET_4X4 = BlockVariant(ResNet, kernel_size=4)
RESNET_5X5 = BlockVariant(ResNet, kernel_size=5)
DUAL_RESNET = BlockVariant(DualResNet)
GENERAL_BLOCK = BlockVariant(GeneralBlock)
