"""The samplers with ask and tell on file-backed storages: search, suggestions, workers.

No mocks: each test runs a real Optuna study on SQLite or a journal file, with a fake
objective standing in for training (docs/architecture.md, "The loop").
"""

from __future__ import annotations

import copy
import pickle
import statistics
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from torchsearch import Architecture
from torchsearch import ConfigError
from torchsearch.blocks import BlockRegistry
from torchsearch.search import ArchitectureSampler
from torchsearch.search import ConstrainedDescentSampler
from torchsearch.search import CoordinateDescentSampler
from torchsearch.search import HyperparameterSpace
from torchsearch.search import RandomArchitectureSampler
from torchsearch.search import SearchSettings
from torchsearch.search import prepare_trial
from torchsearch.search import proposal_of
from torchsearch.trials import OVERSIZED
from torchsearch.trials import completed_trials
from torchsearch.trials import read_proposal

PRF = "PLATE_REDUCTION_FLATTEN"
CONV = "CONVOLUTION_3X3"
C16 = "FIXED_CHANNEL_CONVOLUTION_16"
FC = "FULLY_CONNECTED"
FC128 = "FIXED_OUTPUT_FULLY_CONNECTED_128"
DENSE = (FC, FC128, "FIXED_OUTPUT_FULLY_CONNECTED_256", "FULLY_CONNECTED_PYRAMID")
SPACE = HyperparameterSpace.from_config({"learning_rate": [1e-4, 1e-1]})


def sqlite(tmp_path: Path, name: str = "study.db") -> optuna.storages.RDBStorage:
    return optuna.storages.RDBStorage(f"sqlite:///{(tmp_path / name).resolve()}")


def journal(tmp_path: Path, name: str = "study.journal") -> optuna.storages.JournalStorage:
    backend = optuna.storages.journal.JournalFileBackend(str(tmp_path / name))
    return optuna.storages.JournalStorage(backend)


def settings(problem: str = "dnn", **kwargs: Any) -> SearchSettings:
    defaults: dict[str, Any] = {"blocks": DENSE, "minimum_depth": 2, "maximum_depth": 8}
    return SearchSettings(problem=problem, direction="maximize", **{**defaults, **kwargs})


def run(
    study: optuna.Study,
    n_trials: int,
    registry: BlockRegistry,
    space: HyperparameterSpace | None = SPACE,
) -> list[float]:
    """Asks, prepares and tells ``n_trials`` trials; the objective counts FULLY_CONNECTED.

    Without a ``space`` no hyperparameter is drawn: the sampler records the architecture.
    """
    values = []
    for _ in range(n_trials):
        trial = study.ask()
        proposal = proposal_of(trial) if space is None else prepare_trial(trial, space, registry)
        values.append(float(proposal.architecture.blocks.count(FC)))
        study.tell(trial, values[-1])
    return values


def test_coordinate_descent_improves_over_random(tmp_path: Path, registry: BlockRegistry) -> None:
    search = settings(
        beam_size=3,
        increase_complexity_probability=0.9,
        increase_complexity_minimum_trials=(0, 2, 4, 6, 8, 10, 12, 14),
    )
    results: dict[str, list[list[float]]] = {"descent": [], "random": []}
    for seed in range(2):
        for name, cls in (
            ("descent", CoordinateDescentSampler),
            ("random", RandomArchitectureSampler),
        ):
            sampler = cls(search, seed=seed, registry=registry)
            storage = journal(tmp_path, f"{name}{seed}.journal")
            study = optuna.create_study(storage=storage, sampler=sampler, direction="maximize")
            results[name].append(run(study, 25, registry, space=None))
    for descent, random_ in zip(results["descent"], results["random"], strict=True):
        assert max(descent) >= 3 > max(random_)  # random search never goes past depth 2
        assert statistics.mean(descent[-10:]) > statistics.mean(random_[-10:]) + 1


