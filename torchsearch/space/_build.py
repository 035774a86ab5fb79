"""Turning an architecture into an ``nn.Module`` with stable parameter names.

Parameters are named by tower, position and block name, e.g.
``towers.0.2_RESNET_3X3.conv1.weight``: the same block at the same position has the same
names in two architectures, which is what grafting matches on (Model Search's names
carry a signature of the whole prefix, ours deliberately do not; see
docs/transfer_learning.md). In a CNN tower the flatten block and the dense blocks after
it are numbered from the flatten with an ``f`` prefix (``f0_PLATE_REDUCTION_FLATTEN``,
``f1_FULLY_CONNECTED``), so that growing the tower, by a conv block before the flatten
or a dense block at the end, never renames an existing block.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from torchsearch._errors import ConfigError
from torchsearch._errors import TorchSearchError
from torchsearch.blocks import Block
from torchsearch.blocks import BlockRegistry
from torchsearch.blocks import InputKind
from torchsearch.blocks import TensorSpec
from torchsearch.blocks import get_registry
from torchsearch.space._architecture import Architecture
from torchsearch.space._architecture import ProblemType
from torchsearch.space._ordering import fix_architecture_order

__all__ = ["BlockSummary", "CandidateModel", "Tower", "build_model", "count_parameters"]

DROPOUT_HPARAM = "dropout_rate"
"""Dropout applied after every block while training; a value <= 0 switches it off."""


@dataclass(frozen=True)
class BlockSummary:
    """One row of :meth:`CandidateModel.summary`."""

    tower: int
    key: str
    input: TensorSpec
    output: TensorSpec
    parameters: int


class Tower(nn.Module):
    """A stack of built blocks followed by a logits layer named ``logits``.

    Args:
        blocks: ``(key, module, uses_lengths)`` for each block, input side first.
        output: the spec of the last block's output.
        num_classes: logits per example (or per step).
        problem: decides how the output becomes logits.
        dropout_rate: dropout after every block while training; <= 0 for none.
    """

    def __init__(
        self,
        blocks: Sequence[tuple[str, nn.Module, bool]],
        output: TensorSpec,
        num_classes: int,
        problem: ProblemType,
        dropout_rate: float = 0.0,
    ) -> None:
        super().__init__()
        self._calls: list[tuple[str, bool]] = []
        for key, module, uses_lengths in blocks:
            self.add_module(key, module)
            self._calls.append((key, uses_lengths))
        self.problem = problem
        self.dropout_rate = float(dropout_rate)
        self.output_kind = output.kind
        in_features = output.features if output.kind is not InputKind.IMAGE else output.numel
        self.logits = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        for key, uses_lengths in self._calls:
            block = self._modules[key]
            x = block(x, lengths) if uses_lengths else block(x)
            if self.dropout_rate > 0:
                x = F.dropout(x, self.dropout_rate, self.training)
        if self.output_kind is InputKind.IMAGE:
            x = x.flatten(1)
        elif self.output_kind is InputKind.SEQUENCE and self.problem is ProblemType.RNN_LAST:
            x = last_valid_step(x, lengths)
        return self.logits(x)


class CandidateModel(nn.Module):
    """The model of an architecture: its towers' logits, averaged when there are several.

    Several towers here are one model trained jointly (an architecture given with
    several towers). The search's ensembles of earlier trials, frozen and combined, are
    :class:`torchsearch.exploit.EnsembleModel` (docs/ensembles.md).

    ``forward(x, lengths=None)`` takes a batch of the input spec (and, for sequences,
    the number of valid steps of each example) and returns logits of shape ``N, C``,
    or ``N, T, C`` for ``rnn_all``.
    """

    def __init__(
        self,
        towers: Sequence[Tower],
        architecture: Architecture,
        input_spec: TensorSpec,
        num_classes: int,
        problem: ProblemType,
        summary: Sequence[BlockSummary] = (),
    ) -> None:
        super().__init__()
        self.towers = nn.ModuleList(towers)
        self.architecture = architecture
        self.input_spec = input_spec
        self.num_classes = num_classes
        self.problem = problem
        self._summary = tuple(summary)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if len(self.towers) == 1:
            return self.towers[0](x, lengths)
        return torch.stack([tower(x, lengths) for tower in self.towers]).mean(0)

    @property
    def num_parameters(self) -> int:
        """Trainable parameters, as Model Search's ``num_parameters`` metric counts them."""
        return count_parameters(self)

    def summary(self) -> tuple[BlockSummary, ...]:
        """Each block's key, input and output specs and parameter count, in order."""
        return self._summary

    def extra_repr(self) -> str:
        return f"architecture={self.architecture}, problem={self.problem.value}"


