"""Numeric targets (``data.task=regression``): read, checked, split and standardised by
the CSV, npz and diabetes providers, and scored by the training code in the target's own
units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import WriteCsv
from torch.nn import functional as F

from torchsearch import ConfigError
from torchsearch import DataError
from torchsearch.data import CsvProvider
from torchsearch.data import DiabetesProvider
from torchsearch.data import NpzProvider
from torchsearch.data import Split
from torchsearch.train import DistillationLoss
from torchsearch.train import LabelLoss
from torchsearch.train import evaluate
from torchsearch.train import label_loss


def _rows(n: int, seed: int = 0) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = 1000 + 50 * x[:, 0] - 20 * x[:, 1] + rng.normal(0, 0.5, n)
    return np.column_stack([x, y]).round(3).tolist()


def test_a_csv_target_is_read_as_numbers_split_at_random_and_standardised(
    write_csv: WriteCsv,
) -> None:
    rows = _rows(200)
    path = write_csv("t.csv", rows, header=["a", "b", "price"])
    data = CsvProvider(path=str(path), label="price", task="regression").load()
    assert data.task == "regression" and data.num_outputs == 1
    assert (len(data.train), len(data.validation), len(data.test)) == (140, 30, 30)
    assert data.train.y.dtype == torch.float32
    assert float(data.train.y.mean()) == pytest.approx(0.0, abs=1e-5)
    assert float(data.train.y.std(unbiased=False)) == pytest.approx(1.0, abs=1e-4)
    scaling = data.target_scaling
    assert scaling is not None
    raw = np.concatenate(
        [
            (s.y * scaling.std + scaling.mean).numpy()
            for s in (data.train, data.validation, data.test)
        ]
    )
    assert sorted(raw.round(2)) == pytest.approx(sorted(np.array(rows)[:, 2]), abs=0.01)
    assert data.validation.y_scale == pytest.approx(float(scaling.std))
    again = CsvProvider(path=str(path), label="price", task="regression", seed=1).load()
    assert not torch.equal(again.test.y, data.test.y)  # the seed decides the carving


@pytest.mark.parametrize(
    ("value", "message"),
    [("cheap", "the target 'cheap' \\(row 3, line 4"), ("", "an empty target \\(row 3, line 4")],
)
def test_a_target_that_is_not_a_number_is_one_line(
    write_csv: WriteCsv, value: str, message: str
) -> None:
    rows: list[list[object]] = [list(r) for r in _rows(30)]
    rows[2][2] = value
    path = write_csv("t.csv", rows, header=["a", "b", "price"])
    with pytest.raises(DataError, match=message) as info:
        CsvProvider(path=str(path), task="regression").load()
    assert "data.task=classification" in str(info.value)


def test_a_continuous_label_read_as_classes_says_how_to_switch(write_csv: WriteCsv) -> None:
    path = write_csv("t.csv", _rows(100), header=["a", "b", "price"])
    with pytest.raises(DataError, match=r"look continuous .* set data\.task=regression"):
        CsvProvider(path=str(path)).load()


def test_regression_targets_must_be_one_per_example(tmp_path: Path) -> None:
    path = tmp_path / "steps.npz"
    np.savez(path, x=np.zeros((20, 5, 2), np.float32), y=np.zeros((20, 5)))
    with pytest.raises(DataError, match="one number per example"):
        NpzProvider(path=str(path), task="regression").load()
    with pytest.raises(ConfigError, match="classification or regression"):
        NpzProvider(path=str(path), task="ranking")


def test_the_diabetes_set_is_bundled_and_split_at_random() -> None:
    data = DiabetesProvider().load()
    assert data.task == "regression"
    assert (len(data.train), len(data.validation), len(data.test)) == (266, 88, 88)
    assert data.feature_names == ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
    assert data.target_scaling is not None
    assert 140 < float(data.target_scaling.mean) < 165  # progression 25..346
    assert data.standardization is not None  # the raw measurements are standardised
    with pytest.raises(ConfigError, match="task must be regression"):
        DiabetesProvider(task="classification")


def test_evaluate_reports_errors_in_the_targets_units() -> None:
    torch.manual_seed(0)
    x = torch.randn(50, 3)
    y = torch.randn(50)
    model = torch.nn.Linear(3, 1)
    split = Split(x, y, y_scale=10.0)
    metrics = evaluate(model, split, batch_size=7)  # batches add up
    with torch.no_grad():
        predicted = model(x)[:, 0]
    error = (predicted - y).numpy()
    assert metrics["loss"] == pytest.approx(float(np.mean(error**2)), rel=1e-5)
    assert metrics["rmse"] == pytest.approx(10 * float(np.sqrt(np.mean(error**2))), rel=1e-5)
    assert metrics["mae"] == pytest.approx(10 * float(np.mean(np.abs(error))), rel=1e-5)
    spread = float(np.sum((y.numpy() - y.numpy().mean()) ** 2))
    assert metrics["r2"] == pytest.approx(1 - float(np.sum(error**2)) / spread, rel=1e-5)


@pytest.mark.parametrize(
    ("kind", "reference"), [("mse", F.mse_loss), ("mae", F.l1_loss), ("huber", F.huber_loss)]
)
def test_regression_losses(kind: str, reference: object) -> None:
    outputs, y = torch.randn(8, 1) * 3, torch.randn(8)
    expected = reference(outputs[:, 0], y)  # type: ignore[operator]
    assert torch.allclose(label_loss(outputs, y, kind=kind), expected)
    model = torch.nn.Identity()
    batch = (outputs, y, None)
    assert torch.allclose(LabelLoss(kind)(model, batch), expected)  # type: ignore[arg-type]


def test_a_regression_student_learns_the_teachers_outputs_and_the_targets() -> None:
    x, y = torch.randn(16, 1), torch.randn(16)
    teacher = torch.nn.Linear(1, 1)
    student = torch.nn.Identity()
    with torch.no_grad():
        taught = teacher(x)
    balance = DistillationLoss(teacher, "adaptively_balance", weight=0.5, label_kind="mae")
    expected = 0.5 * F.mse_loss(x, taught) + F.l1_loss(x[:, 0], y)
    assert torch.allclose(balance(student, (x, y, None)), expected)  # type: ignore[arg-type]
    only_teacher = DistillationLoss(teacher, "mse_logits")
    assert torch.allclose(only_teacher(student, (x, y, None)), F.mse_loss(x, taught))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="compares class probabilities"):
        DistillationLoss(teacher, "cross_entropy")(student, (x, y, None))  # type: ignore[arg-type]
