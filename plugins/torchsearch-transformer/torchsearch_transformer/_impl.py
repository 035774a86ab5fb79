"""Attention blocks for torchsearch: Transformer encoder layers, self-attention, positions.

Model Search's catalogue mixes steps of a sequence with convolutions, recurrent cells and
SVDF, never with attention. This module adds attention through torchsearch's public Block
contract only, so it installs as an ordinary plugin (entry-point group
``torchsearch.blocks``) and touches nothing inside torchsearch.

Two input layouts are handled the same way by every attention block:

- **Sequences** ``N, T, F`` are projected to ``d_model`` features per step (a linear layer,
  skipped when ``F == d_model``). The tower's ``lengths`` become a key padding mask, so
  padded steps never influence valid ones, and the padded outputs are set to zero. The
  output is ``N, T, d_model``.
- **Flat vectors** ``N, F`` are read as ``F`` tokens, one per feature: token ``i`` is
  ``x[:, i] * w_i + b_i`` with its own learned ``w_i, b_i`` of ``d_model`` features (the
  feature tokenizer of FT-Transformer, Gorishniy et al. 2021), which tells the tokens
  apart without a positional encoding. After attention the tokens are mean-pooled, so
  the output is ``N, d_model``. ``lengths`` is ignored.

Positional encodings take sequences only: attention is blind to order, and they are
how order gets in.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import torch
import torchsearch
from torch import nn
from torchsearch.blocks import Block
from torchsearch.blocks import BlockVariant
from torchsearch.blocks import BuiltBlock
from torchsearch.blocks import Choice
from torchsearch.blocks import Hyperparameter
from torchsearch.blocks import InputKind
from torchsearch.blocks import IntRange
from torchsearch.blocks import TensorSpec

__all__ = [
    "BLOCK_VARIANTS",
    "LearnedPositionalEncoding",
    "PositionalEncoding",
    "SelfAttention",
    "SequenceTooLongError",
    "TransformerEncoder",
    "TunableTransformerEncoder",
    "sinusoidal_table",
]

_ATTENTION_KINDS = frozenset({InputKind.FLAT, InputKind.SEQUENCE})
_SEQUENCE_ONLY = frozenset({InputKind.SEQUENCE})


class SequenceTooLongError(torchsearch.DataError, ValueError):
    """A sequence has more steps than a learned positional encoding covers."""


# --------------------------------------------------------------------------- blocks


class _AttentionBlock(Block):
    """Shared input handling of the attention blocks (see the module docstring).

    Subclasses implement :meth:`_mixer`, which builds the layer that mixes tokens of
    ``d_model`` features and is called as ``mixer(h, src_key_padding_mask=mask)``.
    """

    input_kinds = _ATTENTION_KINDS
    uses_lengths = True
    is_input_order_important = False

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the block for a sequence or flat ``spec``.

        Returns:
            The module and ``sequence(d_model, T)`` or ``flat(d_model)``.

        Raises:
            ConfigError: ``spec`` is an image, or the hyperparameters do not fit together.
        """
        d_model, mixer = self._mixer(self.resolve_hparams(hparams))
        if spec.kind is InputKind.SEQUENCE:
            project = _projection(spec.features, d_model)
            return BuiltBlock(SequenceMixer(project, mixer), spec.with_shape(spec.steps, d_model))
        if spec.kind is InputKind.FLAT:
            tokenize = FeatureTokenizer(spec.features, d_model)
            return BuiltBlock(FlatMixer(tokenize, mixer), TensorSpec.flat(d_model))
        raise torchsearch.ConfigError(
            f"{type(self).__name__} takes flat or sequence inputs, got {spec}."
        )

    @abc.abstractmethod
    def _mixer(self, values: Mapping[str, Any]) -> tuple[int, nn.Module]:
        """``(d_model, token mixer)`` for the resolved hyperparameter ``values``."""