def build_model(
    architecture: Architecture,
    input_spec: TensorSpec,
    num_classes: int,
    problem: ProblemType | str,
    registry: BlockRegistry | None = None,
) -> CandidateModel:
    """Builds the model of ``architecture`` for inputs of ``input_spec``.

    Args:
        architecture: the towers and hyperparameters; ``dropout_rate`` and tunable block
            values (``<BLOCKNAME>_<name>``) are read from its hparams.
        input_spec: the kind and per-example shape of the inputs.
        num_classes: the number of classes (logits per prediction).
        problem: the problem type; CNN towers must be in CNN order.
        registry: where to look the blocks up; the installed registry by default.

    Returns:
        The model, with freshly initialised parameters.

    Raises:
        UnknownBlockError: a block name is not registered.
        ConfigError: a block cannot take its input, or the tower's output cannot feed
            the problem's logits head.
    """
    problem = ProblemType.parse(problem)
    registry = registry or get_registry()
    if num_classes < 1:
        raise ConfigError(f"num_classes must be positive, got {num_classes}.")
    dropout = float(architecture.hparams.get(DROPOUT_HPARAM) or 0.0)
    towers: list[Tower] = []
    summary: list[BlockSummary] = []
    for index, names in enumerate(architecture.towers):
        registry.check(names)
        _check_cnn_order(names, index, problem, registry)
        built, output, rows = _build_tower(
            names, index, input_spec, architecture.hparams, problem, registry
        )
        _check_head(output, index, problem)
        towers.append(Tower(built, output, num_classes, problem, dropout))
        summary.extend(rows)
    return CandidateModel(towers, architecture, input_spec, num_classes, problem, summary)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameter elements of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def last_valid_step(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """``x[n, lengths[n] - 1]`` for each example; the last step when ``lengths`` is None.

    Model Search's RNN_LAST head ignored the lengths and read the last padded step; this
    is the fix (docs/model_search.md, "Deliberate differences").
    """
    if lengths is None:
        return x[:, -1]
    index = (lengths.to(device=x.device, dtype=torch.long) - 1).clamp(min=0)
    return x[torch.arange(x.shape[0], device=x.device), index]


def block_keys(names: Sequence[str], problem: ProblemType, registry: BlockRegistry) -> list[str]:
    """The module key of each block of a tower (see the module docstring)."""
    start = None
    if problem is ProblemType.CNN:
        start = next((i for i, n in enumerate(names) if registry.prototype(n).is_flatten), None)
    return [
        f"f{i - start}_{name}" if start is not None and i >= start else f"{i}_{name}"
        for i, name in enumerate(names)
    ]


def _build_tower(
    names: Sequence[str],
    tower: int,
    spec: TensorSpec,
    hparams: Mapping[str, Any],
    problem: ProblemType,
    registry: BlockRegistry,
) -> tuple[list[tuple[str, nn.Module, bool]], TensorSpec, list[BlockSummary]]:
    built: list[tuple[str, nn.Module, bool]] = []
    rows: list[BlockSummary] = []
    for position, (key, name) in enumerate(
        zip(block_keys(names, problem, registry), names, strict=True)
    ):
        block = registry.prototype(name)
        if not block.accepts(spec):
            kinds = ", ".join(sorted(k.value for k in block.input_kinds))
            raise ConfigError(
                f"Block {name} at position {position} of tower {tower} takes {kinds} inputs "
                f"but receives {spec}; choose blocks that fit the data, or reorder them."
            )
        try:
            module, output = block.build(spec, _block_hparams(name, block, hparams))
        except (TorchSearchError, ValueError) as exc:
            raise ConfigError(
                f"Block {name} at position {position} of tower {tower} cannot take {spec}: {exc}"
            ) from exc
        built.append((key, module, block.uses_lengths))
        rows.append(BlockSummary(tower, key, spec, output, count_parameters(module)))
        spec = output
    return built, spec, rows


def _block_hparams(name: str, block: Block, hparams: Mapping[str, Any]) -> dict[str, Any]:
    """The tunable values of ``block``: ``<NAME>_<hp>`` entries, unprefixed."""
    return {
        hp: hparams[f"{name}_{hp}"] for hp in block.hyperparameters() if f"{name}_{hp}" in hparams
    }


def _check_cnn_order(
    names: Sequence[str], tower: int, problem: ProblemType, registry: BlockRegistry
) -> None:
    if problem is not ProblemType.CNN:
        return
    fixed = fix_architecture_order(names, problem, registry)
    if tuple(names) != fixed:
        raise ConfigError(
            f"CNN tower {tower} {list(names)} is not in CNN order (conv blocks, one flatten, "
            f"dense blocks); use fix_architecture_order, which gives {list(fixed)}."
        )


def _check_head(output: TensorSpec, tower: int, problem: ProblemType) -> None:
    sequence = output.kind is InputKind.SEQUENCE
    if problem in (ProblemType.DNN, ProblemType.CNN) and sequence:
        raise ConfigError(
            f"Tower {tower} ends with {output}, but problem type {problem.value} predicts one "
            "label per example; use rnn_last (or rnn_all) for sequence models."
        )
    if problem is ProblemType.RNN_ALL and not sequence:
        raise ConfigError(
            f"Tower {tower} ends with {output}, but rnn_all predicts a label per step; "
            "keep the tower's output a sequence."
        )