def test_suggestions_come_first_in_order_across_two_workers(
    tmp_path: Path, registry: BlockRegistry
) -> None:
    suggestions = [
        {"blocks": [FC128, CONV], "hparams": {"learning_rate": 0.02}},
        {"blocks": [C16, C16], "hparams": {}},
        Architecture.single([CONV, FC]),
    ]
    search = settings("cnn", blocks=(CONV, C16, FC, FC128))
    workers = []
    for _ in range(2):  # one storage, two samplers, one config: as two processes would be
        sampler = CoordinateDescentSampler(
            search, seed=0, suggestions=suggestions, registry=registry
        )
        workers.append(
            optuna.create_study(
                study_name="shared",
                storage=sqlite(tmp_path),
                sampler=sampler,
                direction="maximize",
                load_if_exists=True,
            )
        )
    asked = [(w, w.ask()) for w in (workers[0], workers[1], workers[0], workers[1])]
    proposals = [prepare_trial(t, SPACE, registry) for _, t in asked]
    assert [t.number for _, t in asked] == [0, 1, 2, 3]
    assert [p.architecture.blocks for p in proposals[:3]] == [
        (CONV, PRF, FC128),  # CNN order
        (C16, C16, PRF),
        (CONV, PRF, FC),
    ]
    assert [(p.kind, p.operation, p.parent) for p in proposals] == [
        *[("suggestion", "suggested", None)] * 3,
        ("search", "random", None),  # nothing had completed when trial 3 was asked
    ]
    # The suggestion's learning rate is the trial's param, not just laid over it.
    assert asked[0][1].params["learning_rate"] == 0.02
    assert proposals[0].architecture.hparams["learning_rate"] == 0.02
    for study, trial in asked:
        study.tell(trial, 1.0)
    assert [t.number for t in completed_trials(workers[1])] == [0, 1, 2, 3]


def test_an_enqueued_trial_keeps_its_architecture(tmp_path: Path, registry: BlockRegistry) -> None:
    sampler = CoordinateDescentSampler(settings(), seed=0, registry=registry)
    study = optuna.create_study(storage=sqlite(tmp_path), sampler=sampler, direction="maximize")
    run(study, 2, registry)
    study.enqueue_trial({"learning_rate": 0.005}, user_attrs={"architecture": [FC] * 7})
    trial = study.ask()
    proposal = prepare_trial(trial, SPACE, registry)
    assert proposal.architecture.blocks == (FC,) * 7
    assert (proposal.kind, proposal.operation, proposal.parent) == ("search", "given", None)
    assert proposal.architecture.hparams["learning_rate"] == 0.005
    study.tell(trial, 7.0)
    frozen = study.trials[2]
    assert frozen.user_attrs["operation"] == "given"
    assert frozen.user_attrs["architecture"]["towers"] == [[FC] * 7]  # normalised, stored once
    assert completed_trials(study)[-1].tower == (FC,) * 7


