"""Exporting a searched model as one program that takes raw inputs: the data's scaling
and the layout change the search applied are part of it, so plain ``torch`` runs it."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import torch
from torch import Tensor
from torch import nn

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
    training statistics, changed to the layout the model takes, then the model's logits.

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

    def forward(self, x: Tensor) -> Tensor:
        """Logits for a batch of raw inputs."""
        x = x.to(self.mean.dtype)
        if self.scaled:
            x = (x - self.mean) / self.std
        return self.model(convert_layout(x, self.source, self.target))


def export_model(model: nn.Module, data: DataSplits, path: Path, card: ModelCard) -> bool:
    """Writes ``model`` behind its preprocessing with ``torch.export`` to ``path`` and its
    card beside it (``best_model.pt2`` and ``best_model.json``). The card's input shape is
    the program's: sequences of any length are taken padded to the data's longest.

    Returns:
        False (and logs why) when the model cannot be exported; the checkpoint and the
        architecture still rebuild it.
    """
    wrapped = RawInputModel(model, data).eval()
    assert data.source_spec is not None
    example = convert_layout(data.test.x[:2], data.input_spec, data.source_spec).contiguous()
    if data.standardization is not None:  # back to raw values (only shapes matter here)
        example = example * data.standardization.std + data.standardization.mean
    batch = torch.export.Dim("batch", min=1)
    try:
        program = torch.export.export(wrapped, (example,), dynamic_shapes=({0: batch},))
        write_atomically(path, lambda partial: torch.export.save(program, str(partial)))
    except Exception as exc:  # export support varies by layer; the checkpoint remains
        _log.warning("Could not export the best model with torch.export: %s", exc)
        return False
    card = dataclasses.replace(card, input_shape=tuple(example.shape[1:]))
    write_atomically(card_path(path), card.write)
    return True
