"""The csv data set: headers, label columns, given files, scaling, and every bad input."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch

from torchsearch import DataError
from torchsearch import TensorSpec
from torchsearch.data import CsvProvider

HEADER = ["f1", "f2", "f3", "species"]
WriteCsv = Callable[..., Path]


def blobs(
    n_per_class: int, classes: Sequence[str] = ("a", "b", "c"), seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Separable 3-feature examples, ``n_per_class`` of each class, shuffled."""
    rng = np.random.default_rng(seed)
    x = np.concatenate(
        [rng.normal(3 * i, 1.0, size=(n_per_class, 3)) for i in range(len(classes))]
    )
    y = np.repeat(np.array(classes), n_per_class)
    order = rng.permutation(len(y))
    return x[order].round(4), y[order]


def _rows(n_per_class: int = 10, seed: int = 0) -> list[list[object]]:
    x, y = blobs(n_per_class, seed=seed)
    return [[*features, label] for features, label in zip(x, y, strict=True)]


def test_header_and_label_by_name(write_csv: WriteCsv) -> None:
    rows = [[r[3], *r[:3]] for r in _rows()]  # label first
    path = write_csv("a.csv", rows, header=["species", "f1", "f2", "f3"])
    data = CsvProvider(path=str(path), label="species", header=True).load()
    assert data.input_spec == TensorSpec.flat(3)
    assert data.class_names == ("a", "b", "c")
    assert data.feature_names == ("f1", "f2", "f3")
    assert len(data.train) + len(data.validation) + len(data.test) == 30
    assert {len(data.validation), len(data.test)} == {6}  # 0.15 of 10, rounded, per class


def test_no_header_label_by_negative_and_positive_index(write_csv: WriteCsv) -> None:
    rows = [[r[3], *r[:3]] for r in _rows()]
    path = write_csv("a.csv", rows)
    by_index = CsvProvider(path=str(path), label=0, header=False).load()
    by_negative = CsvProvider(path=str(path), label=-4).load()  # header detected: none
    assert by_index.feature_names is None  # no header: columns by position only
    assert torch.equal(by_index.train.x, by_negative.train.x)
    assert torch.equal(by_index.train.y, by_negative.train.y)


def test_auto_header_and_default_last_column(write_csv: WriteCsv) -> None:
    data = CsvProvider(path=str(write_csv("a.csv", _rows(), header=HEADER))).load()
    assert data.feature_names == ("f1", "f2", "f3") and data.class_names == ("a", "b", "c")


def test_numeric_labels_become_indices_in_numeric_order(write_csv: WriteCsv) -> None:
    rows = [[*r[:3], {"a": 10, "b": 2, "c": 7}[r[3]]] for r in _rows()]
    data = CsvProvider(path=str(write_csv("a.csv", rows, header=HEADER))).load()
    assert data.class_names == ("2", "7", "10")


