"""``best.json``: the chosen trial and its held-out test score, written once per choice.

The end of a search writes it (``torchsearch.driver``); a rerun of a finished search and
``torchsearch report`` read it back, so the test split is scored once for each model
chosen, never again to show the same figure.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import fields
from pathlib import Path
from typing import Any

from torchsearch._files import write_atomically
from torchsearch._secrets import PRIVATE_MODE

__all__ = ["BEST_FILE", "BestModel", "best_line", "read_best", "write_best"]

BEST_FILE = "best.json"
"""Its name in the run folder."""


@dataclass(frozen=True)
class BestModel:
    """What ``best.json`` holds: the chosen trial and its held-out test score.

    The choice is made on the validation metric; ``test`` is measured once, for this
    model only: no reported figure picks the best of many on test.
    """

    trial: int
    kind: str
    members: list[int] | None
    teacher: int | None
    architecture: dict[str, Any]
    hyperparameters: dict[str, Any]
    parameters: int
    validation: dict[str, float]
    test: dict[str, float]
    checkpoint: str
    model_file: str | None
    study: str
    storage: str
    objective: str


def write_best(best: BestModel, path: Path) -> Path:
    """Writes ``best`` as indented JSON to ``path``; returns the path."""
    text = json.dumps(asdict(best), indent=2, sort_keys=False) + "\n"
    return write_atomically(path, lambda partial: partial.write_text(text), mode=PRIVATE_MODE)


def read_best(path: Path) -> BestModel | None:
    """The :class:`BestModel` in ``path``; ``None`` when there is none or it does not read
    as one (hand-edited, or written by another version): the caller chooses again."""
    try:
        data = json.loads(path.read_text())
        return BestModel(**{f.name: data[f.name] for f in fields(BestModel)})
    except (OSError, ValueError, TypeError, KeyError):
        return None


def best_line(best: BestModel, metric: str) -> str:
    """``Best: trial 10, 9,610 parameters, validation accuracy 0.9304, test accuracy
    0.9250``: the objective's metric on both splits (every test metric when the test
    has not that one)."""
    parts = [f"Best: trial {best.trial}", f"{best.parameters:,} parameters"]
    if metric in best.validation:
        parts.append(f"validation {metric} {_number(best.validation[metric])}")
    test = {metric: best.test[metric]} if metric in best.test else best.test
    parts += [f"test {name} {_number(value)}" for name, value in test.items()]
    return ", ".join(parts)


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else str(value)