class TransformerEncoder(_AttentionBlock):
    """One pre-norm Transformer encoder layer (self-attention, then a GELU feed-forward).

    ``is_input_order_important`` is ``False``: without a positional encoding, self-attention
    and the per-step feed-forward are permutation-equivariant over steps (permuting the
    valid steps permutes the output), so the layer reads which steps exist, not their
    order; put ``POSITIONAL_ENCODING`` before it for that. In a CNN tower the flag places
    the block after the flatten, where it gets the flat input it accepts.

    Args:
        d_model: features per token, and of the output.
        heads: attention heads; must divide ``d_model``.
        ff_multiplier: the feed-forward layer has ``ff_multiplier * d_model`` units.
        dropout: dropout inside the layer while training.
    """

    def __init__(
        self, d_model: int, heads: int = 4, ff_multiplier: int = 4, dropout: float = 0.0
    ) -> None:
        _check_widths(d_model, heads, ff_multiplier)
        self.d_model = d_model
        self.heads = heads
        self.ff_multiplier = ff_multiplier
        self.dropout = dropout

    def _mixer(self, values: Mapping[str, Any]) -> tuple[int, nn.Module]:
        layer = _encoder_layer(self.d_model, self.heads, self.ff_multiplier, self.dropout)
        return self.d_model, layer


class TunableTransformerEncoder(_AttentionBlock):
    """:class:`TransformerEncoder` with width, heads and feed-forward size tuned by the search.

    The search sets ``TUNABLE_TRANSFORMER_ENCODER_d_model`` etc. in the architecture's
    hparams; unset values take the defaults of :meth:`hyperparameters`. The order flag is
    ``False`` for the reason given on :class:`TransformerEncoder`.

    Args:
        dropout: dropout inside the layer while training.
    """

    def __init__(self, dropout: float = 0.0) -> None:
        self.dropout = dropout

    def hyperparameters(self) -> Mapping[str, Hyperparameter]:
        """``d_model`` in {32, 64, 128}, ``heads`` in {1, 2, 4, 8}, ``ff_multiplier`` 1-4."""
        return {
            "d_model": Choice((32, 64, 128), default=64),
            "heads": Choice((1, 2, 4, 8), default=4),
            "ff_multiplier": IntRange(1, 4, default=2),
        }

    def _mixer(self, values: Mapping[str, Any]) -> tuple[int, nn.Module]:
        d_model, heads, ff = (int(values[k]) for k in ("d_model", "heads", "ff_multiplier"))
        _check_widths(d_model, heads, ff)
        return d_model, _encoder_layer(d_model, heads, ff, self.dropout)


class SelfAttention(_AttentionBlock):
    """One multi-head self-attention layer with a residual and layer norm: ``norm(h + attn(h))``.

    Post-norm ("add & norm"), so the next block gets normalised features; there is no
    feed-forward (that is :class:`TransformerEncoder`). ``is_input_order_important`` is
    ``False``: self-attention is permutation-equivariant over steps, as explained on
    :class:`TransformerEncoder`.

    Args:
        d_model: features per token, and of the output.
        heads: attention heads; must divide ``d_model``.
        dropout: dropout on the attention weights and the residual branch while training.
    """

    def __init__(self, d_model: int, heads: int = 4, dropout: float = 0.0) -> None:
        _check_widths(d_model, heads, 1)
        self.d_model = d_model
        self.heads = heads
        self.dropout = dropout

    def _mixer(self, values: Mapping[str, Any]) -> tuple[int, nn.Module]:
        return self.d_model, ResidualSelfAttention(self.d_model, self.heads, self.dropout)


