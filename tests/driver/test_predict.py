"""A searched model used as a person would: ``best_model.pt2`` with its card, loaded by
``torchsearch.load_model`` and by plain torch (nothing of torchsearch, Lightning, Optuna,
Hydra, scikit-learn or Pillow importable), and the ``torchsearch-predict`` command on a
CSV file, raw digit pixels and an image folder."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import run_cli
from PIL import Image
from sklearn.datasets import load_digits

import torchsearch
from torchsearch import ModelFileError
from torchsearch.predict._command import main as predict_main
from torchsearch.predict._inputs import read_inputs

TORCH_AND_ITS_REQUIREMENTS = (
    "torch",
    "torchgen",
    "functorch",
    "filelock",
    "fsspec",
    "jinja2",
    "markupsafe",
    "mpmath",
    "networkx",
    "sympy",
    "typing_extensions.py",
)
"""What ``pip install torch`` brings (numpy is optional): the environment the plain-torch
check runs in, without the site-packages that hold everything else."""

PLAIN_TORCH = """
import json, sys
sys.path.insert(0, sys.argv[4])
for name in ("torchsearch", "lightning", "optuna", "hydra", "omegaconf", "sklearn", "PIL"):
    try:
        __import__(name)
    except ImportError:
        continue
    raise SystemExit(f"{name} is importable here")
import torch

card = json.load(open(sys.argv[1]))
program = torch.export.load(sys.argv[2]).module()
x = torch.load(sys.argv[3])
out = program(x)
if card["task"] == "regression":  # numbers in the target's units
    print(json.dumps(out.tolist()))
else:
    print(json.dumps([card["classes"][i] for i in out.argmax(dim=1).tolist()]))
