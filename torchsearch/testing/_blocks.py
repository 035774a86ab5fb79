"""Toy blocks: a tiny in-memory catalogue for tests of searchers, spaces and drivers.

Built with :meth:`BlockRegistry.from_factories`, so a test never needs an installed
catalogue. The blocks build real (tiny) modules: conv-like blocks work on
images, dense blocks on flat inputs, and one flatten joins them, as in a CNN tower.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import ClassVar

from torch import nn

from torchsearch.blocks import Block
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import BuiltBlock
from torchsearch.blocks import Choice
from torchsearch.blocks import FloatRange
from torchsearch.blocks import Hyperparameter
from torchsearch.blocks import InputKind
from torchsearch.blocks import IntRange
from torchsearch.blocks import TensorSpec
from torchsearch.space import DEFAULT_FLATTEN

__all__ = [
    "TOY_CONV_BLOCKS",
    "TOY_DENSE_BLOCKS",
    "TOY_REDUCTION",
    "TOY_TUNABLE",
    "ToyConv",
    "ToyDense",
    "ToyFlatten",
    "ToyTunable",
    "toy_registry",
]

TOY_CONV_BLOCKS = ("TOY_CONV_A", "TOY_CONV_B")
TOY_DENSE_BLOCKS = ("TOY_DENSE_A", "TOY_DENSE_B")
TOY_TUNABLE = "TOY_TUNABLE"
TOY_REDUCTION = "DOWNSAMPLE_CONVOLUTION_3X3"
"""Registered under the default ``reduction_block_type`` of constrained descent."""


class ToyConv(Block):
    """A 3x3 convolution to ``channels`` channels (``stride`` 2 for the reduction)."""

    input_kinds: ClassVar[frozenset[InputKind]] = frozenset({InputKind.IMAGE})
    is_input_order_important = True

    def __init__(self, channels: int = 4, stride: int = 1) -> None:
        self.channels = channels
        self.stride = stride

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        module = nn.Conv2d(spec.channels, self.channels, 3, stride=self.stride, padding=1)
        height, width = (-(-int(d) // self.stride) for d in spec.shape[1:])
        return BuiltBlock(module, TensorSpec.image(self.channels, height, width))


class ToyFlatten(Block):
    """Flattens an image."""

    input_kinds: ClassVar[frozenset[InputKind]] = frozenset({InputKind.IMAGE, InputKind.FLAT})
    is_input_order_important = False
    is_flatten = True

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        return BuiltBlock(nn.Flatten(), TensorSpec.flat(spec.numel))


class ToyDense(Block):
    """A linear layer to ``units`` features."""

    input_kinds: ClassVar[frozenset[InputKind]] = frozenset({InputKind.FLAT})
    is_input_order_important = False

    def __init__(self, units: int = 8) -> None:
        self.units = units

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        return BuiltBlock(nn.Linear(spec.features, self.units), TensorSpec.flat(self.units))


class ToyTunable(Block):
    """A linear layer whose width, bias and weight scale are tuned (one of each range)."""

    input_kinds: ClassVar[frozenset[InputKind]] = frozenset({InputKind.FLAT})
    is_input_order_important = False

    def hyperparameters(self) -> Mapping[str, Hyperparameter]:
        return {
            "units": IntRange(2, 16, default=8),
            "bias": Choice((True, False), default=True),
            "scale": FloatRange(0.1, 10.0, default=1.0, log=True),
        }

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        values = self.resolve_hparams(hparams)
        layer = nn.Linear(spec.features, values["units"], bias=values["bias"])
        layer.weight.data.mul_(values["scale"])
        return BuiltBlock(layer, TensorSpec.flat(values["units"]))


def toy_registry() -> BlockRegistry:
    """A registry of the toy blocks, plus ``PLATE_REDUCTION_FLATTEN`` (the CNN order needs
    it) and a stride-2 conv under the name of constrained descent's default reduction."""
    factories: dict[str, Any] = {
        TOY_CONV_BLOCKS[0]: ToyConv,
        TOY_CONV_BLOCKS[1]: lambda: ToyConv(channels=6),
        TOY_DENSE_BLOCKS[0]: ToyDense,
        TOY_DENSE_BLOCKS[1]: lambda: ToyDense(units=12),
        TOY_TUNABLE: ToyTunable,
        TOY_REDUCTION: lambda: ToyConv(stride=2),
        DEFAULT_FLATTEN: ToyFlatten,
    }
    return BlockRegistry.from_factories(factories, distribution="torchsearch-testing")