class PositionalEncoding(Block):
    """Adds the sinusoidal encoding of Vaswani et al. (2017) to each step; no parameters.

    Takes sequences only: a flat vector has no steps, and the attention blocks already
    give each flat feature its own embedding. Works for any number of steps (declared or
    ``None``) and any ``F``, odd included (the last cosine column is dropped). Padded
    steps get the encoding too; the blocks after it mask them. ``is_input_order_important``
    is ``True``: the output depends on each step's position.

    Args:
        base: the wavelength scale; column pair ``i`` has period ``2 pi base^(2i/F)``.
    """

    input_kinds = _SEQUENCE_ONLY
    is_input_order_important = True

    def __init__(self, base: float = 10000.0) -> None:
        self.base = base

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the module; the output spec equals ``spec``."""
        self.resolve_hparams(hparams)
        _require_sequence(self, spec)
        return BuiltBlock(AddSinusoid(self.base), spec)


class LearnedPositionalEncoding(Block):
    """Adds a learned ``max_steps, F`` table of position embeddings to each step.

    Takes sequences of at most ``max_steps`` steps: :meth:`accepts` rejects a longer
    declared length, and a longer batch raises :class:`SequenceTooLongError` at forward
    time (there is no embedding to add beyond the table). ``is_input_order_important``
    is ``True``: the output depends on each step's position.

    Args:
        max_steps: the longest sequence it can encode.
    """

    input_kinds = _SEQUENCE_ONLY
    is_input_order_important = True

    def __init__(self, max_steps: int = 64) -> None:
        if max_steps < 1:
            raise torchsearch.ConfigError(f"max_steps must be positive, got {max_steps}.")
        self.max_steps = max_steps

    def accepts(self, spec: TensorSpec) -> bool:
        """Sequences whose declared steps are unknown or at most ``max_steps``."""
        return spec.kind is InputKind.SEQUENCE and (spec.steps or 0) <= self.max_steps

    def build(self, spec: TensorSpec, hparams: Mapping[str, Any] | None = None) -> BuiltBlock:
        """Builds the module; the output spec equals ``spec``.

        Raises:
            ConfigError: ``spec`` is not a sequence, or declares more than ``max_steps``.
        """
        self.resolve_hparams(hparams)
        _require_sequence(self, spec)
        if not self.accepts(spec):
            raise torchsearch.ConfigError(
                f"{type(self).__name__} covers at most {self.max_steps} steps, got {spec}; "
                "use POSITIONAL_ENCODING, which has no limit."
            )
        return BuiltBlock(AddLearnedPositions(self.max_steps, spec.features), spec)


# --------------------------------------------------------------------------- modules


class SequenceMixer(nn.Module):
    """``N, T, F -> N, T, d``: projection, token mixing under the padding mask, zeroed padding.

    Args:
        project: maps ``F`` features per step to ``d``.
        mixer: called as ``mixer(h, src_key_padding_mask=mask)`` on ``N, T, d``.
    """

    def __init__(self, project: nn.Module, mixer: nn.Module) -> None:
        super().__init__()
        self.project = project
        self.mixer = mixer

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        h = self.project(x)
        padded = padding_mask(lengths, x.shape[1], x.device)
        if padded is None:
            return self.mixer(h)
        # A sequence with no valid step would softmax over nothing (NaN); let it attend to
        # its padding instead, since its outputs are zeroed anyway.
        attend = padded & ~padded.all(dim=1, keepdim=True)
        h = self.mixer(h, src_key_padding_mask=attend)
        return h.masked_fill(padded.unsqueeze(-1), 0.0)


class FlatMixer(nn.Module):
    """``N, F -> N, d``: one token per feature, token mixing, then the mean over tokens.

    Args:
        tokenize: maps ``N, F`` to ``N, F, d``.
        mixer: mixes the ``F`` tokens.
    """

    def __init__(self, tokenize: nn.Module, mixer: nn.Module) -> None:
        super().__init__()
        self.tokenize = tokenize
        self.mixer = mixer

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        del lengths  # a flat vector has no steps to mask
        return self.mixer(self.tokenize(x)).mean(dim=1)


class FeatureTokenizer(nn.Module):
    """Token ``i`` of ``N, F`` is ``x[:, i] * weight[i] + bias[i]``: ``N, F, d``.

    Args:
        features: ``F``.
        d_model: ``d``.
    """

    def __init__(self, features: int, d_model: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(d_model)
        self.weight = nn.Parameter(torch.empty(features, d_model).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(features, d_model).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unsqueeze(-1) * self.weight + self.bias


class ResidualSelfAttention(nn.Module):
    """``norm(x + dropout(attention(x, x, x)))`` with an optional key padding mask.

    Args:
        d_model: features per token.
        heads: attention heads.
        dropout: dropout on the attention weights and the residual branch.
    """

    def __init__(self, d_model: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model)

    def forward(
        self, x: torch.Tensor, src_key_padding_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        out, _ = self.attention(x, x, x, key_padding_mask=src_key_padding_mask, need_weights=False)
        return self.norm(x + self.dropout(out))


class AddSinusoid(nn.Module):
    """``x + sinusoidal_table(T, F)``, computed for each batch's own ``T``."""

    def __init__(self, base: float) -> None:
        super().__init__()
        self.base = base

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        table = sinusoidal_table(x.shape[1], x.shape[2], base=self.base, device=x.device)
        return x + table.to(x.dtype)

    def extra_repr(self) -> str:
        return f"base={self.base}"


