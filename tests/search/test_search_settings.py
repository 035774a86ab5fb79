"""Settings validation: every bad value fails early, with a message naming the field."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from torchsearch import ConfigError
from torchsearch import ProblemType
from torchsearch import UnknownBlockError
from torchsearch.blocks import BlockRegistry
from torchsearch.search import SearchSettings
from torchsearch.search import propose_coordinate_descent
from torchsearch.search import propose_random

FC = "FULLY_CONNECTED"


def test_defaults_are_model_search_proto_defaults() -> None:
    settings = SearchSettings(blocks=[FC], problem="CNN")
    assert settings.blocks == (FC,)
    assert settings.problem is ProblemType.CNN
    assert (settings.minimum_depth, settings.maximum_depth) == (2, 30)
    assert settings.beam_size == 1
    assert settings.increase_complexity_probability == 1.0
    assert settings.increase_complexity_minimum_trials == ()
    assert settings.direction == "minimize"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"blocks": ()}, "blocks is empty"),
        ({"blocks": FC}, "list of block names"),
        ({"blocks": (FC, "")}, "non-empty names"),
        ({"problem": "graph"}, "Unknown problem type"),
        ({"beam_size": 0}, "beam_size must be at least 1"),
        ({"beam_size": 1.5}, "beam_size must be an integer"),
        ({"increase_complexity_probability": 1.5}, r"must be in \[0, 1\]"),
        ({"increase_complexity_probability": -0.1}, r"must be in \[0, 1\]"),
        ({"minimum_depth": 0}, "1 <= minimum_depth <= maximum_depth"),
        ({"minimum_depth": 5, "maximum_depth": 4}, "1 <= minimum_depth <= maximum_depth"),
        ({"maximum_depth": 2, "increase_complexity_minimum_trials": (0, 1, 2)}, "at most one"),
        ({"increase_complexity_minimum_trials": (0, 10, 5)}, "non-decreasing"),
        ({"increase_complexity_minimum_trials": (-1,)}, "non-negative"),
        ({"direction": "up"}, "Unknown direction"),
    ],
)
def test_bad_values_are_refused(overrides: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"blocks": (FC,), "problem": "dnn", **overrides}
    with pytest.raises(ConfigError, match=message):
        SearchSettings(**fields)  # type: ignore[arg-type]


def test_settings_are_frozen() -> None:
    settings = SearchSettings(blocks=[FC], problem="dnn")
    with pytest.raises(AttributeError):
        settings.beam_size = 3  # type: ignore[misc]


def test_unknown_blocks_are_named_with_close_matches(registry: BlockRegistry) -> None:
    settings = SearchSettings(blocks=(FC, "FULLY_CONECTED_PYRAMID"), problem="dnn")
    with pytest.raises(UnknownBlockError, match=r"In blocks: .*Did you mean FULLY_CONNECTED_PYR"):
        propose_random(settings, [], random.Random(0), registry)


@pytest.mark.parametrize("problem", ["cnn", "dnn"])
def test_flatten_blocks_cannot_be_search_blocks(problem: str, registry: BlockRegistry) -> None:
    # The original meant to refuse them (docs/model_search.md, "Deliberate differences").
    settings = SearchSettings(blocks=(FC, "DOWNSAMPLE_FLATTEN"), problem=problem)
    with pytest.raises(ConfigError, match=r"flatten block\(s\) \['DOWNSAMPLE_FLATTEN'\]"):
        propose_coordinate_descent(settings, [], random.Random(0), registry)


def test_cnn_needs_the_default_flatten_registered(
    make_registry: Callable[..., BlockRegistry],
) -> None:
    registry = make_registry(conv=(), dense=(FC,), flatten=("FLATTEN",))
    settings = SearchSettings(blocks=(FC,), problem="cnn")
    with pytest.raises(UnknownBlockError, match=r"CNN ordering rule.*PLATE_REDUCTION_FLATTEN"):
        propose_random(settings, [], random.Random(0), registry)
