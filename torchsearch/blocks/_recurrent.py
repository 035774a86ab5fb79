"""Model Search's sequence blocks in PyTorch: simple RNN, Conv1D ("recurrent dense"), LSTMs.

Ported from the original ``block.py`` (docs/model_search.md, "Blocks") for ``N, T, F``
(batch-first) sequences. Every block here reads the order of the steps (order Y), keeps
``T``, and takes the optional ``lengths`` of the valid steps (``uses_lengths``):
recurrences run on packed sequences, so padded steps never reach a valid one, and every
padded output step is zero. The original ignores ``lengths`` in
these blocks; honouring them only changes what padding could leak.

Layers start from Keras's initial values (Glorot-uniform input kernels, orthogonal
recurrent kernels, zero biases, LSTM forget-gate bias 1), as the image and dense blocks do.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.nn.utils.rnn import pad_packed_sequence

from torchsearch._errors import ConfigError
from torchsearch.blocks._contract import Block
from torchsearch.blocks._contract import BlockVariant
from torchsearch.blocks._contract import BuiltBlock
from torchsearch.blocks._contract import InputKind
from torchsearch.blocks._contract import TensorSpec
from torchsearch.blocks._dense import check_build_input
from torchsearch.blocks._dense import keras_linear
from torchsearch.blocks._dense import positive_int

__all__ = [
    "BidirectionalLstm",
    "Conv1D",
    "Conv1DLayer",
    "Lstm",
    "LstmLayer",
    "SimpleRnn",
    "SimpleRnnLayer",
]


# --------------------------------------------------------------------------- helpers


def step_mask(lengths: Tensor | None, x: Tensor) -> Tensor | None:
    """A ``N, T, 1`` mask of the valid steps of ``x`` (``None`` when all are valid)."""
    if lengths is None:
        return None
    steps = torch.arange(x.shape[1], device=x.device)
    return (steps[None, :] < lengths.to(x.device)[:, None]).unsqueeze(-1).to(x.dtype)


def zero_padded_steps(y: Tensor, lengths: Tensor | None) -> Tensor:
    """``y`` with every step at or after each example's length set to zero."""
    mask = step_mask(lengths, y)
    return y if mask is None else y * mask


def _run_packed(rnn: nn.RNNBase, x: Tensor, lengths: Tensor | None) -> Tensor:
    """The output sequence of ``rnn`` that only ever reads the valid steps of ``x``."""
    if lengths is None:
        return rnn(x)[0]
    # pack_padded_sequence refuses empty sequences: run them on one step, zeroed later.
    valid = lengths.detach().to("cpu", torch.int64).clamp(1, x.shape[1])
    packed = pack_padded_sequence(x, valid, batch_first=True, enforce_sorted=False)
    return pad_packed_sequence(rnn(packed)[0], batch_first=True, total_length=x.shape[1])[0]


def _keras_recurrent_init(rnn: nn.RNNBase, forget_bias: bool) -> None:
    """Keras's initial values: Glorot input kernels, orthogonal recurrent kernels, zero biases.

    With ``forget_bias`` (Keras's ``unit_forget_bias``), an LSTM's forget gate starts at 1.
    """
    hidden = rnn.hidden_size
    for name, parameter in rnn.named_parameters():
        if name.startswith("weight_ih"):  # Glorot over the whole (F, gates * H) kernel.
            nn.init.xavier_uniform_(parameter)
        elif name.startswith("weight_hh"):
            nn.init.orthogonal_(parameter)
        else:
            nn.init.zeros_(parameter)
            if forget_bias and name.startswith("bias_ih"):
                nn.init.ones_(parameter.detach()[hidden : 2 * hidden])  # Gates i, f, g, o.


class _SkipSequence(nn.Module):
    """Base of the sequence layers: an optional skip connection and zeroed padding.

    The skip connection adds the input, through a dense ``projection`` when its width
    differs from the output's (the original's ``_add_projection_if_needed``).
    """

    def __init__(self, in_features: int, out_features: int, skip: bool) -> None:
        super().__init__()
        self.skip = skip
        needs_projection = skip and in_features != out_features
        self.projection = keras_linear(in_features, out_features) if needs_projection else None

    def _finish(self, x: Tensor, y: Tensor, lengths: Tensor | None) -> Tensor:
        if self.skip:
            y = y + (x if self.projection is None else self.projection(x))
        return zero_padded_steps(y, lengths)


# --------------------------------------------------------------------------- layers


class SimpleRnnLayer(_SkipSequence):
    """A tanh ``rnn`` over the valid steps (Keras ``SimpleRNN``), with optional skip.

    Args:
        in_features: features per input step.
        hidden_size: units of the recurrence, the output width.
        skip: add the (projected) input to the output.
    """

    def __init__(self, in_features: int, hidden_size: int, skip: bool = False) -> None:
        super().__init__(in_features, hidden_size, skip)
        self.rnn = nn.RNN(in_features, hidden_size, batch_first=True)
        _keras_recurrent_init(self.rnn, forget_bias=False)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self._finish(x, _run_packed(self.rnn, x, lengths), lengths)