def test_features_are_standardised_with_training_statistics(write_csv: WriteCsv) -> None:
    data = CsvProvider(path=str(write_csv("a.csv", _rows(20), header=HEADER))).load()
    assert data.standardization is not None
    assert torch.allclose(data.train.x.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(data.train.x.std(0, unbiased=False), torch.ones(3), atol=1e-4)
    assert not torch.allclose(data.validation.x.mean(0), torch.zeros(3), atol=1e-5)
    raw = CsvProvider(path=str(write_csv("b.csv", _rows(20), header=HEADER)), standardize=False)
    assert raw.load().standardization is None


def test_split_is_disjoint_stratified_and_seeded(write_csv: WriteCsv) -> None:
    rows = [[i, *r[1:]] for i, r in enumerate(_rows(20))]  # f1 = a unique row id
    path = str(write_csv("a.csv", rows, header=HEADER))
    data = CsvProvider(path=path, standardize=False, seed=1).load()
    ids = [set(s.x[:, 0].tolist()) for s in (data.train, data.validation, data.test)]
    assert set.union(*ids) == set(range(60)) and sum(map(len, ids)) == 60
    assert torch.bincount(data.validation.y).tolist() == [3, 3, 3]
    again = CsvProvider(path=path, standardize=False, seed=1).load()
    other = CsvProvider(path=path, standardize=False, seed=2).load()
    assert torch.equal(data.test.x, again.test.x)
    assert not torch.equal(data.test.x, other.test.x)


def test_separate_validation_and_test_files_are_used_as_given(write_csv: WriteCsv) -> None:
    train = write_csv("train.csv", _rows(10, seed=0), header=HEADER)
    val = write_csv("val.csv", _rows(4, seed=1), header=HEADER)
    test = write_csv("test.csv", _rows(5, seed=2), header=HEADER)
    data = CsvProvider(
        path=str(train), validation_path=str(val), test_path=str(test), standardize=False
    ).load()
    assert (len(data.train), len(data.validation), len(data.test)) == (30, 12, 15)
    expected = np.array([r[:3] for r in _rows(4, seed=1)], dtype=np.float32)
    assert np.allclose(data.validation.x.numpy(), expected)


def test_only_the_missing_split_is_carved(write_csv: WriteCsv) -> None:
    train = write_csv("train.csv", _rows(10), header=HEADER)
    val = write_csv("val.csv", _rows(4, seed=1), header=HEADER)
    data = CsvProvider(path=str(train), validation_path=str(val)).load()
    assert (len(data.train), len(data.validation), len(data.test)) == (24, 12, 6)


def test_label_unknown_to_training_is_an_error(write_csv: WriteCsv) -> None:
    train = write_csv("train.csv", _rows(10), header=HEADER)
    val = write_csv("val.csv", [[1, 2, 3, "zebra"], [1, 2, 3, "a"]], header=HEADER)
    with pytest.raises(DataError, match=r"val.csv has the label 'zebra' \(row 1, line 2"):
        CsvProvider(path=str(train), validation_path=str(val)).load()


# Bad input: each a DataError with one clear sentence.


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"path=.*nope.csv does not exist; check the path"):
        CsvProvider(path=str(tmp_path / "nope.csv")).load()


def test_relative_missing_file_names_the_working_directory() -> None:
    with pytest.raises(DataError, match=r"relative paths are read from the working directory"):
        CsvProvider(path="surely/not/here.csv").load()


def test_unreadable_file(write_csv: WriteCsv, unreadable) -> None:
    path = write_csv("a.csv", _rows(), header=HEADER)
    with (
        unreadable(path),
        pytest.raises(DataError, match=r"cannot be read \(permission denied\)"),
    ):
        CsvProvider(path=str(path)).load()


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty.csv is empty"):
        CsvProvider(path=str(tmp_path / "empty.csv")).load()


def test_blank_and_header_only_files(tmp_path: Path) -> None:
    (tmp_path / "blank.csv").write_text("\n\n")
    with pytest.raises(DataError, match=r"blank.csv has no rows"):
        CsvProvider(path=str(tmp_path / "blank.csv")).load()
    (tmp_path / "head.csv").write_text("a,b,label\n")
    with pytest.raises(DataError, match=r"head.csv has a header but no data rows"):
        CsvProvider(path=str(tmp_path / "head.csv"), header=True).load()


def test_a_folder_instead_of_a_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"is a folder, not a file"):
        CsvProvider(path=str(tmp_path)).load()


def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(DataError, match=r"not a UTF-8 text file"):
        CsvProvider(path=str(tmp_path / "a.csv")).load()


def test_non_numeric_feature_names_column_value_and_row(write_csv: WriteCsv) -> None:
    rows = _rows()
    rows[4][1] = "red"
    path = write_csv("a.csv", rows, header=HEADER)
    with pytest.raises(DataError) as info:
        CsvProvider(path=str(path)).load()
    message = str(info.value)
    assert "feature column 'f2' of a.csv is not numeric" in message
    assert "row 5, line 6 of a.csv has the value 'red'" in message
    assert "Traceback" not in message and "\n" not in message


