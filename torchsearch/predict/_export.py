"""Exporting a searched model as one program that takes raw inputs: the data's scaling
and the layout change the search applied are part of it, so plain ``torch`` runs it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch import nn

from torchsearch import __version__
from torchsearch._files import write_atomically
from torchsearch.blocks import TensorSpec
from torchsearch.data import DataSplits
from torchsearch.data import convert_layout
from torchsearch.predict._card import ModelCard
from torchsearch.predict._card import card_path

__all__ = ["RawInputModel", "export_model"]

_log = logging.getLogger("torchsearch")


class RawInputModel(nn.Module):
    """A model behind the preprocessing its data had: raw inputs in the data set's own
    layout (CSV columns, image pixels, sequence steps), standardised or scaled with the
    training statistics, changed to the layout the model takes, then the model's logits;
    for regression, its one output per example turned back into the target's units
    (``N`` numbers).

    Args:
        model: the trained network.
        data: the data it was searched on (its scaling and layouts).
    """

    def __init__(self, model: nn.Module, data: DataSplits) -> None:
        super().__init__()
        self.model = model
        assert data.source_spec is not None
        self.source: TensorSpec = data.source_spec
        self.target: TensorSpec = data.input_spec
        scaling = data.standardization
        self.scaled = scaling is not None
        self.register_buffer("mean", scaling.mean.clone() if scaling else torch.zeros(()))
        self.register_buffer("std", scaling.std.clone() if scaling else torch.ones(()))
        target = data.target_scaling
        self.regression = target is not None
        self.register_buffer("y_mean", target.mean.clone() if target else torch.zeros(()))
        self.register_buffer("y_std", target.std.clone() if target else torch.ones(()))

    def forward(self, x: Tensor) -> Tensor:
        """Logits (or, for regression, predictions) for a batch of raw inputs."""
        x = x.to(self.mean.dtype)
        if self.scaled:
            x = (x - self.mean) / self.std
        out = self.model(convert_layout(x, self.source, self.target))
        if self.regression:
            return out[..., 0] * self.y_std + self.y_mean
        return out


def export_model(
    model: nn.Module,
    data: DataSplits,
    path: Path,
    *,
    trial: int | None = None,
    architecture: Mapping[str, Any] | None = None,
    validation: Mapping[str, float] | None = None,
    test: Mapping[str, float] | None = None,
) -> bool:
    """Writes ``model`` behind its preprocessing with ``torch.export`` to ``path`` and its
    card beside it (``best_model.pt2`` and ``best_model.json``): what it takes and means
    from ``data``, where it comes from from the other arguments. The card's input shape
    is the program's: sequences of any length are taken padded to the data's longest.

    Returns:
        False (and logs why) when the model cannot be exported; the checkpoint and the
        architecture still rebuild it.
    """
    wrapped = RawInputModel(model, data).eval()
    assert data.source_spec is not None
    # Only the example's shape matters to the export: scaled values serve as raw ones.
    example = convert_layout(data.test.x[:2], data.input_spec, data.source_spec).contiguous()
    batch = torch.export.Dim("batch", min=1)
    try:
        program = torch.export.export(wrapped, (example,), dynamic_shapes=({0: batch},))
        write_atomically(path, lambda partial: torch.export.save(program, str(partial)))
    except Exception as exc:  # export support varies by layer; the checkpoint remains
        _log.warning("Could not export the best model with torch.export: %s", exc)
        return False
    card = ModelCard(
        program=path.name,
        classes=data.class_names or tuple(str(i) for i in range(data.num_classes)),
        task=data.task,
        target=_target(data),
        input_layout=data.source_spec.kind.value,
        input_shape=tuple(example.shape[1:]),
        columns=data.feature_names,
        data=data.name,
        per_step=data.per_step,
        preprocessing=_preprocessing(data),
        torchsearch_version=__version__,
        trial=trial,
        architecture=dict(architecture or {}),
        validation={k: float(v) for k, v in (validation or {}).items()},
        test={k: float(v) for k, v in (test or {}).items()},
    )
    write_atomically(card_path(path), card.write)
    return True


def _target(data: DataSplits) -> dict[str, float] | None:
    """A regression target's training mean and standard deviation, which the program
    applies to its outputs; ``None`` for classes."""
    target = data.target_scaling
    if target is None:
        return None
    return {"mean": float(target.mean), "std": float(target.std)}


def _preprocessing(data: DataSplits) -> str:
    """What the program does to raw inputs before the network, in words."""
    scaling = data.standardization
    steps = []
    if scaling is not None and scaling.mean.dim() == 0:
        steps.append(f"divides by {float(scaling.std):g}")
    elif scaling is not None:
        steps.append("standardises each feature with the training mean and std")
    if data.source_spec != data.input_spec:
        steps.append(f"reshapes {data.source_spec} to {data.input_spec}")
    return "; ".join(steps) or "none"