class LstmLayer(_SkipSequence):
    """An ``lstm`` over the valid steps, optionally bidirectional, with optional skip.

    A bidirectional layer concatenates, at each step ``t``, the forward state after
    steps ``0..t`` and the backward state after steps ``length-1..t``.

    Args:
        in_features: features per input step.
        hidden_size: units per direction.
        bidirectional: add a backward direction; the output width is ``2 * hidden_size``.
        skip: add the (projected) input to the output.
    """

    def __init__(
        self, in_features: int, hidden_size: int, bidirectional: bool = False, skip: bool = False
    ) -> None:
        out_features = 2 * hidden_size if bidirectional else hidden_size
        super().__init__(in_features, out_features, skip)
        self.lstm = nn.LSTM(
            in_features, hidden_size, batch_first=True, bidirectional=bidirectional
        )
        _keras_recurrent_init(self.lstm, forget_bias=True)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        # The original concatenates the go_backwards output without reversing it back,
        # so its step t holds the backward state of step T-1-t. torch's bidirectional LSTM
        # aligns both directions in time (and starts the backward pass at each sequence's
        # last valid step): fixed (docs/model_search.md, "Deliberate differences").
        return self._finish(x, _run_packed(self.lstm, x, lengths), lengths)


class Conv1DLayer(_SkipSequence):
    """A 1-D ``conv`` over time, TensorFlow's ``'same'`` padding, optional ReLU and skip.

    Padded input steps are zeroed first, so a kernel wider than one never reads them.

    Args:
        in_features: features per input step.
        out_features: output channels.
        kernel_size: steps under the kernel.
        dilation_rate: spacing of those steps.
        relu: apply a ReLU after the convolution.
        skip: add the (projected) input to the output.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kernel_size: int,
        dilation_rate: int = 1,
        relu: bool = True,
        skip: bool = False,
    ) -> None:
        super().__init__(in_features, out_features, skip)
        self.relu = relu
        # TensorFlow's 'same' padding: the odd cell of an even span goes after the steps.
        total = dilation_rate * (kernel_size - 1)
        self.padding = (total // 2, total - total // 2)
        self.conv = nn.Conv1d(in_features, out_features, kernel_size, dilation=dilation_rate)
        nn.init.xavier_uniform_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)  # type: ignore[arg-type]

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        x = zero_padded_steps(x, lengths)
        y = self.conv(F.pad(x.transpose(1, 2), self.padding)).transpose(1, 2)
        return self._finish(x, F.relu(y) if self.relu else y, lengths)

    def extra_repr(self) -> str:
        return f"padding={self.padding}"


# --------------------------------------------------------------------------- blocks


class _SequenceBlock(Block):
    """A block on ``N, T, F`` sequences that reads step order (order Y) and lengths."""

    input_kinds = frozenset({InputKind.SEQUENCE})
    is_input_order_important = True
    uses_lengths = True

    output_size: int
    skip: bool

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the module for a sequence ``spec``; the output keeps ``T``."""
        check_build_input(self, spec, hparams)
        module, width = self._build(spec.features)
        return BuiltBlock(module, TensorSpec.sequence(width, spec.steps))

    @abc.abstractmethod
    def _build(self, in_features: int) -> tuple[nn.Module, int]:
        """The module and its output width for ``in_features`` features per step."""


class _RecurrentBlock(_SequenceBlock):
    """A recurrent layer of ``output_size`` units, with an optional skip connection.

    Args:
        output_size: units (per direction).
        skip: add the input, projected when the widths differ.
    """

    def __init__(self, output_size: int = 100, skip: bool = False) -> None:
        self.output_size = positive_int(output_size, "output_size")
        self.skip = skip


class SimpleRnn(_RecurrentBlock):
    """A simple (tanh) RNN returning every step, the original ``RnnBlock``."""

    def _build(self, in_features: int) -> tuple[nn.Module, int]:
        return SimpleRnnLayer(in_features, self.output_size, self.skip), self.output_size


class Conv1D(_SequenceBlock):
    """A 1-D convolution over time: ``RECURRENT_DENSE_*``, ``CONV1D_*`` (``Conv1DBlock``).

    The original applies ReLU only when ``kernel_size > 1``, so the kernel-1
    ``RECURRENT_DENSE_*`` blocks are linear. Kept on purpose (docs/model_search.md,
    "Deliberate differences"): the condition is explicit in the original (not an
    omission), the searches it published ran with these linear per-step projections, and
    a linear block between nonlinear sequence blocks is a legitimate choice (e.g. a width
    change). ``activation="relu"`` turns the ReLU on for any kernel.

    Args:
        output_size: output channels.
        kernel_size: steps under the kernel.
        activation: ``None`` for the original's rule (ReLU iff ``kernel_size > 1``),
            ``"relu"`` or ``"linear"`` to choose.
        skip: add the input, projected when the widths differ.
        dilation_rate: spacing of the kernel's steps.
    """

    def __init__(
        self,
        output_size: int = 50,
        kernel_size: int = 1,
        activation: Literal["relu", "linear"] | None = None,
        skip: bool = False,
        dilation_rate: int = 1,
    ) -> None:
        if activation not in (None, "relu", "linear"):
            raise ConfigError(f"activation must be None, 'relu' or 'linear', got {activation!r}.")
        self.output_size = positive_int(output_size, "output_size")
        self.kernel_size = positive_int(kernel_size, "kernel_size")
        self.activation = activation
        self.skip = skip
        self.dilation_rate = positive_int(dilation_rate, "dilation_rate")

    @property
    def applies_relu(self) -> bool:
        """Whether the convolution is followed by a ReLU."""
        if self.activation is None:
            return self.kernel_size > 1  # The original's rule, see the class docstring.
        return self.activation == "relu"

    def _build(self, in_features: int) -> tuple[nn.Module, int]:
        layer = Conv1DLayer(
            in_features,
            self.output_size,
            self.kernel_size,
            self.dilation_rate,
            self.applies_relu,
            self.skip,
        )
        return layer, self.output_size


