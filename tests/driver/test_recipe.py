"""What a trial trains: recipes from the exploitation settings, from a record, for a replay."""

from __future__ import annotations

import random
from pathlib import Path

import optuna
import pytest

from torchsearch import Architecture
from torchsearch import ConfigError
from torchsearch.driver._recipe import ExploitSettings
from torchsearch.driver._recipe import TrialRecipe
from torchsearch.driver._recipe import recorded_recipe
from torchsearch.driver._recipe import replay_recipe
from torchsearch.driver._recipe import search_recipe
from torchsearch.exploit import DistillSettings
from torchsearch.exploit import EnsembleSettings
from torchsearch.trials import CompletedTrial
from torchsearch.trials import EnsembleRecord
from torchsearch.trials import RecordWriter
from torchsearch.trials import TeacherRecord
from torchsearch.trials import TrainingRecord
from torchsearch.trials import TrialProposal

FC = "FIXED_OUTPUT_FULLY_CONNECTED_128"
INTERMIXED = ExploitSettings(EnsembleSettings.from_config({"strategy": "intermixed", "width": 3}))


def _trial(number: int, value: float, **fields) -> CompletedTrial:
    return CompletedTrial(number, Architecture.single([FC] * (number % 3 + 1)), value, **fields)


def _recipe(
    settings: ExploitSettings, number: int, completed: list[CompletedTrial]
) -> TrialRecipe:
    return search_recipe(
        settings, number, completed, "maximize", num_suggestions=0, rng=random.Random(0)
    )


def test_an_intermixed_ensemble_trial_samples_its_members_from_the_best_search_trials() -> None:
    completed = [_trial(n, value) for n, value in enumerate([0.5, 0.9, 0.7, 0.8])]
    recipe = _recipe(INTERMIXED, 4, completed)  # id 5: an ensemble trial
    assert recipe.ensemble is not None and not recipe.has_tower and not recipe.searched
    assert len(recipe.ensemble.members) == 3 and set(recipe.ensemble.members) <= {0, 1, 2, 3}
    assert recipe.proposal is not None and recipe.proposal.kind == "ensemble"
    assert len(recipe.proposal.architecture.towers) == 3


def test_a_width_beyond_the_completed_trials_uses_what_exists_and_one_is_no_ensemble() -> None:
    wide = ExploitSettings(EnsembleSettings.from_config({"strategy": "intermixed", "width": 5}))
    two = _recipe(wide, 4, [_trial(0, 0.5), _trial(1, 0.6)])
    assert two.ensemble is not None and two.ensemble.members == (0, 1)
    assert _recipe(wide, 4, [_trial(0, 0.5)]) == TrialRecipe()  # a plain search trial


def test_an_ensemble_of_the_same_members_is_not_repeated() -> None:
    top3 = ExploitSettings(
        EnsembleSettings.from_config({"strategy": "intermixed", "trials_considered": 3})
    )
    completed = [_trial(n, value) for n, value in enumerate([0.5, 0.9, 0.7, 0.8])]
    first = _recipe(top3, 4, completed)
    assert first.ensemble is not None and first.ensemble.members == (1, 2, 3)
    done = _trial(4, 0.95, kind="ensemble", ensemble=first.ensemble)
    later = [*completed, done, *(_trial(n, 0.1) for n in range(5, 9))]
    assert _recipe(top3, 9, later) == TrialRecipe()  # the same 3 best: search instead


def test_a_student_is_not_taught_twice_by_the_same_teacher() -> None:
    settings = ExploitSettings(
        EnsembleSettings.from_config({"strategy": "intermixed", "trials_considered": 3}),
        DistillSettings.from_config({"kind": "adaptively_balance"}),
    )
    ensemble = EnsembleRecord((0, 1, 2), "intermixed", "average")
    completed = [
        *(_trial(n, v) for n, v in enumerate([0.5, 0.9, 0.7, 0.8])),
        _trial(4, 0.95, kind="ensemble", ensemble=ensemble),
    ]
    first = _recipe(settings, 5, completed)  # id 6: right after the ensemble
    assert first.warm_start == 1 and first.teacher is not None and first.teacher.trial == 4
    taught = _trial(
        5, 0.85, kind="distillation", operation="warm_start", parent=1, teacher=first.teacher
    )
    later = [*completed, taught, *(_trial(n, 0.1) for n in range(6, 10))]
    assert _recipe(settings, 10, later) == TrialRecipe()  # id 11: same pair, so search


def test_search_trials_between_ensembles_search() -> None:
    assert _recipe(INTERMIXED, 5, [_trial(n, 0.5) for n in range(5)]) == TrialRecipe()


def test_an_ensemble_member_of_an_ensemble_stands_for_its_towers() -> None:
    ensemble = _trial(3, 0.99, kind="ensemble", ensemble=EnsembleRecord((0, 1), "x", "average"))
    adaptive = _trial(4, 0.98, ensemble=EnsembleRecord((2,), "adaptive", "average"))
    assert ensemble.towers == (0, 1) and adaptive.towers == (2, 4)
    settings = ExploitSettings(
        EnsembleSettings.from_config({"strategy": "adaptive", "every": 2, "minimal_pool_size": 0})
    )
    completed = [_trial(0, 0.1), _trial(1, 0.2), _trial(2, 0.3), ensemble, adaptive]
    recipe = _recipe(settings, 5, completed)  # id 6, pool 6: the best of ids <= 6
    assert recipe.has_tower and recipe.proposal is None  # the sampler's new tower
    assert recipe.ensemble is not None and recipe.ensemble.members == (0, 1)


def test_distillation_alone_takes_the_best_trial_as_teacher() -> None:
    settings = ExploitSettings(
        distill=DistillSettings.from_config({"kind": "mse_logits", "minimal_pool_size": 2})
    )
    completed = [_trial(0, 0.4), _trial(1, 0.9), _trial(2, 0.6)]
    recipe = _recipe(settings, 3, completed)
    assert recipe.teacher == TeacherRecord(1, "mse_logits", 1.0, 1.0)
    assert recipe.kind == "distillation" and recipe.proposal is None and recipe.searched


def test_a_replay_copies_the_record_and_points_to_the_original() -> None:
    original = _trial(
        4,
        0.9,
        ensemble=EnsembleRecord((1, 2), "adaptive", "weighted"),
        training=TrainingRecord(seed=44, data_seed=0, steps=300),
    )
    recipe = replay_recipe(original)
    assert recipe.training == original.training and recipe.ensemble == original.ensemble
    assert recipe.proposal == TrialProposal(original.architecture, 4, "replay", "replay")
    other = replay_recipe(original, seed=5, steps=10)
    assert other.training == TrainingRecord(5, 5, 10)
    with pytest.raises(ConfigError, match="no training record"):
        replay_recipe(_trial(1, 0.5))


def test_a_retried_trial_trains_what_its_first_attempt_recorded(tmp_path: Path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path}/t.db", direction="maximize")
    trial = study.ask()
    writer = RecordWriter.of(trial)
    assert recorded_recipe(study.trials[0]) is None  # nothing recorded yet
    proposal = TrialProposal(Architecture(((FC,), (FC, FC))), None, "intermixed", "ensemble")
    writer.proposal(proposal)
    writer.ensemble(EnsembleRecord((0, 1), "intermixed", "average"))
    writer.training(TrainingRecord(3, 0, 30))
    recipe = recorded_recipe(study.trials[0])
    assert recipe is not None and recipe.proposal == proposal and not recipe.searched
    assert recipe.ensemble == EnsembleRecord((0, 1), "intermixed", "average")
    assert recipe.training == TrainingRecord(3, 0, 30)