class AddLearnedPositions(nn.Module):
    """``x + table[:T]`` with a learned ``max_steps, F`` table.

    Raises:
        SequenceTooLongError: at forward time, when ``T > max_steps``.
    """

    def __init__(self, max_steps: int, features: int) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.randn(max_steps, features) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps, max_steps = x.shape[1], self.table.shape[0]
        if steps > max_steps:
            raise SequenceTooLongError(
                f"A batch of {steps} steps reached a learned positional encoding that covers "
                f"at most {max_steps}; truncate the sequences or use POSITIONAL_ENCODING."
            )
        return x + self.table[:steps]


# --------------------------------------------------------------------------- helpers


def sinusoidal_table(
    steps: int, features: int, *, base: float = 10000.0, device: torch.device | None = None
) -> torch.Tensor:
    """The ``steps, features`` sinusoidal position table, in float32.

    Column ``2i`` is ``sin(t / base^(2i/F))`` and column ``2i + 1`` the matching cosine;
    an odd ``F`` drops the last cosine.
    """
    position = torch.arange(steps, dtype=torch.float32, device=device).unsqueeze(1)
    pairs = torch.arange((features + 1) // 2, dtype=torch.float32, device=device)
    angles = position * torch.exp(pairs * (-2.0 * math.log(base) / features))
    return torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(1)[:, :features]


def padding_mask(
    lengths: torch.Tensor | None, steps: int, device: torch.device
) -> torch.Tensor | None:
    """``N, T`` booleans, true at padded steps (``t >= lengths[n]``); ``None`` without lengths."""
    if lengths is None:
        return None
    lengths = torch.as_tensor(lengths, device=device).long()
    return torch.arange(steps, device=device) >= lengths.unsqueeze(1)


def _projection(features: int, d_model: int) -> nn.Module:
    return nn.Identity() if features == d_model else nn.Linear(features, d_model)


def _encoder_layer(d_model: int, heads: int, ff_multiplier: int, dropout: float) -> nn.Module:
    return nn.TransformerEncoderLayer(
        d_model,
        heads,
        dim_feedforward=ff_multiplier * d_model,
        dropout=dropout,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    )


def _check_widths(d_model: int, heads: int, ff_multiplier: int) -> None:
    if min(d_model, heads, ff_multiplier) < 1 or d_model % heads:
        raise torchsearch.ConfigError(
            f"An attention block needs positive widths with heads dividing d_model; got "
            f"d_model={d_model}, heads={heads}, ff_multiplier={ff_multiplier}."
        )


def _require_sequence(block: Block, spec: TensorSpec) -> None:
    if spec.kind is not InputKind.SEQUENCE:
        raise torchsearch.ConfigError(f"{type(block).__name__} takes sequences, got {spec}.")


# --------------------------------------------------------------------------- catalogue

TRANSFORMER_ENCODER_32 = BlockVariant(TransformerEncoder, d_model=32)
TRANSFORMER_ENCODER_64 = BlockVariant(TransformerEncoder, d_model=64)
TRANSFORMER_ENCODER_128 = BlockVariant(TransformerEncoder, d_model=128)
TUNABLE_TRANSFORMER_ENCODER = BlockVariant(TunableTransformerEncoder)
SELF_ATTENTION_32 = BlockVariant(SelfAttention, d_model=32)
SELF_ATTENTION_64 = BlockVariant(SelfAttention, d_model=64)
SELF_ATTENTION_128 = BlockVariant(SelfAttention, d_model=128)
POSITIONAL_ENCODING = BlockVariant(PositionalEncoding)
LEARNED_POSITIONAL_ENCODING_64 = BlockVariant(LearnedPositionalEncoding, max_steps=64)

BLOCK_VARIANTS: Mapping[str, BlockVariant] = MappingProxyType(
    {name: value for name, value in globals().items() if isinstance(value, BlockVariant)}
)
"""Every lookup name this plugin registers, with its variant (pyproject.toml's table)."""
