"""Regularized (aging) evolution as a torchsearch searcher.

Real, Aggarwal, Huang and Le, "Regularized Evolution for Image Classifier Architecture
Search", AAAI 2019, Algorithm 1, over torchsearch's towers of blocks:

1. **Initial population.** While fewer than ``population_size`` trials have completed, each
   new trial is a random tower, with no parent. Its depth is drawn uniformly between
   ``minimum_depth`` and the depth that Model Search's schedule allows after that many
   trials (``increase_complexity_minimum_trials``, default one more block every five
   trials), so the initial population starts shallow and deepens, as in the greedy search.
2. **Population.** The newest ``population_size`` completed trials, by trial number
   (creation order); older trials have aged out, whatever their value. Trials that are
   infeasible or have no finite value neither join the population nor count towards it.
3. **Tournament.** ``tournament_size`` members are drawn uniformly, with replacement as in
   the paper's pseudocode; the best of them (ties: the lower trial number) is the parent.
4. **Mutation.** With probability ``growth_probability``, and only while the parent is
   shorter than ``maximum_depth`` (a CNN's flatten counts, as in the greedy search), one
   random block is added; otherwise one random block is replaced (it may be replaced by
   the same block, as in Model Search's ``mutate_replace``). The paper only replaces;
   growth lets the towers deepen past the initial population's depths.

Every decision is a function of the completed trials in the storage and the trial's own
random stream, so any number of workers can share the study (the searcher contract).
Only torchsearch's public API is used.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from torchsearch import ConfigError
from torchsearch.search import ArchitectureSampler
from torchsearch.search import CompletedTrial
from torchsearch.search import Operation
from torchsearch.search import Proposal
from torchsearch.search import SearchSettings
from torchsearch.search import allowed_depth
from torchsearch.search import grow
from torchsearch.search import random_block
from torchsearch.search import random_tower
from torchsearch.search import rank
from torchsearch.search import replace_one
from torchsearch.space import ProblemType
from torchsearch.space import fix_architecture_order

__all__ = ["EvolutionSampler", "population", "tournament"]


class EvolutionSampler(ArchitectureSampler):
    """Regularized evolution (see the module docstring).

    Args:
        settings: the search settings (blocks, depths, direction, depth schedule).
        population_size: how many of the newest completed trials form the population.
        tournament_size: how many members each tournament draws.
        growth_probability: the chance that a mutation adds a block rather than replacing
            one, while the parent is under ``maximum_depth``.
        **kwargs: the :class:`~torchsearch.search.ArchitectureSampler` arguments.

    Raises:
        ConfigError: an option is out of range.
    """

    def __init__(
        self,
        settings: SearchSettings,
        *,
        population_size: int = 20,
        tournament_size: int = 5,
        growth_probability: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(settings, **kwargs)
        for name, value in (
            ("population_size", population_size),
            ("tournament_size", tournament_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}.")
        if tournament_size > population_size:
            raise ConfigError(
                f"tournament_size ({tournament_size}) cannot exceed population_size "
                f"({population_size})."
            )
        p = growth_probability
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ConfigError(f"growth_probability must be in [0, 1], got {p!r}.")
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.growth_probability = float(p)

    def propose(self, completed: Sequence[CompletedTrial], rng: random.Random) -> Proposal:
        settings, registry = self.settings, self.registry
        settings.check(registry)
        members = population(completed, self.population_size)
        if len(members) < self.population_size:
            return self._random(len(members), rng)
        parent = tournament(members, self.tournament_size, settings.direction, rng)
        new_block = random_block(settings.blocks, rng)
        tower = parent.tower
        if len(tower) < settings.maximum_depth and rng.random() < self.growth_probability:
            tower, operation = grow(tower, new_block, settings.problem, registry), Operation.GROW
        else:
            tower = replace_one(tower, new_block, rng, registry)
            operation = Operation.REPLACE
        tower = fix_architecture_order(tower, settings.problem, registry)
        return Proposal(tower, parent.number, operation, new_block)

    def _random(self, num_members: int, rng: random.Random) -> Proposal:
        settings = self.settings
        flatten = 1 if settings.problem is ProblemType.CNN else 0
        scheduled = allowed_depth(
            num_members, settings.increase_complexity_minimum_trials, settings.maximum_depth
        )
        deepest = max(settings.minimum_depth, min(scheduled, settings.maximum_depth - flatten))
        depth = settings.minimum_depth + rng.randrange(deepest - settings.minimum_depth + 1)
        tower = random_tower(settings.blocks, depth, rng)
        tower = fix_architecture_order(tower, settings.problem, self.registry)
        return Proposal(tower, None, Operation.RANDOM)


def population(completed: Sequence[CompletedTrial], size: int) -> list[CompletedTrial]:
    """The newest ``size`` feasible trials with a finite value, oldest first (aging)."""
    alive = [t for t in completed if t.feasible and math.isfinite(t.value)]
    return sorted(alive, key=lambda t: t.number)[-size:]


def tournament(
    members: Sequence[CompletedTrial], size: int, direction: str, rng: random.Random
) -> CompletedTrial:
    """The best of ``size`` members drawn uniformly with replacement (Real et al., Alg. 1)."""
    drawn = [members[rng.randrange(len(members))] for _ in range(size)]
    return rank(drawn, direction)[0]
