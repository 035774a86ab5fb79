"""Model Search's SVDF blocks in PyTorch: a low-rank dense layer filtered over time.

An SVDF (singular value decomposition filter, https://research.google.com/pubs/pub43813.html)
projects each step of an ``N, T, F`` sequence on ``units * rank`` feature filters, runs
each result through its own causal time filter over the last ``memory_size`` steps, sums
the ``rank`` filters of each unit, adds a bias and applies a ReLU. Ported from the
original ``block.py`` (docs/model_search.md, "Blocks") and its two ops:

- :class:`SvdfCell` (``svdf_cell.SvdfCell``): a recurrent cell that keeps the last
  ``memory_size - 1`` feature activations as its state, for streaming; the
  ``SVDF_CELL_*`` blocks use it, and stop each example at its length (``dynamic_rnn``).
- :class:`SvdfConv` (``svdf_conv.SvdfConvLayer``): the same function as a depthwise
  convolution over time, much faster to train; the ``SVDF_CONV_*`` blocks and
  ``TUNABLE_SVDF`` use it.

Both share the original's layouts: filter ``u * rank + r`` belongs to unit ``u``, and
the last column of ``time_weight`` weighs the current step. Initial values follow the
original: Glorot-uniform filters for the cell, ``U(-0.16, 0.16)`` for the conv layer,
zero biases.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn

from torchsearch._errors import ConfigError
from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import BuiltBlock
from torchsearch.blocks._contract import Hyperparameter
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import IntRange
from torchsearch.blocks._contract import TensorSpec
from torchsearch.blocks._dense import check_build_input
from torchsearch.blocks._dense import keras_linear
from torchsearch.blocks._dense import positive_int
from torchsearch.blocks._recurrent import step_mask
from torchsearch.blocks._recurrent import zero_padded_steps

__all__ = [
    "Svdf",
    "SvdfCell",
    "SvdfConv",
    "SvdfFashion",
    "SvdfLayer",
    "TunableSvdf",
]

_CONV_INIT_LIMIT = 0.16  # The original's conv fashion starts kernels in U(-0.16, 0.16).


class SvdfFashion(str, enum.Enum):
    """Which implementation an :class:`Svdf` block uses (the original's ``fashion``)."""

    RNN_CELL = "rnn_cell"
    """Step by step with a memory state (:class:`SvdfCell`), best for streaming."""
    CONV = "conv"
    """All steps at once as a convolution (:class:`SvdfConv`), best for training."""


# --------------------------------------------------------------------------- layers


class _SvdfFilters(nn.Module):
    """The weights of an SVDF: ``feature`` filters, ``time_weight`` filters and ``bias``.

    Args:
        in_features: features per input step.
        units: output width.
        memory_size: steps seen by each time filter, the current one included.
        rank: filters per unit.
        activation: ``"relu"`` or ``"linear"``.
        use_bias: add a bias per unit.
    """

    def __init__(
        self,
        in_features: int,
        units: int,
        memory_size: int,
        rank: int = 1,
        activation: Literal["relu", "linear"] = "relu",
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        if activation not in ("relu", "linear"):
            raise ConfigError(f"activation must be 'relu' or 'linear', got {activation!r}.")
        self.units = positive_int(units, "units")
        self.memory_size = positive_int(memory_size, "memory_size")
        self.rank = positive_int(rank, "rank")
        self.activation = activation
        filters = units * rank
        self.feature = nn.Linear(in_features, filters, bias=False)  # weight: filters x F
        self.time_weight = nn.Parameter(torch.empty(filters, memory_size))
        self.bias = nn.Parameter(torch.zeros(units)) if use_bias else None
        self._init_filters()

    def _init_filters(self) -> None:
        """Sets the starting ``feature`` and ``time_weight`` filters (per implementation)."""
        raise NotImplementedError

    def _units(self, activations: Tensor) -> Tensor:
        """``..., filters`` to ``..., units``: sums each unit's filters, adds bias, activates."""
        out = activations.unflatten(-1, (self.units, self.rank)).sum(-1)
        out = out if self.bias is None else out + self.bias
        return F.relu(out) if self.activation == "relu" else out


class SvdfCell(_SvdfFilters):
    """An SVDF as a recurrent cell (``svdf_cell.SvdfCell``); starts from Glorot filters.

    The state is the ``N, units * rank, memory_size - 1`` feature activations of the
    previous steps, oldest first. :meth:`forward` runs whole sequences; :meth:`step` one
    step, for streaming.
    """

    def _init_filters(self) -> None:
        nn.init.xavier_uniform_(self.feature.weight)  # tf.get_variable's default.
        nn.init.xavier_uniform_(self.time_weight)

    def initial_state(self, batch_size: int) -> Tensor:
        """The all-zero state before the first step."""
        filters = self.units * self.rank
        return self.time_weight.new_zeros(batch_size, filters, self.memory_size - 1)

    def step(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """One step: ``N, F`` input and state in, ``N, units`` output and new state out."""
        return self._step(self.feature(x), state)

    def _step(self, features: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        memory = torch.cat((state, features.unsqueeze(-1)), dim=-1)  # N, filters, memory
        return self._units((memory * self.time_weight).sum(-1)), memory[..., 1:]

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, state: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Runs ``N, T, F`` inputs; returns the ``N, T, units`` outputs and the final state.

        As ``dynamic_rnn`` with ``sequence_length``, an example's state stops changing
        at its length and its outputs from there on are zero.
        """
        state = self.initial_state(x.shape[0]) if state is None else state
        mask = step_mask(lengths, x)
        features = self.feature(x)  # N, T, filters: every step's feature filters at once.
        outputs = []
        for t in range(x.shape[1]):
            out, new_state = self._step(features[:, t], state)
            if mask is not None:
                valid = mask[:, t]  # N, 1
                out = out * valid
                new_state = torch.where(valid.unsqueeze(-1) > 0, new_state, state)
            outputs.append(out)
            state = new_state
        empty = x.new_zeros(x.shape[0], 0, self.units)
        return (torch.stack(outputs, dim=1) if outputs else empty), state


class SvdfConv(_SvdfFilters):
    """An SVDF as a convolution over time (``svdf_conv.SvdfConvLayer``).

    Equal to :class:`SvdfCell` on the same weights. Starts from ``U(-0.16, 0.16)``
    filters, the original block's initialiser.
    """

    def _init_filters(self) -> None:
        nn.init.uniform_(self.feature.weight, -_CONV_INIT_LIMIT, _CONV_INIT_LIMIT)
        nn.init.uniform_(self.time_weight, -_CONV_INIT_LIMIT, _CONV_INIT_LIMIT)

    def forward(self, x: Tensor) -> Tensor:
        """Maps ``N, T, F`` inputs to ``N, T, units`` outputs."""
        features = self.feature(x).transpose(1, 2)  # N, filters, T
        # Zeros before the first step make the time filter causal: step t sees t-M+1..t.
        features = F.pad(features, (self.memory_size - 1, 0))
        filters = self.time_weight.unsqueeze(1)  # filters, 1, M: one filter per channel.
        activations = F.conv1d(features, filters, groups=filters.shape[0])
        return self._units(activations.transpose(1, 2))


class SvdfLayer(nn.Module):
    """An ``svdf`` (:class:`SvdfCell` or :class:`SvdfConv`) and an optional ``projection``.

    The projection is a linear dense layer. Padded output steps are zero.

    Args:
        in_features: features per input step.
        output_size: units of the SVDF.
        memory_size: steps seen by each time filter.
        rank: filters per unit.
        projection_size: width of the projection, 0 for none.
        fashion: the implementation.
    """

    def __init__(
        self,
        in_features: int,
        output_size: int,
        memory_size: int,
        rank: int = 1,
        projection_size: int = 0,
        fashion: SvdfFashion = SvdfFashion.RNN_CELL,
    ) -> None:
        super().__init__()
        self.fashion = SvdfFashion(fashion)
        layer = SvdfCell if self.fashion is SvdfFashion.RNN_CELL else SvdfConv
        self.svdf = layer(in_features, output_size, memory_size, rank)
        self.projection = keras_linear(output_size, projection_size) if projection_size else None

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        # The cell stops at each length; the conv is causal, so its valid steps never
        # read padded ones either.
        y = self.svdf(x, lengths)[0] if isinstance(self.svdf, SvdfCell) else self.svdf(x)
        y = y if self.projection is None else self.projection(y)
        return zero_padded_steps(y, lengths)


# --------------------------------------------------------------------------- blocks


class _SvdfBlockBase(Block):
    """SVDF blocks read step order (order Y) and lengths, on sequences only."""

    input_kinds = frozenset({InputKind.SEQUENCE})
    is_input_order_important = True
    uses_lengths = True

    @staticmethod
    def _layer(spec: TensorSpec, settings: Mapping[str, Any], fashion: SvdfFashion) -> BuiltBlock:
        layer = SvdfLayer(spec.features, fashion=fashion, **settings)
        width = settings["projection_size"] or settings["output_size"]
        return BuiltBlock(layer, TensorSpec.sequence(width, spec.steps))


class Svdf(_SvdfBlockBase):
    """An SVDF layer with optional linear projection, the original ``SvdfBlock``.

    Args:
        output_size: units of the SVDF.
        memory_size: steps seen by each time filter, the current one included.
        rank: filters per unit.
        projection_size: width of a linear projection of the output, 0 for none.
        fashion: :class:`SvdfFashion` (or its value): a streaming cell that honours
            lengths, or a convolution.
    """

    def __init__(
        self,
        output_size: int = 100,
        memory_size: int = 10,
        rank: int = 1,
        projection_size: int = 0,
        fashion: SvdfFashion | str = SvdfFashion.RNN_CELL,
    ) -> None:
        try:
            self.fashion = SvdfFashion(fashion)
        except ValueError:
            options = ", ".join(f.value for f in SvdfFashion)
            raise ConfigError(f"fashion must be one of {options}, got {fashion!r}.") from None
        self.output_size = positive_int(output_size, "output_size")
        self.memory_size = positive_int(memory_size, "memory_size")
        self.rank = positive_int(rank, "rank")
        self.projection_size = positive_int(projection_size, "projection_size", minimum=0)

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the module for a sequence ``spec``; the output keeps ``T``."""
        check_build_input(self, spec, hparams)
        settings = {
            "output_size": self.output_size,
            "memory_size": self.memory_size,
            "rank": self.rank,
            "projection_size": self.projection_size,
        }
        return self._layer(spec, settings, self.fashion)


class TunableSvdf(_SvdfBlockBase):
    """A convolutional SVDF whose sizes are tuned, the original ``TunableSvdfBlock``.

    The only tunable block of the original catalogue: ``output_size``, ``memory_size``,
    ``rank`` and ``projection_size`` come from :meth:`build`'s ``hparams`` (the search
    tunes them as ``TUNABLE_SVDF_<name>``). Each defaults to the low end of its range,
    keras-tuner's default for an ``Int``: 50 units, memory 4, rank 1, no projection.
    """

    def hyperparameters(self) -> Mapping[str, Hyperparameter]:
        """``output_size``, ``memory_size``, ``rank`` and ``projection_size``."""
        return {
            "output_size": IntRange(50, 100, default=50),
            "memory_size": IntRange(4, 32, default=4),
            "rank": IntRange(1, 3, default=1),
            "projection_size": IntRange(0, 128, default=0),
        }

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the module for a sequence ``spec`` with the given sizes (else defaults)."""
        check_build_input(self, spec, hparams)
        return self._layer(spec, self.resolve_hparams(hparams), SvdfFashion.CONV)


# --------------------------------------------------------------------------- lookup names
# The original's registrations: SVDF_CELL_<units>_<memory>_<rank>[_<projection>] and
# SVDF_CONV_<units>_<memory>_<rank>[_<projection>].

_CONV = SvdfFashion.CONV

SVDF_CELL_64_4_1 = BlockVariant(Svdf, output_size=64, memory_size=4, rank=1)
SVDF_CELL_128_4_1 = BlockVariant(Svdf, output_size=128, memory_size=4, rank=1)
SVDF_CELL_256_4_1 = BlockVariant(Svdf, output_size=256, memory_size=4, rank=1)
SVDF_CELL_512_4_1 = BlockVariant(Svdf, output_size=512, memory_size=4, rank=1)
SVDF_CELL_1024_4_1 = BlockVariant(Svdf, output_size=1024, memory_size=4, rank=1)
SVDF_CELL_64_8_1 = BlockVariant(Svdf, output_size=64, memory_size=8, rank=1)
SVDF_CELL_128_8_1 = BlockVariant(Svdf, output_size=128, memory_size=8, rank=1)
SVDF_CELL_256_8_1 = BlockVariant(Svdf, output_size=256, memory_size=8, rank=1)
SVDF_CELL_512_8_1 = BlockVariant(Svdf, output_size=512, memory_size=8, rank=1)
SVDF_CELL_1024_8_1 = BlockVariant(Svdf, output_size=1024, memory_size=8, rank=1)
SVDF_CELL_64_16_1 = BlockVariant(Svdf, output_size=64, memory_size=16, rank=1)
SVDF_CELL_128_16_1 = BlockVariant(Svdf, output_size=128, memory_size=16, rank=1)
SVDF_CELL_256_16_1 = BlockVariant(Svdf, output_size=256, memory_size=16, rank=1)
SVDF_CELL_512_16_1 = BlockVariant(Svdf, output_size=512, memory_size=16, rank=1)
SVDF_CELL_1024_16_1 = BlockVariant(Svdf, output_size=1024, memory_size=16, rank=1)
SVDF_CELL_32_32_1 = BlockVariant(Svdf, output_size=32, memory_size=32, rank=1)
SVDF_CELL_576_8_1_64 = BlockVariant(
    Svdf, output_size=576, memory_size=8, rank=1, projection_size=64
)
SVDF_CELL_576_8_1_16 = BlockVariant(
    Svdf, output_size=576, memory_size=8, rank=1, projection_size=16
)
SVDF_CELL_576_8_1_7 = BlockVariant(Svdf, output_size=576, memory_size=8, rank=1, projection_size=7)
SVDF_CELL_32_32_1_2 = BlockVariant(Svdf, output_size=32, memory_size=32, rank=1, projection_size=2)
SVDF_CONV_576_8_1_64 = BlockVariant(
    Svdf, output_size=576, memory_size=8, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_576_8_1_16 = BlockVariant(
    Svdf, output_size=576, memory_size=8, rank=1, projection_size=16, fashion=_CONV
)
SVDF_CONV_576_8_1_7 = BlockVariant(
    Svdf, output_size=576, memory_size=8, rank=1, projection_size=7, fashion=_CONV
)
SVDF_CONV_32_32_1 = BlockVariant(Svdf, output_size=32, memory_size=32, rank=1, fashion=_CONV)
SVDF_CONV_32_32_1_2 = BlockVariant(
    Svdf, output_size=32, memory_size=32, rank=1, projection_size=2, fashion=_CONV
)
SVDF_CONV_64_4_1_64 = BlockVariant(
    Svdf, output_size=64, memory_size=4, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_128_4_1_64 = BlockVariant(
    Svdf, output_size=128, memory_size=4, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_256_4_1_64 = BlockVariant(
    Svdf, output_size=256, memory_size=4, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_512_4_1_64 = BlockVariant(
    Svdf, output_size=512, memory_size=4, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_1024_4_1_64 = BlockVariant(
    Svdf, output_size=1024, memory_size=4, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_64_8_1_64 = BlockVariant(
    Svdf, output_size=64, memory_size=8, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_128_8_1_64 = BlockVariant(
    Svdf, output_size=128, memory_size=8, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_256_8_1_64 = BlockVariant(
    Svdf, output_size=256, memory_size=8, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_512_8_1_64 = BlockVariant(
    Svdf, output_size=512, memory_size=8, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_1024_8_1_64 = BlockVariant(
    Svdf, output_size=1024, memory_size=8, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_64_16_1_64 = BlockVariant(
    Svdf, output_size=64, memory_size=16, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_128_16_1_64 = BlockVariant(
    Svdf, output_size=128, memory_size=16, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_256_16_1_64 = BlockVariant(
    Svdf, output_size=256, memory_size=16, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_512_16_1_64 = BlockVariant(
    Svdf, output_size=512, memory_size=16, rank=1, projection_size=64, fashion=_CONV
)
SVDF_CONV_1024_16_1_64 = BlockVariant(
    Svdf, output_size=1024, memory_size=16, rank=1, projection_size=64, fashion=_CONV
)
TUNABLE_SVDF = BlockVariant(TunableSvdf)