class Lstm(_RecurrentBlock):
    """An LSTM returning every step, the original ``LSTMBlock``."""

    def _build(self, in_features: int) -> tuple[nn.Module, int]:
        return LstmLayer(in_features, self.output_size, skip=self.skip), self.output_size


class BidirectionalLstm(_RecurrentBlock):
    """Forward and backward LSTMs concatenated, ``2 * output_size`` wide.

    Unlike the original, the backward half is aligned in time with the forward half
    (docs/model_search.md, "Deliberate differences"; see :class:`LstmLayer`).
    """

    def _build(self, in_features: int) -> tuple[nn.Module, int]:
        layer = LstmLayer(in_features, self.output_size, bidirectional=True, skip=self.skip)
        return layer, 2 * self.output_size


# --------------------------------------------------------------------------- lookup names
# The original's registrations.

RNN_CELL_64 = BlockVariant(SimpleRnn, output_size=64)
RNN_CELL_128 = BlockVariant(SimpleRnn, output_size=128)
RNN_CELL_256 = BlockVariant(SimpleRnn, output_size=256)
RNN_CELL_512 = BlockVariant(SimpleRnn, output_size=512)
RNN_CELL_1024 = BlockVariant(SimpleRnn, output_size=1024)
SKIP_RNN_CELL_64 = BlockVariant(SimpleRnn, output_size=64, skip=True)
SKIP_RNN_CELL_128 = BlockVariant(SimpleRnn, output_size=128, skip=True)
SKIP_RNN_CELL_256 = BlockVariant(SimpleRnn, output_size=256, skip=True)
SKIP_RNN_CELL_512 = BlockVariant(SimpleRnn, output_size=512, skip=True)
SKIP_RNN_CELL_1024 = BlockVariant(SimpleRnn, output_size=1024, skip=True)
RECURRENT_DENSE_64 = BlockVariant(Conv1D, output_size=64)
RECURRENT_DENSE_128 = BlockVariant(Conv1D, output_size=128)
RECURRENT_DENSE_256 = BlockVariant(Conv1D, output_size=256)
RECURRENT_DENSE_512 = BlockVariant(Conv1D, output_size=512)
RECURRENT_DENSE_1024 = BlockVariant(Conv1D, output_size=1024)
CONV1D_128_3 = BlockVariant(Conv1D, output_size=128, kernel_size=3)
CONV1D_128_5 = BlockVariant(Conv1D, output_size=128, kernel_size=5)
SKIP_CONV1D_128_3 = BlockVariant(Conv1D, output_size=128, kernel_size=3, skip=True)
SKIP_CONV1D_128_5 = BlockVariant(Conv1D, output_size=128, kernel_size=5, skip=True)
LSTM_128 = BlockVariant(Lstm, output_size=128)
LSTM_256 = BlockVariant(Lstm, output_size=256)
LSTM_512 = BlockVariant(Lstm, output_size=512)
LSTM_1024 = BlockVariant(Lstm, output_size=1024)
SKIP_LSTM_128 = BlockVariant(Lstm, output_size=128, skip=True)
SKIP_LSTM_256 = BlockVariant(Lstm, output_size=256, skip=True)
SKIP_LSTM_512 = BlockVariant(Lstm, output_size=512, skip=True)
SKIP_LSTM_1024 = BlockVariant(Lstm, output_size=1024, skip=True)
BI_LSTM_128 = BlockVariant(BidirectionalLstm, output_size=128)
BI_LSTM_256 = BlockVariant(BidirectionalLstm, output_size=256)
BI_LSTM_512 = BlockVariant(BidirectionalLstm, output_size=512)
BI_LSTM_1024 = BlockVariant(BidirectionalLstm, output_size=1024)
SKIP_BI_LSTM_128 = BlockVariant(BidirectionalLstm, output_size=128, skip=True)
SKIP_BI_LSTM_256 = BlockVariant(BidirectionalLstm, output_size=256, skip=True)
SKIP_BI_LSTM_512 = BlockVariant(BidirectionalLstm, output_size=512, skip=True)
SKIP_BI_LSTM_1024 = BlockVariant(BidirectionalLstm, output_size=1024, skip=True)
