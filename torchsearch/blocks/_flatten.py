"""Model Search's flatten blocks: the one place a CNN tower turns images into vectors.

Ported from the original ``block.py`` (docs/model_search.md, "Blocks").
A CNN tower has exactly one of these between its conv blocks and its dense blocks
(``is_flatten``); ``PLATE_REDUCTION_FLATTEN`` is the one inserted when a tower has none.
The blocks are order N (``is_input_order_important = False``), as in the original.

Input kinds follow what the original does with a 2-D (already flat) input:
``FLATTEN`` (Keras ``Flatten``) and ``PLATE_REDUCTION_FLATTEN`` pass it through
unchanged, so they accept flat inputs and build an ``nn.Identity``; the original's
``DOWNSAMPLE_FLATTEN`` indexes the height and width of its input and fails on a 2-D
tensor, so it accepts images only.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import ClassVar

import torch.nn.functional as F
from torch import Tensor
from torch import nn

from torchsearch._errors import ConfigError
from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import BuiltBlock
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import TensorSpec
from torchsearch.blocks._image_layers import Pair
from torchsearch.blocks._image_layers import SameConv2d
from torchsearch.blocks._image_layers import _check_build_input
from torchsearch.blocks._image_layers import _pair
from torchsearch.blocks._image_layers import _positive
from torchsearch.blocks._image_layers import _same_size

__all__ = [
    "DownsampleFlatten",
    "DownsampleStack",
    "Flatten",
    "PlateMean",
    "PlateReductionFlatten",
]


class PlateMean(nn.Module):
    """The mean over the plate: ``N, C, H, W`` to ``N, C``."""

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(dim=(2, 3))


class DownsampleStack(nn.Module):
    """Convs ``conv1``, ``conv2``, ... each followed by a ReLU, then a flatten."""

    def __init__(self, convs: Sequence[SameConv2d]) -> None:
        super().__init__()
        for index, conv in enumerate(convs, start=1):
            self.add_module(f"conv{index}", conv)

    def forward(self, x: Tensor) -> Tensor:
        for conv in self.children():
            x = F.relu(conv(x))
        return x.flatten(1)


class _FlattenBlock(Block):
    is_input_order_important = False
    is_flatten = True


class Flatten(_FlattenBlock):
    """Flattens an image to ``C * H * W`` features; a flat input passes unchanged.

    The features come in ``C, H, W`` order where the NHWC original has ``H, W, C``: the
    same values, permuted, which the dense layer that follows does not care about.
    """

    input_kinds = frozenset({InputKind.IMAGE, InputKind.FLAT})

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds an ``nn.Flatten`` for an image and an ``nn.Identity`` for a flat input."""
        _check_build_input(self, spec, hparams)
        if spec.kind is InputKind.FLAT:
            return BuiltBlock(nn.Identity(), spec)
        return BuiltBlock(nn.Flatten(), TensorSpec.flat(spec.numel))


class PlateReductionFlatten(_FlattenBlock):
    """The mean of each channel over the plate, ``C`` features out.

    The default flatten of a CNN tower; a flat input passes unchanged, as in the original.
    """

    input_kinds = frozenset({InputKind.IMAGE, InputKind.FLAT})

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds a :class:`PlateMean` for an image and an ``nn.Identity`` for a flat input."""
        _check_build_input(self, spec, hparams)
        if spec.kind is InputKind.FLAT:
            return BuiltBlock(nn.Identity(), spec)
        return BuiltBlock(PlateMean(), TensorSpec.flat(spec.channels))


class DownsampleFlatten(_FlattenBlock):
    """Strided convs, each doubling the channels, until the plate is small; then a flatten.

    Convs (each followed by a ReLU) are added while the smaller side of the plate is at
    least ``kernel_size`` and the channels are at most 300, as in the original. Each conv
    has ``min(2 * C, max_channels)`` output channels and ``'SAME'`` padding.

    Args:
        kernel_size: the convs' kernel, and the plate side below which they stop.
        strides: an int or ``(height, width)``.
        max_channels: a cap on the channels a conv produces.
    """

    input_kinds = frozenset({InputKind.IMAGE})
    channel_limit: ClassVar[int] = 300
    """No conv is added once the input has more channels than this."""

    def __init__(
        self, kernel_size: int = 2, strides: Pair = (2, 2), max_channels: int = 1000
    ) -> None:
        _positive(kernel_size, "kernel_size")
        _pair(strides, "strides")
        _positive(max_channels, "max_channels")
        self.kernel_size = kernel_size
        self.strides = strides
        self.max_channels = max_channels

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds a :class:`DownsampleStack` for an image ``spec``.

        Raises:
            ConfigError: ``spec`` is not an image, or the settings would add convs forever
                (strides of 1 with the channels capped at or below 300).
        """
        _check_build_input(self, spec, hparams)
        channels, height, width = (int(d) for d in spec.shape)  # type: ignore[arg-type]
        stride_h, stride_w = _pair(self.strides, "strides")
        convs = []
        while min(height, width) >= self.kernel_size and channels <= self.channel_limit:
            out = min(2 * channels, self.max_channels)
            shape = (out, _same_size(height, stride_h), _same_size(width, stride_w))
            if shape == (channels, height, width):  # The original would loop forever here.
                raise ConfigError(
                    f"{self!r} never stops adding convs to a {spec} input: "
                    f"its strides leave the plate as it is."
                )
            convs.append(SameConv2d(channels, out, self.kernel_size, stride=self.strides))
            channels, height, width = shape
        return BuiltBlock(DownsampleStack(convs), TensorSpec.flat(channels * height * width))


# --------------------------------------------------------------------------- lookup names
# The original's registrations.

FLATTEN = BlockVariant(Flatten)
PLATE_REDUCTION_FLATTEN = BlockVariant(PlateReductionFlatten)
DOWNSAMPLE_FLATTEN = BlockVariant(DownsampleFlatten)
