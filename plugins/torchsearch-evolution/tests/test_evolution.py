"""Aging and tournaments (Real et al. 2019, Algorithm 1) on a real SQLite storage."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import optuna
import pytest
from torchsearch import Architecture
from torchsearch import ConfigError
from torchsearch.search import CompletedTrial
from torchsearch.search import SearchSettings
from torchsearch.search import proposal_of
from torchsearch.testing import TOY_CONV_BLOCKS
from torchsearch.testing import TOY_DENSE_BLOCKS
from torchsearch.testing import toy_registry

from torchsearch_evolution import EvolutionSampler
from torchsearch_evolution import population
from torchsearch_evolution import tournament

A, B = TOY_DENSE_BLOCKS


def settings(**kwargs: Any) -> SearchSettings:
    base: dict[str, Any] = {"blocks": TOY_DENSE_BLOCKS, "problem": "dnn", "minimum_depth": 1}
    return SearchSettings(direction="maximize", **{**base, **kwargs})


def study_of(tmp_path: Path, sampler: EvolutionSampler) -> optuna.Study:
    storage = optuna.storages.RDBStorage(f"sqlite:///{(tmp_path / 'evo.db').resolve()}")
    return optuna.create_study(storage=storage, sampler=sampler, direction="maximize")


def step(study: optuna.Study, value: Any) -> tuple[int, Any]:
    """Asks a trial (the sampler records it), tells ``value(number, tower)``; returns its
    proposal."""
    trial = study.ask()
    proposal = proposal_of(trial)
    study.tell(trial, value(trial.number, proposal.architecture.blocks))
    return trial.number, proposal


def done(number: int, value: float, feasible: bool = True) -> CompletedTrial:
    return CompletedTrial(number, Architecture.single([A] * (number + 1)), value, feasible)


def test_population_is_the_newest_feasible_trials() -> None:
    trials = [done(4, 1.0), done(0, 9.0), done(3, float("nan")), done(2, 5.0, False), done(1, 2.0)]
    assert [t.number for t in population(trials, 2)] == [1, 4]
    assert [t.number for t in population(trials, 10)] == [0, 1, 4]


def test_tournament_draws_with_replacement_and_the_best_wins() -> None:
    members = [done(0, 1.0), done(1, 3.0), done(2, 2.0)]

    class Scripted(random.Random):
        def __init__(self, *draws: int) -> None:
            super().__init__(0)
            self.draws = list(draws)

        def randrange(self, n: int) -> int:  # type: ignore[override]
            return self.draws.pop(0)

    assert tournament(members, 2, "maximize", Scripted(0, 2)).number == 2
    assert tournament(members, 2, "minimize", Scripted(2, 2)).number == 2  # drawn twice
    assert tournament(members, 3, "maximize", Scripted(0, 1, 2)).number == 1


def test_random_towers_until_the_population_is_full_then_aging(tmp_path: Path) -> None:
    sampler = EvolutionSampler(
        settings(maximum_depth=4),
        population_size=4,
        tournament_size=4,
        seed=0,
        registry=toy_registry(),
    )
    study = study_of(tmp_path, sampler)
    # Trial 0 is by far the best, yet it ages out once four newer trials have completed.
    value = lambda number, tower: 100.0 if number == 0 else float(tower.count(A))  # noqa: E731
    proposals = [step(study, value)[1] for _ in range(20)]
    assert all(p.parent is None and p.operation == "random" for p in proposals[:4])
    for number, proposal in enumerate(proposals[4:], start=4):
        assert number - 4 <= proposal.parent < number, "the parent is in the newest four"
        assert proposal.operation in ("replace", "grow")
    assert {p.parent for p in proposals[5:]}.isdisjoint({0})
    assert proposals[4].parent == 0  # while it was alive, its tournaments picked it


def test_evolution_climbs_the_objective(tmp_path: Path) -> None:
    sampler = EvolutionSampler(
        settings(maximum_depth=6),
        population_size=5,
        tournament_size=3,
        growth_probability=0.5,
        seed=1,
        registry=toy_registry(),
    )
    study = study_of(tmp_path, sampler)
    values = [step(study, lambda n, tower: float(tower.count(A)))[1] for _ in range(30)]
    counts = [p.architecture.blocks.count(A) for p in values]
    assert max(counts) >= 4
    assert sum(counts[-10:]) > sum(counts[:5]) * 2


@pytest.mark.parametrize(("probability", "grows"), [(0.0, False), (1.0, True)])
def test_growth_probability(tmp_path: Path, probability: float, grows: bool) -> None:
    sampler = EvolutionSampler(
        settings(problem="cnn", blocks=(*TOY_CONV_BLOCKS, A), maximum_depth=5),
        population_size=2,
        tournament_size=1,
        growth_probability=probability,
        seed=2,
        registry=toy_registry(),
    )
    study = study_of(tmp_path, sampler)
    proposals = [step(study, lambda n, tower: float(len(tower)))[1] for _ in range(10)]
    evolved = [p for p in proposals if p.parent is not None]
    assert len(evolved) == 8
    for p in evolved:
        parent_length = len(proposals[p.parent].architecture.blocks)
        assert p.operation == ("grow" if grows and parent_length < 5 else "replace")
        assert len(p.architecture.blocks) <= 5  # a CNN's flatten counts towards maximum_depth
    assert any(p.operation == "grow" for p in evolved) is grows


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"population_size": 0}, "population_size must be a positive integer"),
        ({"tournament_size": 2.5}, "tournament_size must be a positive integer"),
        ({"population_size": 3, "tournament_size": 4}, "cannot exceed population_size"),
        ({"growth_probability": 1.5}, r"growth_probability must be in \[0, 1\]"),
    ],
)
def test_bad_options_are_config_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EvolutionSampler(settings(), **options)
