"""Pruned and failed trials are never parents, whatever value they carry.

The driver prunes a candidate over ``space.max_parameters`` before training it. Such a
trial keeps its architecture record, and Optuna gives a pruned trial its last reported
intermediate value, so a searcher that looked past the trial state could take it for
the best trial. Each searcher must choose parents from COMPLETE trials only.
"""

from __future__ import annotations

import functools
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from torchsearch.search import ConstrainedDescentSampler
from torchsearch.search import CoordinateDescentSampler
from torchsearch.search import RandomArchitectureSampler
from torchsearch.search import SearchSettings
from torchsearch.search import completed_trials
from torchsearch.search import proposal_of
from torchsearch.search import record_trial
from torchsearch.testing import TOY_CONV_BLOCKS
from torchsearch.testing import TOY_DENSE_BLOCKS
from torchsearch.testing import SamplerFactory
from torchsearch.testing import toy_registry

SEARCHERS: dict[str, SamplerFactory] = {
    "coordinate_descent": CoordinateDescentSampler,
    "constrained_descent": functools.partial(ConstrainedDescentSampler, num_blocks_in_cell=2),
    "random": RandomArchitectureSampler,
}
TEMPTING = 1e6
"""The intermediate value a pruned trial reports: better than any completed trial's."""


def settings() -> SearchSettings:
    return SearchSettings(
        blocks=(*TOY_CONV_BLOCKS, *TOY_DENSE_BLOCKS),
        problem="cnn",
        minimum_depth=1,
        maximum_depth=4,
        beam_size=3,
        increase_complexity_minimum_trials=(0, 0, 0, 0),
        direction="maximize",
    )


@pytest.mark.parametrize("name", sorted(SEARCHERS))
def test_pruned_and_failed_trials_are_never_parents(name: str, tmp_path: Path) -> None:
    sampler = SEARCHERS[name](settings(), seed=0, registry=toy_registry())
    storage = optuna.storages.RDBStorage(f"sqlite:///{(tmp_path / 'study.db').resolve()}")
    study = optuna.create_study(storage=storage, sampler=sampler, direction="maximize")
    completed: set[int] = set()
    parents: set[int] = set()
    for number in range(24):
        trial = study.ask()
        proposal = proposal_of(trial)
        record_trial(
            trial,
            proposal.architecture,
            kind=proposal.kind,
            parent=proposal.parent,
            operation=proposal.operation,
        )
        if proposal.parent is not None:
            assert proposal.parent in completed, f"trial {number}: parent {proposal.parent}"
            parents.add(proposal.parent)
        if number < 3 or number % 3 == 0:  # rejected, as the driver prunes a big candidate
            trial.report(TEMPTING, step=0)
            study.tell(trial, state=TrialState.PRUNED)
        elif number % 3 == 1 and number > 3:
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, float(len(proposal.architecture.blocks)))
            completed.add(number)
    assert study.trials[0].value == TEMPTING, "Optuna keeps a pruned trial's last report"
    assert [t.number for t in completed_trials(study)] == sorted(completed)
    if name != "random":  # the adaptive searches did pick parents, all completed
        assert parents
