"""A conformance suite for searcher plugins: subclass it, give a ``sampler_factory``.

As Optuna ships ``optuna.testing.pytest_samplers``, torchsearch ships
the checks every :class:`~torchsearch.search.ArchitectureSampler` must pass, run with the
ask-and-tell interface against file-backed SQLite and journal storages (the
in-memory storage accepts values that are not JSON, so it would hide bugs)::

    class TestMySampler(ArchitectureSamplerTests):
        @pytest.fixture
        def sampler_factory(self):
            return functools.partial(MySampler, population_size=4)

The factory is called as ``factory(settings, seed=..., registry=..., suggestions=...)``.
The suite's blocks are the toy blocks of :func:`toy_registry`; override the ``settings``
or ``block_registry`` fixtures for others.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.storages import BaseStorage
from optuna.storages import JournalStorage
from optuna.storages import RDBStorage
from optuna.storages.journal import JournalFileBackend

from torchsearch.blocks import BlockRegistry
from torchsearch.search import ArchitectureSampler
from torchsearch.search import Operation
from torchsearch.search import SearchSettings
from torchsearch.search import proposal_of
from torchsearch.space import Architecture
from torchsearch.space import fix_architecture_order
from torchsearch.testing._blocks import TOY_CONV_BLOCKS
from torchsearch.testing._blocks import TOY_DENSE_BLOCKS
from torchsearch.testing._blocks import TOY_TUNABLE
from torchsearch.testing._blocks import toy_registry
from torchsearch.trials import Key
from torchsearch.trials import TrialKind
from torchsearch.trials import TrialProposal
from torchsearch.trials import completed_trials
from torchsearch.trials import read_proposal

__all__ = ["ArchitectureSamplerTests", "SamplerFactory", "StorageCase"]

SamplerFactory = Callable[..., ArchitectureSampler]
_OPERATIONS = {op.value for op in Operation}
_TEMPTING = 1e6
"""The intermediate value a pruned trial reports: better than any completed trial's."""


@dataclass(frozen=True)
class StorageCase:
    """A file-backed storage kind and the problem type it is run with."""

    kind: str  # "sqlite" or "journal"
    problem: str  # "cnn" or "dnn"
    path: Path

    def open(self, path: Path | None = None) -> BaseStorage:
        """A storage on ``path`` (this case's file by default)."""
        target = (path or self.path).resolve()
        if self.kind == "sqlite":
            return RDBStorage(f"sqlite:///{target}")  # an absolute path: four slashes
        return JournalStorage(JournalFileBackend(str(target)))