def test_a_retried_trial_keeps_its_proposal(tmp_path: Path, registry: BlockRegistry) -> None:
    sampler = CoordinateDescentSampler(settings(), seed=0, registry=registry)
    study = optuna.create_study(storage=sqlite(tmp_path), sampler=sampler, direction="maximize")
    run(study, 3, registry)
    trial = study.ask()
    first = prepare_trial(trial, SPACE, registry)
    study.tell(trial, state=TrialState.FAIL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        RetryHeartbeatStaleTrialCallback()(study, study.trials[3])  # what a heartbeat does
    retry = study.ask()
    assert retry.number == 4
    again = prepare_trial(retry, SPACE, registry)
    assert again == first
    assert retry.params == trial.params


def test_a_tower_rejected_for_its_size_is_not_proposed_again(
    tmp_path: Path, registry: BlockRegistry
) -> None:
    one_block = settings(blocks=(FC, FC128), minimum_depth=1, maximum_depth=1)
    sampler = RandomArchitectureSampler(one_block, seed=0, registry=registry)
    study = optuna.create_study(storage=sqlite(tmp_path), sampler=sampler, direction="maximize")

    def propose(reason: str | None) -> tuple[str, ...]:
        trial = study.ask()
        tower = proposal_of(trial).architecture.blocks
        if reason is None:
            study.tell(trial, 1.0)
        else:
            trial.set_user_attr("reason", reason)
            study.tell(trial, state=TrialState.PRUNED)
        return tower

    # Pruned early (trained, then stopped) is no reason to avoid a tower.
    early = [propose("pruned at step 3 by the median pruner") for _ in range(10)]
    assert set(early) == {(FC,), (FC128,)}
    too_big = propose(f"{OVERSIZED}: 9 parameters > space.max_parameters 1")
    other = ({(FC,), (FC128,)} - {too_big}).pop()
    assert [propose(None) for _ in range(20)] == [other] * 20
    # With every tower rejected the last draw stands; it is counted again, never built.
    propose(f"{OVERSIZED}: 9 parameters > space.max_parameters 1")
    assert propose(None) in {(FC,), (FC128,)}


def test_workers_with_one_seed_draw_apart_yet_reproducibly(
    tmp_path: Path, registry: BlockRegistry
) -> None:
    def first_two(storage: optuna.storages.BaseStorage, name: str) -> list[Any]:
        studies = [
            optuna.create_study(
                study_name=name,
                storage=storage,
                direction="maximize",
                load_if_exists=True,
                sampler=RandomArchitectureSampler(
                    settings(minimum_depth=4), seed=0, registry=registry
                ),
            )
            for _ in range(2)
        ]
        trials = [s.ask() for s in studies]
        return [(prepare_trial(t, SPACE, registry).architecture.blocks, t.params) for t in trials]

    one = first_two(journal(tmp_path), "a")
    assert one[0][0] != one[1][0]  # towers
    assert one[0][1] != one[1][1]  # hyperparameters (TPE's start-up draws)
    assert first_two(sqlite(tmp_path), "b") == one  # the same seed replays the same trials


def test_a_second_trial_object_sees_the_same_proposal(
    tmp_path: Path, registry: BlockRegistry
) -> None:
    sampler = CoordinateDescentSampler(settings(), seed=None, registry=registry)
    study = optuna.create_study(storage=sqlite(tmp_path), sampler=sampler, direction="maximize")
    run(study, 2, registry)
    trial = study.ask()
    sampler.reseed_rng()
    again = optuna.Trial(study, trial._trial_id)
    assert again.relative_params == trial.relative_params
    assert proposal_of(again) == proposal_of(trial)


def test_objectives_that_do_not_record_still_search_adaptively(
    tmp_path: Path, registry: BlockRegistry
) -> None:
    sampler = CoordinateDescentSampler(settings(), seed=1, registry=registry)
    study = optuna.create_study(storage=journal(tmp_path), sampler=sampler, direction="maximize")
    # A bare objective records nothing itself: the sampler wrote each trial's record.
    study.optimize(lambda t: float(proposal_of(t).architecture.blocks.count(FC)), n_trials=6)
    assert all(t.system_attrs == {} for t in study.trials)
    assert [t.number for t in completed_trials(study)] == list(range(6))
    parents = [read_proposal(t).parent for t in study.trials]  # type: ignore[union-attr]
    assert parents[0] is None and all(p is not None for p in parents[1:])


def test_the_study_and_the_settings_must_agree_on_the_direction(
    tmp_path: Path, registry: BlockRegistry
) -> None:
    sampler = CoordinateDescentSampler(settings(), registry=registry)
    study = optuna.create_study(storage=journal(tmp_path), sampler=sampler, direction="minimize")
    with pytest.raises(ConfigError, match="should minimize but the search settings maximize"):
        proposal_of(study.ask())


def test_proposal_of_needs_an_architecture_sampler(tmp_path: Path) -> None:
    study = optuna.create_study(storage=journal(tmp_path), sampler=optuna.samplers.TPESampler())
    with pytest.raises(ConfigError, match="TPESampler, not an ArchitectureSampler"):
        proposal_of(study.ask())


@pytest.mark.parametrize(
    ("cls", "accepted"),
    [
        (
            CoordinateDescentSampler,
            "replace_position, skip_duplicates, beam_tolerance, hparams_from_parent",
        ),
        (RandomArchitectureSampler, "none"),
        (ConstrainedDescentSampler, "num_blocks_in_cell, reduction_block_type, replicate_cell"),
    ],
)
def test_unknown_options_name_the_accepted_ones(
    cls: type[ArchitectureSampler], accepted: str
) -> None:
    with pytest.raises(ConfigError, match=f"no option\\(s\\) beam; it accepts: {accepted}."):
        cls(settings(), beam=3)


def test_constrained_descent_takes_its_cell_options(registry: BlockRegistry) -> None:
    sampler = ConstrainedDescentSampler(
        settings("cnn", blocks=(CONV, C16, FC)), num_blocks_in_cell=2, registry=registry
    )
    assert sampler.settings.num_blocks_in_cell == 2
    assert sampler.settings.reduction_block_type == "DOWNSAMPLE_CONVOLUTION_3X3"
    assert sampler.settings.blocks == (CONV, C16, FC)
    with pytest.raises(ConfigError, match="reduction block"):
        ConstrainedDescentSampler(settings(), reduction_block_type=FC)


def test_abstract_contract_is_one_method() -> None:
    assert ArchitectureSampler.__abstractmethods__ == frozenset({"propose"})

    class Fixed(ArchitectureSampler):
        def propose(self, completed: Sequence[Any], rng: Any) -> Any:
            raise NotImplementedError

    assert Fixed.options() == {}


def test_a_sampler_copies_and_pickles_with_its_seed(registry: BlockRegistry) -> None:
    sampler = CoordinateDescentSampler(settings(), seed=5, registry=registry)
    for copied in (copy.deepcopy(sampler), pickle.loads(pickle.dumps(sampler))):
        assert isinstance(copied, CoordinateDescentSampler)
        assert copied.rng(4).random() == sampler.rng(4).random()
        assert repr(copied.inner) == "PerTrialSeededSampler(tpe, seed=5)"
