"""The npz data set: three layouts, given or carved splits, named keys, and bad archives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from torchsearch import DataError
from torchsearch import TensorSpec
from torchsearch.data import NpzProvider

RNG = np.random.default_rng(0)
Y = np.repeat(np.arange(3), 10)


def _save(tmp_path: Path, **arrays: Any) -> str:
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return str(path)


def test_flat_arrays_are_split_three_ways(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 5)), y=Y)
    data = NpzProvider(path=path).load()
    assert data.input_spec == TensorSpec.flat(5)
    assert (len(data.train), len(data.validation), len(data.test)) == (18, 6, 6)
    assert data.standardization is None  # off by default for arrays


def test_images_in_nchw(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.random((30, 3, 4, 5)), y=Y)
    data = NpzProvider(path=path).load()
    assert data.input_spec == TensorSpec.image(3, 4, 5)
    assert data.to_kind("flat").train.x.shape[1:] == (60,)


def test_sequences_with_varying_lengths(tmp_path: Path) -> None:
    lengths = RNG.integers(1, 8, size=30)
    path = _save(tmp_path, x=RNG.normal(size=(30, 7, 2)), y=Y, lengths=lengths)
    data = NpzProvider(path=path).load()
    assert data.input_spec == TensorSpec.sequence(2)  # steps vary
    assert data.train.lengths is not None and data.train.lengths.dtype == torch.int64
    together = torch.cat([data.train.lengths, data.validation.lengths, data.test.lengths])
    assert sorted(together.tolist()) == sorted(lengths.tolist())


def test_a_label_per_step_for_rnn_all(tmp_path: Path) -> None:
    lengths = RNG.integers(2, 8, size=30)
    steps = np.arange(7)[None, :] < lengths[:, None]
    labels = np.where(RNG.random((30, 7)) > 0.5, "up", "down")
    labels[~steps] = "pad"  # past a sequence's end a label is never read
    path = _save(tmp_path, x=RNG.normal(size=(30, 7, 2)), y=labels, lengths=lengths)
    data = NpzProvider(path=path).load()
    assert data.per_step and data.class_names == ("down", "up")
    assert data.train.y.shape[1] == 7
    assert len(data.train) + len(data.validation) + len(data.test) == 30
    for split in (data.train, data.validation, data.test):
        valid = torch.arange(7)[None, :] < split.lengths[:, None]  # type: ignore[index]
        assert set(split.y[valid].tolist()) <= {0, 1}
    with pytest.raises(DataError, match=r"label per step.*space=rnn_all"):
        data.to_kind("flat")


def test_labels_that_fit_neither_examples_nor_steps(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 7, 2)), y=np.zeros((30, 6)))
    with pytest.raises(DataError, match=r"one per step, \(N, T\)"):
        NpzProvider(path=path).load()


def test_sequences_without_lengths_have_fixed_steps(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 7, 2)), y=Y)
    data = NpzProvider(path=path).load()
    assert data.input_spec == TensorSpec.sequence(2, steps=7)
    assert data.to_kind("flat").input_spec == TensorSpec.flat(14)


def test_given_validation_and_test_arrays_are_used_as_given(tmp_path: Path) -> None:
    x_val, x_test = RNG.normal(size=(6, 4)), RNG.normal(size=(9, 4))
    path = _save(
        tmp_path,
        x=RNG.normal(size=(30, 4)),
        y=Y,
        x_val=x_val,
        y_val=np.arange(6) % 3,
        x_test=x_test,
        y_test=np.arange(9) % 3,
    )
    data = NpzProvider(path=path).load()
    assert len(data.train) == 30
    assert np.allclose(data.validation.x.numpy(), x_val)
    assert np.allclose(data.test.x.numpy(), x_test)


def test_named_keys_and_string_labels(tmp_path: Path) -> None:
    labels = np.array(["cat", "dog", "owl"])[Y]
    path = _save(tmp_path, features=RNG.normal(size=(30, 2)), target=labels)
    data = NpzProvider(path=path, x="features", y="target", image_shape=[1, 1, 2]).load()
    assert data.class_names == ("cat", "dog", "owl")
    assert data.to_kind("image").input_spec == TensorSpec.image(1, 1, 2)


# Bad input.


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data=npz: path=.*none.npz does not exist"):
        NpzProvider(path=str(tmp_path / "none.npz")).load()


def test_unreadable_file(tmp_path: Path, unreadable) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 2)), y=Y)
    with unreadable(Path(path)), pytest.raises(DataError, match=r"permission denied"):
        NpzProvider(path=path).load()


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "data.npz").write_bytes(b"")
    with pytest.raises(DataError, match=r"data.npz is empty"):
        NpzProvider(path=str(tmp_path / "data.npz")).load()


def test_not_an_npz(tmp_path: Path) -> None:
    (tmp_path / "data.npz").write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match=r"data.npz is not a NumPy .npz archive"):
        NpzProvider(path=str(tmp_path / "data.npz")).load()


def test_a_single_npy_array(tmp_path: Path) -> None:
    np.save(tmp_path / "data.npy", np.zeros((3, 2)))
    with pytest.raises(
        DataError, match=r"data.npy is a single .npy array; save inputs and labels"
    ):
        NpzProvider(path=str(tmp_path / "data.npy")).load()


def test_object_arrays_are_refused(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 2)), y=np.array([{"a": 1}] * 30, dtype=object))
    with pytest.raises(DataError, match=r"it holds Python objects"):
        NpzProvider(path=path).load()


def test_lacking_x_lists_the_arrays(tmp_path: Path) -> None:
    path = _save(tmp_path, inputs=RNG.normal(size=(30, 2)), y=Y)
    with pytest.raises(DataError, match=r"data.npz has no array 'x' \(it holds: inputs, y\)"):
        NpzProvider(path=path).load()


def test_lacking_y(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 2)))
    with pytest.raises(DataError, match=r"has no array 'y' \(it holds: x\)"):
        NpzProvider(path=path).load()


def test_half_a_validation_pair(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 2)), y=Y, x_val=RNG.normal(size=(3, 2)))
    with pytest.raises(DataError, match=r"has no array 'y_val'"):
        NpzProvider(path=path).load()


def test_a_named_validation_key_is_required(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 2)), y=Y)
    with pytest.raises(DataError, match=r"has no array 'xv'"):
        NpzProvider(path=path, x_val="xv", y_val="yv").load()


def test_mismatched_lengths_of_x_and_y(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 2)), y=Y[:25])
    with pytest.raises(DataError, match=r"30 examples in 'x' but labels of shape \(25,\) in 'y'"):
        NpzProvider(path=path).load()


def test_inputs_of_the_wrong_rank_or_type(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"shape \(30,\); inputs must be \(N, F\) flat"):
        NpzProvider(path=_save(tmp_path, x=np.zeros(30), y=Y)).load()
    with pytest.raises(DataError, match=r"has dtype <U1; inputs must be numbers"):
        NpzProvider(path=_save(tmp_path, x=np.full((30, 2), "a"), y=Y)).load()


def test_bad_lengths(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 4, 2)), y=Y, lengths=np.full(30, 9))
    with pytest.raises(DataError, match=r"'lengths' of data.npz must hold one integer in 1..4"):
        NpzProvider(path=path).load()


def test_validation_of_another_shape(tmp_path: Path) -> None:
    path = _save(
        tmp_path, x=RNG.normal(size=(30, 4)), y=Y, x_val=np.zeros((3, 5)), y_val=np.arange(3)
    )
    with pytest.raises(DataError, match=r"x_val/y_val of data.npz has examples of shape \(5,\)"):
        NpzProvider(path=path).load()


def test_one_class(tmp_path: Path) -> None:
    path = _save(tmp_path, x=RNG.normal(size=(30, 2)), y=np.zeros(30, dtype=int))
    with pytest.raises(
        DataError, match=r"has only the class '0'; classification needs at least two"
    ):
        NpzProvider(path=path).load()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_infinite_inputs_are_refused_with_the_example(tmp_path: Path, bad: float) -> None:
    x = RNG.normal(size=(30, 5))
    x[7, 2] = bad
    with pytest.raises(DataError, match=rf"'x' of data.npz has {bad} at index 7; fill in or drop"):
        NpzProvider(path=_save(tmp_path, x=x, y=Y)).load()


def test_nan_labels_are_refused(tmp_path: Path) -> None:
    y = Y.astype(float)
    y[3] = np.nan
    with pytest.raises(DataError, match="finite"):
        NpzProvider(path=_save(tmp_path, x=RNG.normal(size=(30, 5)), y=y)).load()
