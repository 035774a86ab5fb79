"""Split and DataSplits: dtypes, checks, and every layout conversion of ``to_kind``."""

from __future__ import annotations

import pytest
import torch

from torchsearch import ConfigError
from torchsearch import DataError
from torchsearch import InputKind
from torchsearch import TensorSpec
from torchsearch.data import DataSplits
from torchsearch.data import Split
from torchsearch.data import Standardization
from torchsearch.data import convert_layout


def _split(shape: tuple[int, ...], n: int = 6, classes: int = 3) -> Split:
    x = torch.arange(n * torch.Size(shape).numel(), dtype=torch.float64).reshape(n, *shape)
    return Split(x, torch.arange(n) % classes)


def _splits(spec: TensorSpec, shape: tuple[int, ...], **kwargs: object) -> DataSplits:
    return DataSplits(
        _split(shape), _split(shape), _split(shape), spec, 3, "toy", ("a", "b", "c"), **kwargs
    )


def test_split_coerces_dtypes_and_has_a_length() -> None:
    split = Split(
        torch.zeros(4, 2, dtype=torch.float64), torch.tensor([0, 1, 0, 1], dtype=torch.int32)
    )
    assert split.x.dtype == torch.float32 and split.y.dtype == torch.int64
    assert len(split) == 4


def test_split_rejects_mismatched_lengths() -> None:
    with pytest.raises(DataError, match=r"do not match 3 labels"):
        Split(torch.zeros(4, 2), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(DataError, match=r"one length per sequence"):
        Split(torch.zeros(3, 5, 2), torch.zeros(3, dtype=torch.int64), torch.ones(2))


def test_image_to_flat_and_sequence() -> None:
    data = _splits(TensorSpec.image(2, 3, 4), (2, 3, 4))
    flat = data.to_kind(InputKind.FLAT)
    assert flat.input_spec == TensorSpec.flat(24)
    assert flat.train.x.shape == (6, 24)
    assert torch.equal(flat.train.x, data.train.x.reshape(6, -1))
    seq = data.to_kind("sequence")
    assert seq.input_spec == TensorSpec.sequence(8, steps=3)  # T=H, F=C*W
    assert seq.validation.x.shape == (6, 3, 8)
    # step t holds row t of every channel, channel-major
    assert torch.equal(seq.train.x[:, 1, :4], data.train.x[:, 0, 1, :])
    assert torch.equal(seq.train.x[:, 1, 4:], data.train.x[:, 1, 1, :])


def test_conversions_start_from_the_source_layout() -> None:
    data = _splits(TensorSpec.image(2, 3, 4), (2, 3, 4))
    back = data.to_kind("sequence").to_kind("flat").to_kind("image")
    assert back.input_spec == data.input_spec
    assert torch.equal(back.test.x, data.test.x)
    assert data.to_kind("image") is data


def test_flat_to_sequence_and_back() -> None:
    data = _splits(TensorSpec.flat(5), (5,))
    seq = data.to_kind("sequence")
    assert seq.input_spec == TensorSpec.sequence(1, steps=5)
    assert seq.train.x.shape == (6, 5, 1)
    assert torch.equal(seq.to_kind("flat").train.x, data.train.x)


def test_flat_to_image_needs_a_declared_shape() -> None:
    data = _splits(TensorSpec.flat(12), (12,))
    with pytest.raises(DataError) as info:
        data.to_kind("image")
    message = str(info.value)
    for part in (
        "space=cnn needs images",
        "data=toy gives 12 flat features",
        "no image shape",
        "space=dnn or space=rnn_last",
        "data.image_shape",
    ):
        assert part in message
    image = _splits(TensorSpec.flat(12), (12,), image_shape=(1, 3, 4)).to_kind("image")
    assert image.input_spec == TensorSpec.image(1, 3, 4)
    assert image.train.x.shape == (6, 1, 3, 4)


def test_declared_image_shape_must_fit() -> None:
    with pytest.raises(DataError, match=r"C\*H\*W equal the number of features"):
        _splits(TensorSpec.flat(12), (12,), image_shape=(1, 4, 4))


def test_fixed_sequence_to_flat_and_image() -> None:
    data = _splits(TensorSpec.sequence(4, steps=3), (3, 4), image_shape=(2, 3, 2))
    assert data.to_kind("flat").train.x.shape == (6, 12)
    image = data.to_kind("image")
    assert image.train.x.shape == (6, 2, 3, 2)
    assert torch.equal(image.to_kind("sequence").train.x, data.train.x)


def test_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"Unknown input kind 'pixels'; use one of image"):
        _splits(TensorSpec.flat(5), (5,)).to_kind("pixels")


def test_varying_sequences_cannot_be_flattened() -> None:
    lengths = torch.tensor([1, 2, 3, 3, 2, 1])
    split = Split(torch.zeros(6, 3, 2), torch.arange(6) % 3, lengths)
    data = DataSplits(split, split, split, TensorSpec.sequence(2), 3, "seq", None)
    with pytest.raises(DataError, match=r"varying length.*use space=rnn_last"):
        data.to_kind("flat")
    assert data.to_kind("sequence").train.lengths is lengths


def test_checks_labels_and_shapes() -> None:
    with pytest.raises(DataError, match=r"at least two classes"):
        DataSplits(
            _split((2,), classes=1), _split((2,)), _split((2,)), TensorSpec.flat(2), 1, "t", None
        )
    with pytest.raises(DataError, match=r"labels run from 0 to 2"):
        DataSplits(_split((2,)), _split((2,)), _split((2,)), TensorSpec.flat(2), 2, "t", None)
    with pytest.raises(DataError, match=r"spec is flat\(3\)"):
        DataSplits(_split((2,)), _split((2,)), _split((2,)), TensorSpec.flat(3), 3, "t", None)


def test_prepare_standardises_then_converts() -> None:
    scaling = Standardization(torch.full((1, 2, 2), 1.0), torch.full((1, 2, 2), 2.0))
    data = _splits(TensorSpec.image(1, 2, 2), (1, 2, 2), standardization=scaling)
    raw = torch.full((3, 1, 2, 2), 5.0)
    assert torch.equal(data.to_kind("flat").prepare(raw), torch.full((3, 4), 2.0))


def test_convert_layout_is_a_view_when_it_can_be() -> None:
    x = torch.zeros(2, 1, 4, 4)
    flat = convert_layout(x, TensorSpec.image(1, 4, 4), TensorSpec.flat(16))
    assert flat.data_ptr() == x.data_ptr()


def test_every_provider_s_splits_refuse_non_finite_inputs() -> None:
    """The check behind every provider (a plugin's too), in the providers' words."""
    bad = _split((4,))
    bad.x[2, 1] = float("nan")
    with pytest.raises(DataError, match=r"validation inputs have a NaN .* at example 2; fill in"):
        DataSplits(_split((4,)), bad, _split((4,)), TensorSpec.flat(4), 3, "toy")