def test_missing_feature_value(write_csv: WriteCsv) -> None:
    rows = _rows()
    rows[2][0] = ""
    with pytest.raises(DataError, match=r"'f1'.*row 3, line 4 of a.csv has no value"):
        CsvProvider(path=str(write_csv("a.csv", rows, header=HEADER))).load()


def test_nan_feature(write_csv: WriteCsv) -> None:
    rows = _rows()
    rows[6][2] = "nan"
    with pytest.raises(DataError, match=r"'f3' of a.csv has 'nan' at row 7"):
        CsvProvider(path=str(write_csv("a.csv", rows, header=HEADER))).load()


def test_missing_label_column_lists_the_columns(write_csv: WriteCsv) -> None:
    path = write_csv("a.csv", _rows(), header=HEADER)
    with pytest.raises(DataError) as info:
        CsvProvider(path=str(path), label="specie").load()
    assert "a.csv has no column 'specie'. Did you mean 'species'?" in str(info.value)
    assert "Its columns are: f1, f2, f3, species" in str(info.value)


def test_label_index_out_of_range(write_csv: WriteCsv) -> None:
    path = write_csv("a.csv", _rows(), header=HEADER)
    with pytest.raises(DataError, match=r"label column 7 does not exist: a.csv has 4 columns"):
        CsvProvider(path=str(path), label=7).load()


def test_label_name_without_header(write_csv: WriteCsv) -> None:
    path = write_csv("a.csv", _rows())
    with pytest.raises(DataError, match=r"has no header row; give the column's index"):
        CsvProvider(path=str(path), label="species", header=False).load()


def test_one_class(write_csv: WriteCsv) -> None:
    rows = [[*r[:3], "a"] for r in _rows()]
    with pytest.raises(DataError, match=r"a.csv has only the class 'a'; .*at least two classes"):
        CsvProvider(path=str(write_csv("a.csv", rows, header=HEADER))).load()


def test_a_continuous_target_is_named_as_such(write_csv: WriteCsv) -> None:
    rows = [[0.1 * i, 0.2, 0.3, f"{i * 0.37 - 5.7408:.4f}"] for i in range(40)]
    with pytest.raises(DataError, match=r"labels in a.csv look continuous \(40 distinct"):
        CsvProvider(path=str(write_csv("a.csv", rows, header=HEADER))).load()
    # A few fractional class codes are classes.
    coded = [[0.1 * i, 0.2, 0.3, ("0.5", "1.5")[i % 2]] for i in range(40)]
    assert CsvProvider(path=str(write_csv("b.csv", coded, header=HEADER))).load().num_classes == 2


def test_class_too_small_to_split(write_csv: WriteCsv) -> None:
    rows = [*_rows(), [0.1, 0.2, 0.3, "rare"], [0.3, 0.2, 0.1, "rare"]]
    with pytest.raises(DataError, match=r"class 'rare' has only 2 example\(s\) in a.csv"):
        CsvProvider(path=str(write_csv("a.csv", rows, header=HEADER))).load()


def test_ragged_rows(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a,b,label\n1,2,x\n3,y\n")
    with pytest.raises(DataError, match=r"line 3 of a.csv has 2 fields, but line 1 has 3"):
        CsvProvider(path=str(tmp_path / "a.csv")).load()


def test_validation_file_with_other_columns(write_csv: WriteCsv) -> None:
    train = write_csv("train.csv", _rows(), header=HEADER)
    val = write_csv("val.csv", [r[1:] for r in _rows()], header=HEADER[1:])
    with pytest.raises(
        DataError, match=r"validation_path=val.csv has the columns \(f2, f3, species\)"
    ):
        CsvProvider(path=str(train), validation_path=str(val)).load()


def test_only_a_label_column(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("label\na\nb\n")
    with pytest.raises(DataError, match=r"has only the label column"):
        CsvProvider(path=str(tmp_path / "a.csv"), header=True).load()