class ArchitectureSamplerTests:
    """The checks; each runs on SQLite with a CNN space and on a journal with a DNN space."""

    n_trials = 10

    @pytest.fixture
    def sampler_factory(self) -> SamplerFactory:
        """Overridden by each subclass: makes the sampler under test."""
        raise NotImplementedError("Subclasses provide the sampler_factory fixture.")

    @pytest.fixture
    def block_registry(self) -> BlockRegistry:
        return toy_registry()

    @pytest.fixture(params=[("sqlite", "cnn"), ("journal", "dnn")], ids=lambda p: "-".join(p))
    def case(self, request: pytest.FixtureRequest, tmp_path: Path) -> StorageCase:
        kind, problem = request.param
        return StorageCase(kind, problem, tmp_path / f"study.{kind}")

    @pytest.fixture
    def settings(self, case: StorageCase) -> SearchSettings:
        blocks = (
            (*TOY_CONV_BLOCKS, *TOY_DENSE_BLOCKS)
            if case.problem == "cnn"
            else (*TOY_DENSE_BLOCKS, TOY_TUNABLE)
        )
        return SearchSettings(
            blocks=blocks,
            problem=case.problem,
            minimum_depth=1,
            maximum_depth=4,
            beam_size=2,
            increase_complexity_probability=0.9,
            increase_complexity_minimum_trials=(0, 2, 4, 6),
            direction="maximize",
        )

    def make(
        self,
        factory: SamplerFactory,
        settings: SearchSettings,
        registry: BlockRegistry,
        seed: int = 0,
        suggestions: Sequence[Architecture] = (),
    ) -> ArchitectureSampler:
        """The sampler under test; checks the factory made one."""
        sampler = factory(settings, seed=seed, registry=registry, suggestions=suggestions)
        assert isinstance(sampler, ArchitectureSampler), f"{sampler!r} is no ArchitectureSampler"
        return sampler

    def objective(self, architecture: Architecture, settings: SearchSettings) -> float:
        """A deterministic stand-in for training: favours the first search block."""
        tower = architecture.blocks
        return tower.count(settings.blocks[0]) + 0.1 * len(tower)

    def step(self, study: optuna.Study) -> tuple[optuna.Trial, TrialProposal]:
        """Asks a trial and reads its proposal, as a driver does (the sampler records it)."""
        trial = study.ask()
        return trial, proposal_of(trial)

    def check(
        self,
        proposal: TrialProposal,
        sampler: ArchitectureSampler,
        registry: BlockRegistry,
        completed: set[int],
    ) -> None:
        """Asserts that a search proposal is valid for the sampler's settings."""
        settings = sampler.settings
        tower = proposal.architecture.blocks
        flattens = [b for b in tower if b in registry and registry.prototype(b).is_flatten]
        allowed = set(settings.blocks) | set(flattens)
        extra = getattr(settings, "reduction_block_type", None)
        if extra:
            allowed.add(extra)
        assert set(tower) <= allowed, f"{tower} uses blocks outside {sorted(allowed)}"
        assert 1 <= len(tower) - len(flattens) <= settings.maximum_depth, f"{tower} too deep"
        if settings.problem.value == "cnn":
            assert len(flattens) == 1, f"CNN tower {tower} needs exactly one flatten"
            assert tower == fix_architecture_order(tower, settings.problem, registry)
        else:
            assert not flattens, f"{tower} holds a flatten outside a CNN"
        assert proposal.kind == TrialKind.SEARCH.value
        assert proposal.operation in _OPERATIONS
        assert (proposal.parent is None) == (proposal.operation == Operation.RANDOM.value)
        if proposal.parent is not None:
            assert proposal.parent in completed, f"parent {proposal.parent} is not completed"

    def test_proposals_are_valid(
        self,
        sampler_factory: SamplerFactory,
        settings: SearchSettings,
        block_registry: BlockRegistry,
        case: StorageCase,
    ) -> None:
        sampler = self.make(sampler_factory, settings, block_registry)
        study = optuna.create_study(storage=case.open(), sampler=sampler, direction="maximize")
        completed: set[int] = set()
        proposals: dict[int, TrialProposal] = {}
        for _ in range(self.n_trials):
            trial, proposal = self.step(study)
            self.check(proposal, sampler, block_registry, completed)
            study.tell(trial, self.objective(proposal.architecture, settings))
            completed.add(trial.number)
            proposals[trial.number] = proposal
        # Each proposal is the trial's record, in torchsearch.trials' schema and no other.
        schema = {key.value for key in Key}
        for frozen in study.get_trials():
            assert read_proposal(frozen) == proposals[frozen.number], "record != proposal"
            assert set(frozen.user_attrs) <= schema, (
                f"keys outside the record: {frozen.user_attrs}"
            )
        assert [t.number for t in completed_trials(study, registry=block_registry)] == sorted(
            completed
        )

    proposes_parents = True
    """Whether the sampler mutates earlier trials (False for random search): then the
    rejected-trials check below also asserts that some parents were chosen."""

    def test_pruned_and_failed_trials_are_never_parents(
        self,
        sampler_factory: SamplerFactory,
        settings: SearchSettings,
        block_registry: BlockRegistry,
        case: StorageCase,
    ) -> None:
        """The driver prunes a candidate over ``space.max_parameters`` untrained; Optuna
        gives a pruned trial its last reported value, here one that beats every completed
        trial. Parents must come from COMPLETE trials only."""
        sampler = self.make(sampler_factory, settings, block_registry)
        study = optuna.create_study(storage=case.open(), sampler=sampler, direction="maximize")
        completed: set[int] = set()
        parents: set[int] = set()
        for number in range(24):
            trial, proposal = self.step(study)
            self.check(proposal, sampler, block_registry, completed)
            if proposal.parent is not None:
                parents.add(proposal.parent)
            if number < 3 or number % 3 == 0:  # rejected, as the driver prunes a big one
                trial.report(_TEMPTING, step=0)
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            elif number % 3 == 1 and number > 3:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, self.objective(proposal.architecture, settings))
                completed.add(number)
        assert study.trials[0].value == _TEMPTING, "Optuna keeps a pruned trial's last report"
        assert [t.number for t in completed_trials(study, registry=block_registry)] == sorted(
            completed
        )
        if self.proposes_parents:
            assert parents, "no trial had a parent: the check above proved nothing"

    def test_state_lives_in_storage(
        self,
        sampler_factory: SamplerFactory,
        settings: SearchSettings,
        block_registry: BlockRegistry,
        case: StorageCase,
        tmp_path: Path,
    ) -> None:
        study = optuna.create_study(
            storage=case.open(),
            sampler=self.make(sampler_factory, settings, block_registry, seed=7),
            direction="maximize",
        )
        for _ in range(self.n_trials // 2):
            trial, proposal = self.step(study)
            study.tell(trial, self.objective(proposal.architecture, settings))
        copy = tmp_path / f"copy.{case.kind}"
        shutil.copyfile(case.path, copy)
        again = optuna.load_study(
            study_name=study.study_name,
            storage=case.open(copy),
            sampler=self.make(sampler_factory, settings, block_registry, seed=7),
        )
        assert completed_trials(again, registry=block_registry) == completed_trials(
            study, registry=block_registry
        )
        first, mine = self.step(study)
        second, theirs = self.step(again)
        assert first.number == second.number
        assert mine == theirs, "a new sampler on the same storage and seed proposed otherwise"

    def test_two_samplers_share_one_storage(
        self,
        sampler_factory: SamplerFactory,
        settings: SearchSettings,
        block_registry: BlockRegistry,
        case: StorageCase,
    ) -> None:
        samplers = [self.make(sampler_factory, settings, block_registry, seed=3) for _ in "ab"]
        one = optuna.create_study(storage=case.open(), sampler=samplers[0], direction="maximize")
        name = one.study_name
        two = optuna.load_study(study_name=name, storage=case.open(), sampler=samplers[1])
        running: list[tuple[optuna.Study, optuna.Trial, TrialProposal]] = []
        completed: set[int] = set()
        for i in range(self.n_trials):
            study = (one, two)[i % 2]
            trial, proposal = self.step(study)
            self.check(proposal, study.sampler, block_registry, completed)  # type: ignore[arg-type]
            running.append((study, trial, proposal))
            if len(running) == 2:  # each worker tells while the other one trains
                done_study, done, done_proposal = running.pop(0)
                done_study.tell(done, self.objective(done_proposal.architecture, settings))
                completed.add(done.number)
        numbers = [t.number for t in one.get_trials()]
        assert numbers == list(range(self.n_trials))

    def test_suggestions_come_first_and_enqueued_trials_keep_theirs(
        self,
        sampler_factory: SamplerFactory,
        settings: SearchSettings,
        block_registry: BlockRegistry,
        case: StorageCase,
    ) -> None:
        blocks = settings.blocks
        suggestion = Architecture.single([blocks[-1], blocks[0]], learning_rate=0.01)
        sampler = self.make(sampler_factory, settings, block_registry, suggestions=[suggestion])
        study = optuna.create_study(storage=case.open(), sampler=sampler, direction="maximize")
        trial, proposal = self.step(study)
        ordered = fix_architecture_order(suggestion.blocks, settings.problem, block_registry)
        assert proposal.architecture == Architecture.single(ordered, learning_rate=0.01)
        assert (proposal.kind, proposal.parent) == (TrialKind.SUGGESTION.value, None)
        study.tell(trial, 1.0)
        given = Architecture.single([blocks[1]] * 2)
        record = {Key.ARCHITECTURE.value: given.to_dict(), Key.KIND.value: "replay"}
        study.enqueue_trial({}, user_attrs=record)
        trial, proposal = self.step(study)
        assert (proposal.architecture, proposal.kind) == (given, TrialKind.REPLAY.value)
        study.tell(trial, 0.0)
        trial, proposal = self.step(study)
        self.check(proposal, sampler, block_registry, {0, 1})

    def test_relative_params_are_json_and_add_no_param(
        self,
        sampler_factory: SamplerFactory,
        settings: SearchSettings,
        block_registry: BlockRegistry,
        case: StorageCase,
    ) -> None:
        sampler = self.make(sampler_factory, settings, block_registry)
        study = optuna.create_study(storage=case.open(), sampler=sampler, direction="maximize")
        trial = study.ask()
        params: dict[str, Any] = trial.relative_params
        assert TrialProposal.from_dict(params).to_dict() == params
        study.tell(trial, 0.0)
        assert study.trials[0].params == {}
