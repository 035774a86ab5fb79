"""Reading what a model is asked to predict on: a CSV file, an npz file or a folder of
images, into one batch of raw inputs in the layout the model's card names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from torchsearch.data import IMAGE_EXTENSIONS
from torchsearch.data import is_image_file
from torchsearch.data import read_images
from torchsearch.data import read_table
from torchsearch.predict._card import ModelCard
from torchsearch.predict._card import ModelFileError

__all__ = ["Inputs", "read_inputs"]

Inputs = tuple[Tensor, list[str]]
"""A batch of raw inputs and a name for each (a row number, an array index, a file)."""

_DELIMITERS = {".tsv": "\t"}


def read_inputs(path: Path, card: ModelCard) -> Inputs:
    """The inputs in ``path`` (``.csv``/``.tsv``/``.txt``, ``.npz``, or a folder of images).

    Raises:
        ModelFileError: the path is missing or of another kind, or its inputs do not fit
            the model (columns, shape).
        DataError: a file cannot be read (a value that is not a number, an unreadable
            image).
    """
    if path.is_dir():
        return _images(path, card)
    if not path.is_file():
        raise ModelFileError(f"{path} does not exist; give a CSV or npz file or an image folder.")
    if path.suffix.lower() == ".npz":
        return _npz(path, card)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return _csv(path, card)
    raise ModelFileError(
        f"{path.name}: give a .csv (or .tsv) file, an .npz file or a folder of images."
    )


def _csv(path: Path, card: ModelCard) -> Inputs:
    if card.input_layout != "flat":
        raise ModelFileError(
            f"this model takes {card.input_layout} inputs of shape {list(card.input_shape)}, "
            f"not CSV rows; give an {_natural(card)}."
        )
    header = True if card.columns is not None else "auto"
    delimiter = _DELIMITERS.get(path.suffix.lower(), ",")
    table = read_table(path, delimiter=delimiter, header=header, dataset="csv")
    if card.columns is not None:
        missing = [c for c in card.columns if c not in table.columns]
        if missing:
            raise ModelFileError(
                f"{path.name} lacks the column(s) {', '.join(missing)}; the model takes "
                f"{', '.join(card.columns)} (other columns are ignored)."
            )
        picked = [table.columns.index(c) for c in card.columns]
    else:
        wanted = int(card.input_shape[0] or 0)
        if len(table.columns) != wanted:
            raise ModelFileError(
                f"{path.name} has {len(table.columns)} columns; the model takes {wanted} "
                "(the features in training order, without the label)."
            )
        picked = list(range(wanted))
    x = table.numeric_columns(picked)
    return torch.from_numpy(x.astype(np.float32)), [str(i + 1) for i in range(len(x))]


def _npz(path: Path, card: ModelCard) -> Inputs:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            names = list(arrays.files)
            key = "x" if "x" in names else (names[0] if len(names) == 1 else None)
            if key is None:
                raise ModelFileError(
                    f"{path.name} holds {', '.join(names)}; name the inputs' array x."
                )
            x = np.asarray(arrays[key])
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path.name} is not a readable npz file: {exc}.") from None
    if not np.issubdtype(x.dtype, np.number):
        raise ModelFileError(f"{path.name}: the array {key} is not numeric ({x.dtype}).")
    return torch.from_numpy(x.astype(np.float32)), [str(i) for i in range(len(x))]


def _images(folder: Path, card: ModelCard) -> Inputs:
    if card.input_layout != "image":
        raise ModelFileError(
            f"this model takes {card.input_layout} inputs, not images; give an {_natural(card)}."
        )
    files = sorted(p for p in folder.rglob("*") if is_image_file(p))
    if not files:
        raise ModelFileError(
            f"{folder} holds no images (names ending in {', '.join(IMAGE_EXTENSIONS)})."
        )
    channels, height, width = (int(d or 0) for d in card.input_shape)
    x = read_images(files, channels, (height, width))
    return torch.from_numpy(x), [str(f.relative_to(folder)) for f in files]


def _natural(card: ModelCard) -> str:
    return {"flat": "CSV file", "image": "image folder"}.get(card.input_layout, "npz file")
