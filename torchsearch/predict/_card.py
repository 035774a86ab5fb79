"""The model card: what a model file needs beside its program to be used on raw inputs
(the input it takes, the classes its outputs mean, what produced it), written as JSON
next to the program and read back without torchsearch's heavier parts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from torchsearch._errors import TorchSearchError

__all__ = ["CARD_FORMAT", "ModelCard", "ModelFileError", "card_path"]

CARD_FORMAT = "torchsearch-model/1"
"""The card's format name; a card of another format is refused."""


class ModelFileError(TorchSearchError):
    """A model file or its card is missing, unreadable or does not fit the inputs."""


@dataclass(frozen=True)
class ModelCard:
    """Everything but the weights.

    Args:
        program: the ``torch.export`` program's file name, beside the card.
        classes: the label each output index stands for (none for regression).
        input_layout: ``flat``, ``image`` or ``sequence``: the raw input's layout.
        input_shape: one raw example's shape (``null`` for a sequence's any length).
        columns: the input columns by name, in order (a CSV with a header), else null.
        data: the data set the model was searched on (``data=NAME``).
        per_step: the model labels every step of a sequence.
        preprocessing: what the program does to raw inputs before the network.
        torchsearch_version: the version that wrote it.
        task: ``classification``, or ``regression`` (the program gives one number per
            input, in the target's units).
        target: a regression target's training ``mean`` and ``std``, which the program
            applies to the network's output; null for classification.
        trial: the trial the model comes from.
        architecture: its towers and hyperparameters.
        validation: its validation metrics.
        test: its test metrics.
        format: :data:`CARD_FORMAT`.
    """

    program: str
    classes: tuple[str, ...]
    input_layout: str
    input_shape: tuple[int | None, ...]
    columns: tuple[str, ...] | None
    data: str
    per_step: bool
    preprocessing: str
    torchsearch_version: str
    task: str = "classification"
    target: Mapping[str, float] | None = None
    trial: int | None = None
    architecture: Mapping[str, Any] = field(default_factory=dict)
    validation: Mapping[str, float] = field(default_factory=dict)
    test: Mapping[str, float] = field(default_factory=dict)
    format: str = CARD_FORMAT

    def write(self, path: Path) -> None:
        """Writes the card as JSON."""
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        """Reads a card.

        Raises:
            ModelFileError: it is missing, not JSON, of another format or incomplete.
        """
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            raise ModelFileError(f"{path} is missing; a model file comes with its card.") from None
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"{path} is not a readable model card: {exc}.") from None
        if not isinstance(raw, dict) or raw.get("format") != CARD_FORMAT:
            raise ModelFileError(f"{path} is not a {CARD_FORMAT} card.")
        try:
            return cls(
                **{
                    **raw,
                    "classes": tuple(str(c) for c in raw["classes"]),
                    "input_shape": tuple(raw["input_shape"]),
                    "columns": None if raw["columns"] is None else tuple(raw["columns"]),
                }
            )
        except (KeyError, TypeError) as exc:
            raise ModelFileError(f"{path} is an incomplete model card: {exc}.") from None


def card_path(program: Path) -> Path:
    """The card of a program file: ``best_model.pt2`` -> ``best_model.json``."""
    return program.with_suffix(".json")
