"""Architectures: construction, validation and the JSON round trip."""

from __future__ import annotations

import json

import pytest

from torchsearch import Architecture
from torchsearch import ConfigError
from torchsearch import ProblemType


def test_json_round_trip_keeps_towers_and_hparams() -> None:
    arch = Architecture(
        (("CONVOLUTION_3X3", "PLATE_REDUCTION_FLATTEN"), ("FULLY_CONNECTED",)),
        {"learning_rate": 0.01, "optimizer": "adam", "TUNABLE_SVDF_rank": 2, "clip": None},
    )
    text = arch.to_json()
    assert json.loads(text)["towers"] == [
        ["CONVOLUTION_3X3", "PLATE_REDUCTION_FLATTEN"],
        ["FULLY_CONNECTED"],
    ]
    again = Architecture.from_json(text)
    assert again == arch
    assert hash(again) == hash(arch)
    assert again.to_json() == text


def test_lists_are_normalised_to_tuples_and_a_bare_list_is_one_tower() -> None:
    arch = Architecture.from_dict(["IDENTITY", "FULLY_CONNECTED"])
    assert arch.towers == (("IDENTITY", "FULLY_CONNECTED"),)
    assert arch.blocks == ("IDENTITY", "FULLY_CONNECTED")
    assert Architecture([["A"]]) == Architecture((("A",),))


def test_copies_leave_the_original_alone() -> None:
    arch = Architecture.single(["A", "B"], learning_rate=0.1)
    grown = arch.replace_tower(0, [*arch.blocks, "C"]).with_hparams(learning_rate=0.2)
    assert arch.blocks == ("A", "B") and arch.hparams["learning_rate"] == 0.1
    assert grown.blocks == ("A", "B", "C") and grown.hparams["learning_rate"] == 0.2
    with pytest.raises(TypeError):
        arch.hparams["learning_rate"] = 1.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"towers": "CONVOLUTION_3X3"}, "list of towers"),
        ({"towers": []}, "at least one tower"),
        ({"towers": [["A", 3]]}, "block names are non-empty strings"),
        ({"towers": [["A"]], "hparams": {"lr": [1, 2]}}, "JSON scalar"),
        ({"towers": [["A"]], "extra": 1}, "Unknown architecture field"),
        ({"blocks": ["A"]}, "must be"),
    ],
)
def test_malformed_architectures_are_config_errors(data: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Architecture.from_dict(data)  # type: ignore[arg-type]


def test_malformed_json_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="malformed"):
        Architecture.from_json("{towers: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cnn", ProblemType.CNN),
        ("DNN", ProblemType.DNN),
        ("RNN_ALL_ACTIVATIONS", ProblemType.RNN_ALL),
        ("rnn_last", ProblemType.RNN_LAST),
    ],
)
def test_problem_type_accepts_model_search_names(text: str, expected: ProblemType) -> None:
    assert ProblemType.parse(text) is expected


def test_unknown_problem_type_lists_the_options() -> None:
    with pytest.raises(ConfigError, match="dnn, cnn, rnn_all, rnn_last"):
        ProblemType.parse("gan")


def test_pickles_and_deep_copies() -> None:
    import copy
    import pickle

    arch = Architecture.single(["A", "B"], learning_rate=0.1)
    assert pickle.loads(pickle.dumps(arch)) == arch
    assert copy.deepcopy(arch) == arch
