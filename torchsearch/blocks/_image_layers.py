"""The torch layers behind the image blocks: TensorFlow-style 'SAME' convolutions and pools,
and the residual, dual-residual and inception-like units of Model Search's catalogue.

Kept apart from ``_image`` (the Block classes and their lookup names) so that each module
has one job; ``_flatten`` builds DOWNSAMPLE_FLATTEN from the same convolution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn

from torchsearch._errors import ConfigError
from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import TensorSpec

__all__ = [
    "ConvReLU",
    "DualResidualUnit",
    "GeneralUnit",
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
    and pass a ReLU: ``5 * width`` channels, as in the original ``GeneralBlock``.
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
