"""torchsearch's changes to coordinate descent (``DescentOptions``), each on its own and
through a real study: the oldest block replaced first, no tower trained twice, noisy
scores tied and the faster trial preferred, hyperparameters kept from the parent."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import optuna
import pytest

from torchsearch import ConfigError
from torchsearch.blocks import BlockRegistry
from torchsearch.search import MODEL_SEARCH_DESCENT
from torchsearch.search import CompletedTrial
from torchsearch.search import CoordinateDescentSampler
from torchsearch.search import DescentOptions
from torchsearch.search import HyperparameterSpace
from torchsearch.search import Operation
from torchsearch.search import SearchSettings
from torchsearch.search import ancestors
from torchsearch.search import block_ages
from torchsearch.search import prepare_trial
from torchsearch.search import propose_coordinate_descent
from torchsearch.search import replace_one
from torchsearch.search import speed_ranked
from torchsearch.space import Architecture

FC = "FULLY_CONNECTED"
FC128 = "FIXED_OUTPUT_FULLY_CONNECTED_128"
FC256 = "FIXED_OUTPUT_FULLY_CONNECTED_256"
PYRAMID = "FULLY_CONNECTED_PYRAMID"


def trial(
    number: int,
    tower: tuple[str, ...],
    value: float,
    parent: int | None = None,
    seconds: float | None = None,
    **hparams: float | str,
) -> CompletedTrial:
    return CompletedTrial(
        number, Architecture.single(tower, **hparams), value, parent=parent, train_seconds=seconds
    )


def dense(**kwargs: object) -> SearchSettings:
    defaults: dict[str, object] = {"blocks": (FC, FC128, FC256, PYRAMID), "problem": "dnn"}
    return SearchSettings(direction="maximize", **{**defaults, **kwargs})  # type: ignore[arg-type]


def test_model_search_is_every_change_off() -> None:
    assert DescentOptions() == MODEL_SEARCH_DESCENT
    assert DescentOptions("uniform", False, 0.0, 0.0) == MODEL_SEARCH_DESCENT


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("replace_position", "first", "replace_position must be one of uniform, oldest"),
        ("skip_duplicates", 1, "skip_duplicates must be true or false"),
        ("beam_tolerance", -0.1, "beam_tolerance must be a number >= 0"),
        ("beam_tolerance", float("nan"), "beam_tolerance must be a number >= 0"),
        ("hparams_from_parent", 1.5, "hparams_from_parent must be in \\[0, 1\\]"),
    ],
)
def test_bad_options_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DescentOptions(**{field: value})  # type: ignore[arg-type]


def test_scores_within_the_tolerance_tie_and_the_fastest_leads() -> None:
    ranked = [
        trial(0, (FC,), 0.990, seconds=9.0),
        trial(1, (FC,), 0.988, seconds=3.0),
        trial(2, (FC,), 0.986, seconds=None),  # no time recorded: the slowest
        trial(3, (FC,), 0.984, seconds=1.0),  # outside the tolerance: keeps its rank
    ]
    assert [t.number for t in speed_ranked(ranked, 0.0045)] == [1, 0, 2, 3]
    assert [t.number for t in speed_ranked(ranked, 0.0)] == [0, 1, 2, 3]
    assert speed_ranked([], 0.1) == []


def test_the_faster_of_two_tied_trials_is_the_parent(registry: BlockRegistry) -> None:
    completed = [
        trial(0, (FC, FC, FC, FC), 0.99, seconds=20.0),
        trial(1, (FC128, FC), 0.988, seconds=4.0),
    ]
    settings = dense(beam_size=1, maximum_depth=8)
    tied = DescentOptions(beam_tolerance=0.005)
    for seed in range(20):
        proposal = propose_coordinate_descent(
            settings, completed, random.Random(seed), registry, tied
        )
        assert proposal.parent == 1
        plain = propose_coordinate_descent(settings, completed, random.Random(seed), registry)
        assert plain.parent == 0


def test_ages_count_the_ancestors_that_kept_each_block() -> None:
    # 0: (FC, FC) -> 1: grows FC128 -> 2: replaces position 1 -> 3: grows PYRAMID.
    lineage = [
        trial(0, (FC, FC), 0.5),
        trial(1, (FC, FC, FC128), 0.6, parent=0),
        trial(2, (FC, FC256, FC128), 0.7, parent=1),
        trial(3, (FC, FC256, FC128, PYRAMID), 0.8, parent=2),
    ]
    by_number = {t.number: t for t in lineage}
    chain = ancestors(lineage[3], by_number)
    assert [t.number for t in chain] == [2, 1, 0]
    assert block_ages(lineage[3].tower, chain) == [3, 1, 2, 0]
    assert ancestors(lineage[0], by_number) == []
    assert ancestors(trial(9, (FC,), 0.1, parent=7), by_number) == []  # parent not completed


def test_a_replacement_favours_the_oldest_block(registry: BlockRegistry) -> None:
    tower = (FC, FC128, FC256)
    counts: Counter[int] = Counter()
    rng = random.Random(0)
    for _ in range(3000):
        new = replace_one(tower, PYRAMID, rng, registry, weights=[7, 2, 1])
        counts[next(i for i, (a, b) in enumerate(zip(tower, new, strict=True)) if a != b)] += 1
    assert counts[0] > 1.5 * counts[1] > 1.5 * counts[2] > 0
    assert replace_one(tower, PYRAMID, rng, registry, weights=[0, 0, 1]) == (FC, FC128, PYRAMID)
    with pytest.raises(ValueError, match="one non-negative weight per block"):
        replace_one(tower, PYRAMID, rng, registry, weights=[1, 1])


def test_oldest_replacement_reaches_the_first_block_more_often(registry: BlockRegistry) -> None:
    """An 8-block tower whose first block never changed along 7 ancestors."""
    towers = [(FC,) * 2]
    for _ in range(6):
        towers.append((*towers[-1], FC128))
    towers.append((FC, FC256, FC256, FC256, FC256, FC256, FC256, FC256))
    lineage = [
        trial(i, tower, 0.5 + i / 100, parent=i - 1 if i else None)
        for i, tower in enumerate(towers)
    ]
    settings = dense(blocks=(PYRAMID,), beam_size=1, maximum_depth=8)
    firsts = {}
    for position in ("uniform", "oldest"):
        options = DescentOptions(replace_position=position)
        rng = random.Random(1)
        proposals = [
            propose_coordinate_descent(settings, lineage, rng, registry, options)
            for _ in range(2000)
        ]
        assert {p.operation for p in proposals} == {Operation.REPLACE}  # at maximum depth
        firsts[position] = sum(p.tower[0] == PYRAMID for p in proposals) / len(proposals)
    assert firsts["uniform"] == pytest.approx(1 / 8, abs=0.03)
    assert firsts["oldest"] > 2 * firsts["uniform"]


def test_a_trained_tower_is_not_proposed_again(registry: BlockRegistry) -> None:
    # Every replacement of the parent's one block by FC or FC128: two towers, one trained.
    settings = dense(blocks=(FC, FC128), beam_size=1, maximum_depth=1, minimum_depth=1)
    completed = [trial(0, (FC,), 0.9)]
    repeated = {True: 0, False: 0}
    for skip in (True, False):
        options = DescentOptions(skip_duplicates=skip)
        for seed in range(200):
            proposal = propose_coordinate_descent(
                settings, completed, random.Random(seed), registry, options
            )
            repeated[skip] += proposal.tower == (FC,)
    assert repeated[True] == 0
    assert 60 < repeated[False] < 140  # a block replaced by itself half the time


def test_when_every_tower_was_trained_the_last_draw_stands(registry: BlockRegistry) -> None:
    settings = dense(blocks=(FC,), beam_size=1, maximum_depth=1, minimum_depth=1)
    options = DescentOptions(skip_duplicates=True)
    proposal = propose_coordinate_descent(
        settings, [trial(0, (FC,), 0.9)], random.Random(0), registry, options
    )
    assert proposal.tower == (FC,)


def test_a_child_keeps_its_parents_hyperparameters(registry: BlockRegistry) -> None:
    parent = trial(0, (FC, FC), 0.9, learning_rate=0.0123, optimizer="adam")
    settings = dense(beam_size=1)
    kept = DescentOptions(hparams_from_parent=1.0)
    proposal = propose_coordinate_descent(settings, [parent], random.Random(0), registry, kept)
    assert proposal.parent == 0
    assert dict(proposal.hparams) == {"learning_rate": 0.0123, "optimizer": "adam"}
    plain = propose_coordinate_descent(settings, [parent], random.Random(0), registry)
    assert dict(plain.hparams) == {}
    half = DescentOptions(hparams_from_parent=0.5)
    kept_count = sum(
        bool(
            propose_coordinate_descent(
                settings, [parent], random.Random(s), registry, half
            ).hparams
        )
        for s in range(400)
    )
    assert 150 < kept_count < 250


def test_a_study_trains_the_child_with_its_parents_learning_rate(
    tmp_path: Path, registry: BlockRegistry
) -> None:
    space = HyperparameterSpace.from_config({"learning_rate": [1e-4, 1e-1]})
    sampler = CoordinateDescentSampler(
        dense(beam_size=1), seed=0, registry=registry, hparams_from_parent=1.0
    )
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "study.journal"))
    )
    study = optuna.create_study(storage=storage, sampler=sampler, direction="maximize")
    first = study.ask()
    root = prepare_trial(first, space, registry)
    study.tell(first, 0.5)
    for _ in range(3):
        child = study.ask()
        proposal = prepare_trial(child, space, registry)
        assert proposal.parent == 0
        assert child.params["learning_rate"] == first.params["learning_rate"]
        assert (
            proposal.architecture.hparams["learning_rate"]
            == root.architecture.hparams["learning_rate"]
        )
        study.tell(child, 0.1)  # worse: trial 0 stays the parent
