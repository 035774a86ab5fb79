"""Loading a searched model and predicting with it on raw inputs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from torchsearch.predict._card import ModelCard
from torchsearch.predict._card import ModelFileError
from torchsearch.predict._card import card_path

__all__ = ["MODEL_FILE", "Predictor", "load_model"]

MODEL_FILE = "best_model.pt2"
"""The model file a finished search writes in its run folder."""
BATCH = 1024
"""Inputs per forward pass."""


class Predictor:
    """A searched model on raw inputs: labels (:meth:`predict`) or class probabilities
    (:meth:`predict_proba`), as the data set's own class names; for a regression model,
    numbers in the target's units (:meth:`predict`).

    Args:
        program: the exported program's module (raw inputs in, logits out).
        card: what the model takes and means.
    """

    def __init__(self, program: torch.nn.Module, card: ModelCard) -> None:
        self.program = program
        self.card = card

    @property
    def classes(self) -> tuple[str, ...]:
        """The label of each probability column."""
        return self.card.classes

    @property
    def regression(self) -> bool:
        """Whether the model predicts a number rather than a class."""
        return self.card.task == "regression"

    def logits(self, x: Tensor | np.ndarray | Sequence[Sequence[float]]) -> Tensor:
        """The program's outputs for a batch of raw inputs ``(N, *input_shape)``: the
        logits, or a regression model's ``N`` predictions.

        Raises:
            ModelFileError: the inputs' shape is not the model's.
        """
        batch = torch.as_tensor(np.asarray(x, dtype=np.float32))
        self._check_shape(batch)
        with torch.inference_mode():
            return torch.cat([self.program(part) for part in batch.split(BATCH)])

    def predict_proba(self, x: Tensor | np.ndarray | Sequence[Sequence[float]]) -> Tensor:
        """Class probabilities, ``(N, classes)`` (``(N, T, classes)`` per step).

        Raises:
            ModelFileError: a regression model has no classes.
        """
        if self.regression:
            raise ModelFileError(
                "this model predicts a number (regression), not classes; use predict()."
            )
        return torch.softmax(self.logits(x), dim=-1)

    def predict(self, x: Tensor | np.ndarray | Sequence[Sequence[float]]) -> list[Any]:
        """The most probable label of each input: a label, or a list of one per step for a
        model that labels every step (``card.per_step``); a regression model's number."""
        if self.regression:
            return [float(v) for v in self.logits(x).tolist()]
        best = self.logits(x).argmax(dim=-1)
        if best.dim() == 1:
            return [self.classes[i] for i in best.tolist()]
        return [[self.classes[i] for i in row] for row in best.tolist()]

    def _check_shape(self, batch: Tensor) -> None:
        expected = self.card.input_shape
        got = tuple(batch.shape[1:])
        fits = len(got) == len(expected) and all(
            e is None or e == g for e, g in zip(expected, got, strict=True)
        )
        if batch.dim() < 1 or len(batch) == 0 or not fits:
            shown = ["any" if e is None else e for e in expected]
            raise ModelFileError(
                f"the model takes {self.card.input_layout} inputs of shape (N, "
                f"{', '.join(map(str, shown))}); got {tuple(batch.shape)}."
            )


def load_model(path: str | Path) -> Predictor:
    """The model of a run folder (its ``best_model.pt2``), of a ``.pt2`` file or of its
    ``.json`` card.

    Raises:
        ModelFileError: no model there, or its program or card cannot be read.
    """
    path = Path(path)
    program_file = path / MODEL_FILE if path.is_dir() else path.with_suffix(".pt2")
    if not program_file.is_file():
        where = f"{path} has no {MODEL_FILE}" if path.is_dir() else f"{program_file} is missing"
        raise ModelFileError(
            f"{where}; point to a run folder whose search has finished (it writes the model) "
            "or to its .pt2 file."
        )
    card = ModelCard.read(card_path(program_file))
    try:
        program = torch.export.load(str(program_file)).module()
    except Exception as exc:  # any failure to deserialise is the file's
        raise ModelFileError(f"{program_file} is not a readable model: {exc}.") from None
    return Predictor(program, card)
