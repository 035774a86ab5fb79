"""Image (CNN) blocks: Model Search's convolutions, pools and residual units in PyTorch,
and torchsearch's batch-norm 1xK convolutions for 1-D signals (the last section).

Ported from the original ``block.py`` (docs/model_search.md, "Blocks") so that a CNN
architecture in Model Search's vocabulary builds the same layers here, channels first
(``N, C, H, W``) where the original is NHWC, with exactly its output shapes. Kept from
TensorFlow on purpose: ``'SAME'`` padding for any kernel, stride and dilation (output
``ceil(size / stride)``, an odd cell of padding at the bottom or right; torch's
``padding="same"`` refuses strides above one), average pools that leave padding out of
the average, and Keras's initial values (Glorot-uniform kernels, zero biases) and batch
norm settings, so a found architecture trains as it did. Blocks read the channels from
the input spec, so one instance builds modules for any image size.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any
from typing import ClassVar

from torch import nn

from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import BuiltBlock
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import TensorSpec
from torchsearch.blocks._image_layers import ConvReLU
from torchsearch.blocks._image_layers import DualResidualUnit
from torchsearch.blocks._image_layers import GeneralUnit
from torchsearch.blocks._image_layers import Pair
from torchsearch.blocks._image_layers import ResidualUnit
from torchsearch.blocks._image_layers import SameAvgPool2d
from torchsearch.blocks._image_layers import SameConv2d
from torchsearch.blocks._image_layers import SameMaxPool2d
from torchsearch.blocks._image_layers import TwoConvBranch
from torchsearch.blocks._image_layers import _check_build_input
from torchsearch.blocks._image_layers import _pair
from torchsearch.blocks._image_layers import _positive
from torchsearch.blocks._image_layers import _same_size
from torchsearch.blocks._image_layers import _SamePool2d

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


class _ImageBlock(Block):
    """A block on ``N, C, H, W`` images, placed before the flatten."""

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
    """Conv to ``num_filters`` channels, e.g. a CNN's first layer.

    Args:
        num_filters: output channels.
        kernel_size: an int or ``(height, width)``.
        apply_batch_norm: batch norm before the ReLU (off in Model Search's registrations, on in
            torchsearch's `_BN` additions).
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
    """Conv keeping channels and plate.

    Args:
        kernel_size: an int or ``(height, width)``, e.g. ``(1, 7)``.
        apply_batch_norm: batch norm before the ReLU (off in Model Search's registrations, on in
            torchsearch's `_BN` additions).
    """

    channel_factor: ClassVar[int] = 1

    def __init__(self, kernel_size: Pair = 3, apply_batch_norm: bool = False) -> None:
        _pair(kernel_size, "kernel_size")
        self.kernel_size = kernel_size
        self.apply_batch_norm = apply_batch_norm

    def _conv(self, channels: int) -> tuple[int, Pair, Pair]:
        return self.channel_factor * channels, 1, 1


class IncreaseChannels(Convolution):
    """Conv doubling the channels on the same plate."""

    channel_factor: ClassVar[int] = 2


class DownsampleConvolution(_ConvBlock):
    """Strided conv doubling the channels.

    Args:
        kernel_size: an int or ``(height, width)``.
        strides: an int or ``(height, width)``; each side becomes ``ceil(size / stride)``.
        apply_batch_norm: batch norm before the ReLU (off in Model Search's registrations, on in
            torchsearch's `_BN` additions).
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
    """Dilated conv keeping channels and plate.

    Args:
        kernel_size: an int or ``(height, width)``.
        dilation_rate: an int or ``(height, width)``.
        apply_batch_norm: batch norm before the ReLU (off in Model Search's registrations, on in
            torchsearch's `_BN` additions).
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
        # As in the original, which tests dim 2 of NHWC, the width only: an image
        # with a short height but a wide enough width is still pooled.
        if width < size:
            return BuiltBlock(nn.Identity(), TensorSpec.image(channels, height, width))
        output = TensorSpec.image(channels, _same_size(height, size), _same_size(width, size))
        return BuiltBlock(self.layer(size), output)


class AveragePool(_Pool):
    """Average pooling of window and stride ``kernel_size``, ``'SAME'`` padding."""

    layer = SameAvgPool2d

    def __init__(self, kernel_size: int = 2) -> None:
        _positive(kernel_size, "kernel_size")
        self.kernel_size = kernel_size

    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        return self._pool(channels, height, width, self.kernel_size)


class MaxPooling(_Pool):
    """Max pooling of window and stride ``pool_size``, ``'SAME'`` padding."""

    layer = SameMaxPool2d

    def __init__(self, pool_size: int = 2) -> None:
        _positive(pool_size, "pool_size")
        self.pool_size = pool_size

    def _build(self, channels: int, height: int, width: int) -> BuiltBlock:
        return self._pool(channels, height, width, self.pool_size)


class ResNet(_ImageBlock):
    """Two convs with a skip connection, a :class:`ResidualUnit`.

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
    """Two halved two-conv branches added to the input, a :class:`DualResidualUnit`.

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
    """The inception-like :class:`GeneralUnit`: ``5 * (C // 5)`` channels out.

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
# The original's registrations. Batch norm is off in all of them, a quirk of the original
# kept so that the names mean the same layers (docs/model_search.md, "Blocks").

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


# --------------------------------------------------------------------------- torchsearch's own
# Not Model Search's: torchsearch additions for 1-D signals seen as one-pixel-high images
# (``N, C, 1, W``, e.g. mnist1d's 1x1x40 strips). Kernels are 1xK, so no weight multiplies
# the zero padding above and below the strip (a 3x3 kernel wastes 2/3 of its weights
# there), and batch norm is on: without it such CNNs train far worse (0.88 against 0.99
# test accuracy on mnist1d). ``_BN`` marks the batch norm; the rest of each name reads as
# Model Search's (kernel height x width, then channels or dilation).

FIXED_CHANNEL_CONVOLUTION_1X5_8_BN = BlockVariant(
    FixedChannelConvolution, num_filters=8, kernel_size=(1, 5), apply_batch_norm=True
)
FIXED_CHANNEL_CONVOLUTION_1X5_16_BN = BlockVariant(
    FixedChannelConvolution, num_filters=16, kernel_size=(1, 5), apply_batch_norm=True
)
FIXED_CHANNEL_CONVOLUTION_1X5_32_BN = BlockVariant(
    FixedChannelConvolution, num_filters=32, kernel_size=(1, 5), apply_batch_norm=True
)
FIXED_CHANNEL_CONVOLUTION_1X5_64_BN = BlockVariant(
    FixedChannelConvolution, num_filters=64, kernel_size=(1, 5), apply_batch_norm=True
)
CONVOLUTION_1X3_BN = BlockVariant(Convolution, kernel_size=(1, 3), apply_batch_norm=True)
CONVOLUTION_1X5_BN = BlockVariant(Convolution, kernel_size=(1, 5), apply_batch_norm=True)
CONVOLUTION_1X7_BN = BlockVariant(Convolution, kernel_size=(1, 7), apply_batch_norm=True)
DILATED_CONVOLUTION_1X3_2_BN = BlockVariant(
    DilatedConvolution, kernel_size=(1, 3), dilation_rate=(1, 2), apply_batch_norm=True
)
DILATED_CONVOLUTION_1X3_4_BN = BlockVariant(
    DilatedConvolution, kernel_size=(1, 3), dilation_rate=(1, 4), apply_batch_norm=True
)
# Halves the width and doubles the channels, as DOWNSAMPLE_CONVOLUTION_3X3 does both sides.
DOWNSAMPLE_CONVOLUTION_1X3_BN = BlockVariant(
    DownsampleConvolution, kernel_size=(1, 3), strides=(1, 2), apply_batch_norm=True
)
