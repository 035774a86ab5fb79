"""Fixtures for the search tests: an in-memory registry and a scripted ``random.Random``.

The registry holds a few of Model Search's block names as tiny blocks that only say
whether they are conv-like or a flatten, which is all the search logic reads;
``test_search_catalogue.py`` checks that the real catalogue agrees.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import ClassVar

import pytest

from torchsearch.blocks import Block
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import BuiltBlock
from torchsearch.blocks import InputKind
from torchsearch.blocks import TensorSpec

CONV_NAMES = (
    "FIXED_CHANNEL_CONVOLUTION_16",
    "FIXED_CHANNEL_CONVOLUTION_32",
    "FIXED_CHANNEL_CONVOLUTION_64",
    "CONVOLUTION_3X3",
    "RESNET_3X3",
    "AVERAGE_POOL_2X2",
    "MAX_POOLING_3X3",
    "DOWNSAMPLE_CONVOLUTION_3X3",
)
DENSE_NAMES = (
    "FIXED_OUTPUT_FULLY_CONNECTED_128",
    "FIXED_OUTPUT_FULLY_CONNECTED_256",
    "FIXED_OUTPUT_FULLY_CONNECTED_512",
    "FULLY_CONNECTED",
    "FULLY_CONNECTED_PYRAMID",
)
FLATTEN_NAMES = ("FLATTEN", "PLATE_REDUCTION_FLATTEN", "DOWNSAMPLE_FLATTEN")


class _FakeBlock(Block):
    input_kinds: ClassVar[frozenset[InputKind]] = frozenset(InputKind)
    conv_like: ClassVar[bool] = False

    @property
    def is_input_order_important(self) -> bool:
        return self.conv_like

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        raise NotImplementedError("search tests never build blocks")


class FakeConv(_FakeBlock):
    conv_like = True


class FakeDense(_FakeBlock):
    conv_like = False


class FakeFlatten(_FakeBlock):
    is_flatten = True


MakeRegistry = Callable[..., BlockRegistry]


def fake_registry(
    conv: Sequence[str] = CONV_NAMES,
    dense: Sequence[str] = DENSE_NAMES,
    flatten: Sequence[str] = FLATTEN_NAMES,
) -> BlockRegistry:
    """A registry of tiny blocks; by default the names above, classified as in Model Search."""
    factories: dict[str, Callable[..., Block]] = {}
    factories.update(dict.fromkeys(conv, FakeConv))
    factories.update(dict.fromkeys(dense, FakeDense))
    factories.update(dict.fromkeys(flatten, FakeFlatten))
    return BlockRegistry.from_factories(factories)


@pytest.fixture
def registry() -> BlockRegistry:
    return fake_registry()


@pytest.fixture
def make_registry() -> MakeRegistry:
    """Returns :func:`fake_registry`, for tests that need other names."""
    return fake_registry


@pytest.fixture
def scripted() -> type[ScriptedRandom]:
    """The :class:`ScriptedRandom` class, for tests that script the draws."""
    return ScriptedRandom


class ScriptedRandom(random.Random):
    """A ``random.Random`` whose ``randrange(n)`` returns scripted indices.

    The port of Model Search's tests that patched ``numpy.random.randint``: every index
    the search draws goes through ``randrange``, while ``random()`` stays seeded.

    Args:
        indices: returned in turn; the last one repeats once they run out.
    """

    def __init__(self, *indices: int, seed: int = 0) -> None:
        super().__init__(seed)
        self._indices = list(indices)

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        n = start if stop is None else stop - start
        index = self._indices.pop(0) if len(self._indices) > 1 else self._indices[0]
        assert 0 <= index < n, f"scripted index {index} out of range({n})"
        return index