"""


def _plain_torch_labels(run_dir: Path, x: np.ndarray, tmp_path: Path) -> list[Any]:
    """The labels (a regression model: the numbers) plain torch gives for ``x``."""
    import torch

    inputs = tmp_path / "inputs.pt"
    torch.save(torch.as_tensor(x, dtype=torch.float32), inputs)
    only_torch = tmp_path / "only-torch"
    only_torch.mkdir(exist_ok=True)
    site = Path(torch.__file__).parent.parent
    for name in TORCH_AND_ITS_REQUIREMENTS:
        if (site / name).exists() and not (only_torch / name).exists():
            (only_torch / name).symlink_to(site / name)
    result = subprocess.run(
        [
            sys.executable,
            "-S",  # no site-packages: only the folder of torch and its requirements
            "-c",
            PLAIN_TORCH,
            str(run_dir / "best_model.json"),
            str(run_dir / "best_model.pt2"),
            str(inputs),
            str(only_torch),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=OUTSIDE_SOURCE_TREE,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _predict_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torchsearch.predict", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=OUTSIDE_SOURCE_TREE,
    )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def pets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    """A search on a CSV file with string labels: its run folder, the file, its features."""
    tmp = tmp_path_factory.mktemp("pets")
    rng = np.random.default_rng(0)
    weight = np.concatenate([rng.normal(4, 1, 150), rng.normal(30, 5, 150)])
    height = np.concatenate([rng.normal(25, 3, 150), rng.normal(60, 8, 150)])
    kind = ["cat"] * 150 + ["dog"] * 150
    table = tmp / "pets.csv"
    with table.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["weight_kg", "kind", "height_cm"])
        writer.writerows(zip(weight.round(2), kind, height.round(1), strict=True))
    run = tmp / "run"
    result = run_cli(run, "data=csv", f"data.path={table}", "data.label=kind")
    assert result.returncode == 0, result.stderr
    return run, table, np.column_stack([weight.round(2), height.round(1)])


def test_a_csv_model_predicts_its_labels_on_raw_rows(
    pets: tuple[Path, Path, np.ndarray], tmp_path: Path
) -> None:
    run, table, features = pets
    card = json.loads((run / "best_model.json").read_text())
    assert card["classes"] == ["cat", "dog"]
    assert card["columns"] == ["weight_kg", "height_cm"]
    assert card["task"] == "classification" and card["torchsearch_version"]
    predictor = torchsearch.load_model(run)
    labels = predictor.predict(features)
    truth = ["cat"] * 150 + ["dog"] * 150
    assert np.mean(np.array(labels) == np.array(truth)) > 0.95  # raw, unscaled values
    assert _plain_torch_labels(run, features, tmp_path) == labels
    out = tmp_path / "predictions.csv"
    result = _predict_command(str(run), str(table), "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = _rows(out)
    assert [r["label"] for r in rows] == labels
    assert list(rows[0]) == ["input", "label", "p_cat", "p_dog"]
    probabilities = predictor.predict_proba(features)
    assert np.allclose([float(r["p_dog"]) for r in rows], probabilities[:, 1], atol=1e-5)


def test_a_digits_model_takes_raw_pixels(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = run_cli(run, "trainer.max_epochs=3")
    assert result.returncode == 0, result.stderr
    pixels, digits = load_digits(return_X_y=True)
    raw = pixels.reshape(-1, 1, 8, 8)  # 0-16, as scikit-learn gives them
    labels = torchsearch.load_model(run / "best_model.pt2").predict(raw)
    assert np.mean(np.array(labels) == digits.astype(str)) > 0.8
    assert _plain_torch_labels(run, raw, tmp_path) == labels


def test_an_image_model_predicts_on_a_folder(tmp_path: Path) -> None:
    # Bright and dark 12x12 squares of another size than the model's (resized, as in
    # training).
    rng = np.random.default_rng(0)
    for name, level in (("bright", 200), ("dark", 40)):
        folder = tmp_path / "photos" / name
        folder.mkdir(parents=True)
        for i in range(50):
            pixels = np.clip(rng.normal(level, 20, (12, 12)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels, mode="L").save(folder / f"{i}.png")
    run = tmp_path / "run"
    result = run_cli(
        run,
        "data=images",
        f"data.path={tmp_path / 'photos'}",
        "data.channels=1",
        "data.image_size=[8,8]",
        "space=cnn",
        "space.minimum_depth=2",
        "trainer.max_epochs=20",  # 60 training images: 2 steps an epoch
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "predictions.csv"
    predicted = _predict_command(str(run), str(tmp_path / "photos"), "-o", str(out))
    assert predicted.returncode == 0, predicted.stderr
    rows = _rows(out)
    assert len(rows) == 100
    right = [r["label"] == Path(r["input"]).parent.name for r in rows]
    assert np.mean(right) > 0.9
    # Plain torch on the pixels as decoded and resized for the model: the same labels.
    predictor = torchsearch.load_model(run)
    pixels, names = read_inputs(tmp_path / "photos", predictor.card)
    assert names == [r["input"] for r in rows]
    assert _plain_torch_labels(run, np.asarray(pixels), tmp_path) == [r["label"] for r in rows]


def test_bad_predictions_are_one_line(
    pets: tuple[Path, Path, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run, table, _ = pets
    (tmp_path / "empty").mkdir()
    short = tmp_path / "short.csv"
    short.write_text("weight_kg,kind\n3,cat\n")
    words = tmp_path / "words.csv"
    words.write_text("weight_kg,height_cm\nheavy,30\n")
    arrays = tmp_path / "arrays.npz"
    np.savez(arrays, x=np.zeros((4, 3)))
    cases = {
        (str(tmp_path / "empty"), str(table)): "has no best_model.pt2",
        (str(run), str(short)): "lacks the column(s) height_cm",
        (str(run), str(words)): "'heavy'",
        (str(run), str(arrays)): "takes flat inputs of shape (N, 2); got (4, 3)",
        (str(run), str(tmp_path / "empty")): "takes flat inputs, not images",
        (str(run), str(tmp_path / "nowhere.csv")): "does not exist",
    }
    for args, fragment in cases.items():
        with pytest.raises(SystemExit) as exited:
            predict_main(list(args))  # the command's own entry point, in-process
        lines = capsys.readouterr().err.strip().splitlines()
        assert exited.value.code == 1 and len(lines) == 1, lines
        assert lines[0].startswith("torchsearch-predict: error: ") and fragment in lines[0]
    with pytest.raises(ModelFileError, match=r"best_model\.json is missing"):
        (run / "best_model.json").rename(tmp_path / "card.json")
        try:
            torchsearch.load_model(run)
        finally:
            (tmp_path / "card.json").rename(run / "best_model.json")


def test_a_per_step_model_labels_every_step_of_an_npz(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = run_cli(
        run,
        "data=random_walk",
        "data.examples=200",
        "data.max_steps=20",
        "space=rnn_all",
        "space.blocks=[RNN_CELL_128]",
        "space.maximum_depth=1",
        "search.n_trials=1",
    )
    assert result.returncode == 0, result.stderr
    predictor = torchsearch.load_model(run)
    assert predictor.card.per_step and predictor.card.input_shape == (20, 1)
    walks = np.random.default_rng(0).normal(size=(3, 20, 1))
    labels = predictor.predict(walks)
    assert len(labels) == 3 and all(len(steps) == 20 for steps in labels)
    np.savez(tmp_path / "walks.npz", x=walks)
    rows = _predict_command(str(run), str(tmp_path / "walks.npz"))
    assert rows.returncode == 0, rows.stderr
    table = list(csv.DictReader(rows.stdout.splitlines()))
    assert [r["label"].split(";") for r in table] == labels


def test_a_regression_model_predicts_numbers_in_the_targets_units(tmp_path: Path) -> None:
    """A search on a CSV of measured numbers (``data.task=regression``): the model file
    takes the raw rows and gives the target in its own units, through torchsearch,
    plain torch and the command, and its error on the rows it was tested on is the one
    ``best.json`` reports."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (400, 3)) * [1.0, 10.0, 100.0]  # unscaled columns
    y = 300 + 40 * np.sin(x[:, 0]) + 2 * x[:, 1] - 0.1 * x[:, 2] + rng.normal(0, 1, 400)
    table = tmp_path / "plants.csv"
    with table.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["light", "water", "soil", "yield_g"])
        writer.writerows(np.column_stack([x, y]).round(4).tolist())
    run = tmp_path / "run"
    result = run_cli(
        run,
        "data=csv",
        f"data.path={table}",
        "data.task=regression",
        "trainer.max_epochs=30",
        "search.n_trials=2",
    )
    assert result.returncode == 0, result.stderr
    assert "validation rmse" in result.stdout
    best = json.loads((run / "best.json").read_text())
    assert set(best["test"]) == {"loss", "rmse", "mae", "r2"}
    assert best["test"]["r2"] > 0.9  # it learnt the target, not its mean
    card = json.loads((run / "best_model.json").read_text())
    assert card["task"] == "regression" and card["classes"] == []
    assert card["target"]["mean"] == pytest.approx(y.mean(), rel=0.02)
    predictor = torchsearch.load_model(run)
    predicted = np.array(predictor.predict(x))
    assert np.sqrt(np.mean((predicted - y) ** 2)) < 0.3 * y.std()  # raw in, grams out
    assert np.allclose(_plain_torch_labels(run, x, tmp_path), predicted, atol=1e-3)
    with pytest.raises(ModelFileError, match="regression"):
        predictor.predict_proba(x)
    out = tmp_path / "predictions.csv"
    command = _predict_command(str(run), str(table), "-o", str(out))
    assert command.returncode == 0, command.stderr
    rows = _rows(out)
    assert list(rows[0]) == ["input", "prediction"]
    assert np.allclose([float(r["prediction"]) for r in rows], predicted, rtol=1e-5)


def test_the_diabetes_model_reproduces_its_reported_test_error(tmp_path: Path) -> None:
    """The bundled regression set end to end: the exported model's RMSE on the raw test
    rows equals the test RMSE ``best.json`` reports (no unit or scaling slip between the
    search's metrics and the model file)."""
    from torchsearch.data import DiabetesProvider

    run = tmp_path / "run"
    result = run_cli(run, "data=diabetes", "trainer.max_epochs=20", "search.n_trials=2")
    assert result.returncode == 0, result.stderr
    best = json.loads((run / "best.json").read_text())
    assert best["objective"] == "minimize validation rmse"
    data = DiabetesProvider().load()
    assert data.standardization is not None and data.target_scaling is not None
    raw_x = data.test.x * data.standardization.std + data.standardization.mean
    raw_y = data.test.y * data.target_scaling.std + data.target_scaling.mean
    predicted = np.array(torchsearch.load_model(run).predict(raw_x.numpy()))
    rmse = float(np.sqrt(np.mean((predicted - raw_y.numpy()) ** 2)))
    assert rmse == pytest.approx(best["test"]["rmse"], rel=1e-4)
    assert 30 < rmse < 80  # in the target's units (25-346), not standardised ones
