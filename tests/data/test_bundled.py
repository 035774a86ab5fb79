"""The bundled data sets, generated or read offline: digits and MNIST-1D."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import torch

from torchsearch import TensorSpec
from torchsearch.data import DataSplits
from torchsearch.data import DigitsProvider
from torchsearch.data import Mnist1dProvider
from torchsearch.data import _mnist1d


def _counts(data: DataSplits) -> list[list[int]]:
    return [
        torch.bincount(s.y, minlength=10).tolist()
        for s in (data.train, data.validation, data.test)
    ]


def test_digits_loads_1797_images_in_three_stratified_splits() -> None:
    data = DigitsProvider().load()
    assert data.input_spec == TensorSpec.image(1, 8, 8)
    assert data.num_classes == 10 and data.class_names == tuple("0123456789")
    assert len(data.train) + len(data.validation) + len(data.test) == 1797
    assert (len(data.train), len(data.validation), len(data.test)) == (1079, 359, 359)
    assert data.train.x.min() == 0.0 and data.train.x.max() == 1.0
    sizes = [sum(c) for c in zip(*_counts(data), strict=True)]
    share = [round(0.2 * n) for n in sizes]  # per class, rounded (the split is stratified)
    assert _counts(data) == [[n - 2 * s for n, s in zip(sizes, share, strict=True)], share, share]


def test_digits_split_is_reproducible_and_seeded() -> None:
    first, again = DigitsProvider(seed=1).load(), DigitsProvider(seed=1).load()
    other = DigitsProvider(seed=2).load()
    assert torch.equal(first.validation.x, again.validation.x)
    assert not torch.equal(first.validation.x, other.validation.x)
    assert _counts(first) == _counts(other)  # stratified the same way whatever the seed


@pytest.fixture(scope="module")
def mnist1d() -> dict[str, Any]:
    """Generates MNIST-1D once, from scratch, between draws from the global RNGs."""
    _mnist1d._generate.cache_clear()
    np.random.seed(1234)
    random.seed(99)
    expected = (np.random.random(), random.random())
    np.random.seed(1234)
    random.seed(99)
    data = Mnist1dProvider().load()
    return {"data": data, "draws": (np.random.random(), random.random()), "expected": expected}


def test_mnist1d_keeps_the_callers_global_rng_state(mnist1d: dict[str, Any]) -> None:
    assert mnist1d["draws"] == mnist1d["expected"]


def test_mnist1d_has_4000_train_and_1000_test(mnist1d: dict[str, Any]) -> None:
    data: DataSplits = mnist1d["data"]
    assert data.input_spec == TensorSpec.flat(40)
    assert (len(data.train), len(data.validation), len(data.test)) == (3200, 800, 1000)
    x, _, x_test, y_test = _mnist1d._generate()
    carved = torch.cat([data.train.x, data.validation.x]).numpy()
    assert {r.tobytes() for r in carved} == {r.tobytes() for r in x}  # validation is from train
    assert np.array_equal(data.test.x.numpy(), x_test)
    assert np.array_equal(data.test.y.numpy(), y_test)


def test_mnist1d_converts_to_sequences_of_one_feature(mnist1d: dict[str, Any]) -> None:
    seq = mnist1d["data"].to_kind("sequence")
    assert seq.input_spec == TensorSpec.sequence(1, steps=40)
    assert seq.train.x.shape == (3200, 40, 1)


def test_mnist1d_is_cached_and_validation_is_seeded(mnist1d: dict[str, Any]) -> None:
    other = Mnist1dProvider(seed=5).load()  # cached arrays: no second generation
    assert torch.equal(other.test.x, mnist1d["data"].test.x)
    assert not torch.equal(other.validation.x, mnist1d["data"].validation.x)
