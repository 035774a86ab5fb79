"""Each shipped space learns on its natural data within the default training budget.

A space ported as Model Search wrote it can score chance here (its CNN space did on
digits: 57-step trials, rates decayed thousands of times, plain SGD at 1e-4); the space
configs say what they change and why. Each search is short (two or three trials of the
default ten epochs) and must clear the majority-class baseline (about 0.10 on digits) by
far.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_helpers import compose_config
from PIL import Image
from sklearn.datasets import load_digits

from torchsearch.driver import run_search

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("space", "per_step"),
    [("rnn_all", "true"), ("rnn_last", "false")],
)
def test_a_short_search_learns_random_walks(tmp_path: Path, space: str, per_step: str) -> None:
    # Each step's label is the sign of the walk so far: about half the steps either way,
    # so 0.5 is what a model without memory of the sum reaches.
    config = compose_config(
        "data=random_walk",
        f"data.per_step={per_step}",
        "data.examples=1000",
        "data.max_steps=20",
        f"space={space}",
        "space.maximum_depth=1",  # the 1024-unit cells and LSTMs take minutes deeper
        "search.n_trials=3",
        fast=False,
    )
    best = run_search(config, tmp_path)
    assert best is not None
    assert best.test["accuracy"] >= 0.8, best


@pytest.mark.parametrize(
    ("space", "trials", "least_test_accuracy"),
    [
        ("dnn", 2, 0.85),  # digits as 64 flat features
        ("cnn", 3, 0.95),  # digits as 1x8x8 images
        ("rnn_last", 3, 0.5),  # digits as 64 steps of one feature
    ],
)
def test_a_short_search_learns_digits(
    tmp_path: Path, space: str, trials: int, least_test_accuracy: float
) -> None:
    config = compose_config(f"space={space}", f"search.n_trials={trials}", fast=False)
    best = run_search(config, tmp_path)
    assert best is not None
    assert best.test["accuracy"] >= least_test_accuracy, best


def test_dnn_learns_a_csv_file(tmp_path: Path) -> None:
    # Digits written as a CSV table: 64 pixel columns and a label column.
    x, y = load_digits(return_X_y=True)
    table = np.column_stack([x, y])
    header = ",".join([*(f"p{i}" for i in range(64)), "digit"])
    path = tmp_path / "digits.csv"
    np.savetxt(path, table, fmt="%g", delimiter=",", header=header, comments="")
    config = compose_config(
        "data=csv", f"data.path={path}", "data.label=digit", "search.n_trials=2", fast=False
    )
    best = run_search(config, tmp_path / "run")
    assert best is not None
    assert best.test["accuracy"] >= 0.85, best


def test_cnn_learns_an_image_folder(tmp_path: Path) -> None:
    # Digits saved as 8x8 grayscale PNG files, one folder per class.
    images, labels = load_digits(return_X_y=True)
    for i, (pixels, label) in enumerate(zip(images, labels, strict=True)):
        folder = tmp_path / "photos" / f"digit_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        grey = (pixels.reshape(8, 8) * 255 / 16).astype(np.uint8)
        Image.fromarray(grey, mode="L").save(folder / f"{i}.png")
    config = compose_config(
        "data=images",
        f"data.path={tmp_path / 'photos'}",
        "data.channels=1",
        "data.image_size=[8,8]",
        "space=cnn",
        "search.n_trials=3",
        fast=False,
    )
    best = run_search(config, tmp_path / "run")
    assert best is not None
    assert best.test["accuracy"] >= 0.9, best


def test_cnn1d_learns_mnist1d(tmp_path: Path) -> None:
    # The space's first trial is its suggestion; the second a mutation of it.
    config = compose_config("data=mnist1d", "space=cnn1d", "search.n_trials=2", fast=False)
    best = run_search(config, tmp_path)
    assert best is not None
    assert best.test["accuracy"] >= 0.9, best
