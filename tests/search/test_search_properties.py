"""Invariants of every proposal, checked over many simulated searches.

Each search runs 60 proposals; every proposal becomes a completed trial with a random
objective, and about one in ten is infeasible. Whatever the settings, a proposal uses only
the search blocks (plus the CNN flatten and the reduction block), is in CNN order with one
flatten for a CNN, never exceeds ``maximum_depth``, derives from a feasible trial of the
beam by one block, and leaves its inputs untouched.
"""

from __future__ import annotations

import copy
import random
from collections import Counter

import pytest

from torchsearch import ProblemType
from torchsearch.blocks import BlockRegistry
from torchsearch.search import CompletedTrial
from torchsearch.search import ConstrainedSettings
from torchsearch.search import Operation
from torchsearch.search import Proposal
from torchsearch.search import Proposer
from torchsearch.search import SearchSettings
from torchsearch.search import propose_constrained_descent
from torchsearch.search import propose_coordinate_descent
from torchsearch.search import propose_random
from torchsearch.search import rank
from torchsearch.space import Architecture
from torchsearch.space import fix_architecture_order

CONV = ("FIXED_CHANNEL_CONVOLUTION_16", "FIXED_CHANNEL_CONVOLUTION_32", "CONVOLUTION_3X3")
DENSE = ("FULLY_CONNECTED", "FIXED_OUTPUT_FULLY_CONNECTED_128", "FULLY_CONNECTED_PYRAMID")
POOLS = ("AVERAGE_POOL_2X2", "MAX_POOLING_3X3")
FLATTENS = ("FLATTEN", "PLATE_REDUCTION_FLATTEN", "DOWNSAMPLE_FLATTEN")
PROPOSERS: dict[str, Proposer] = {
    "coordinate_descent": propose_coordinate_descent,
    "constrained_descent": propose_constrained_descent,
    "random": propose_random,
}


def _settings(algorithm: str, problem: str, rng: random.Random) -> SearchSettings:
    constrained = algorithm == "constrained_descent"
    pool = CONV + DENSE + (() if constrained else POOLS)
    fields: dict[str, object] = {
        "blocks": tuple(rng.sample(pool, rng.randint(1, len(pool)))),
        "problem": problem,
        "minimum_depth": rng.randint(1, 3),
        "maximum_depth": rng.randint(5, 12),
        "beam_size": rng.randint(1, 4),
        "increase_complexity_probability": rng.choice([0.0, 0.5, 0.9, 1.0]),
        "increase_complexity_minimum_trials": rng.choice([(), (0,), (0, 2, 4), (1, 1, 3, 20)]),
        "direction": rng.choice(["minimize", "maximize"]),
    }
    if not constrained:
        return SearchSettings(**fields)  # type: ignore[arg-type]
    return ConstrainedSettings(
        **fields,  # type: ignore[arg-type]
        num_blocks_in_cell=rng.randint(2, 4),
        reduction_block_type=rng.choice(POOLS),
        replicate_cell=rng.random() < 0.3,
    )


def _check(
    proposal: Proposal,
    settings: SearchSettings,
    trials: list[CompletedTrial],
    algorithm: str,
    registry: BlockRegistry,
) -> None:
    tower = proposal.tower
    allowed = set(settings.blocks)
    if isinstance(settings, ConstrainedSettings):
        allowed.add(settings.reduction_block_type)
    if settings.problem is ProblemType.CNN:
        allowed.add("PLATE_REDUCTION_FLATTEN")
        assert fix_architecture_order(tower, "cnn", registry) == tower
        assert sum(b in FLATTENS for b in tower) == 1
    assert set(tower) <= allowed, tower
    assert len(tower) <= settings.maximum_depth, (tower, settings)

    if proposal.parent is None:
        assert proposal.operation is Operation.RANDOM
        assert algorithm == "random" or not rank(trials, settings.direction)
        return
    ranked = rank(trials, settings.direction)
    assert proposal.parent in [t.number for t in ranked[: settings.beam_size]]
    if algorithm == "coordinate_descent":
        parent = next(t.tower for t in trials if t.number == proposal.parent)
        grown = proposal.operation is Operation.GROW
        assert len(tower) == len(parent) + grown
        lost = Counter(parent) - Counter(tower)
        assert sum(lost.values()) == 0 if grown else sum(lost.values()) <= 1


def _snapshot(trials: list[CompletedTrial]) -> list[tuple[object, ...]]:
    # By value and identity (Architecture holds a mappingproxy, so it cannot be deep-copied).
    return [(id(t), t.number, t.architecture.to_json(), t.value, t.feasible) for t in trials]


@pytest.mark.parametrize("algorithm", sorted(PROPOSERS))
@pytest.mark.parametrize("problem", ["cnn", "dnn", "rnn_all"])
def test_invariants_hold_over_simulated_searches(
    algorithm: str, problem: str, registry: BlockRegistry
) -> None:
    propose = PROPOSERS[algorithm]
    for seed in range(15):
        rng = random.Random(seed)
        settings = _settings(algorithm, problem, rng)
        frozen_settings = copy.deepcopy(settings)
        trials: list[CompletedTrial] = []
        for number in range(60):
            before = _snapshot(trials)
            proposal = propose(settings, trials, rng, registry)
            assert _snapshot(trials) == before  # inputs untouched
            assert settings == frozen_settings
            _check(proposal, settings, trials, algorithm, registry)
            arch = Architecture.single(proposal.tower)
            trials.append(CompletedTrial(number, arch, rng.random(), rng.random() > 0.1))


def test_the_same_seed_gives_the_same_search(registry: BlockRegistry) -> None:
    def run(seed: int) -> list[Proposal]:
        rng = random.Random(seed)
        settings = SearchSettings(blocks=CONV + DENSE, problem="cnn", beam_size=3)
        trials: list[CompletedTrial] = []
        proposals = []
        for number in range(30):
            proposal = propose_coordinate_descent(settings, trials, rng, registry)
            proposals.append(proposal)
            arch = Architecture.single(proposal.tower)
            trials.append(CompletedTrial(number, arch, rng.random()))
        return proposals

    assert run(4) == run(4)
    assert run(4) != run(5)
