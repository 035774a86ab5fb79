"""The trial record: user attributes written by the sampler and the driver, read back by
the search and the report.

Every test uses a file-backed storage, where user attributes must be JSON
(docs/library_notes.md, "Optuna").
"""

from __future__ import annotations

import math
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from torchsearch import Architecture
from torchsearch import ConfigError
from torchsearch.search import parse_architecture
from torchsearch.trials import CompletedTrial
from torchsearch.trials import EnsembleRecord
from torchsearch.trials import Key
from torchsearch.trials import RecordWriter
from torchsearch.trials import TeacherRecord
from torchsearch.trials import TrainingRecord
from torchsearch.trials import TrialKind
from torchsearch.trials import TrialProposal
from torchsearch.trials import completed_trials
from torchsearch.trials import read_completed
from torchsearch.trials import read_proposal

FC = "FULLY_CONNECTED"
FC128 = "FIXED_OUTPUT_FULLY_CONNECTED_128"


def sqlite_study(tmp_path: Path, **kwargs: object) -> optuna.Study:
    storage = optuna.storages.RDBStorage(f"sqlite:///{(tmp_path / 'trials.db').resolve()}")
    return optuna.create_study(storage=storage, **kwargs)  # type: ignore[arg-type]


def record_trial(
    trial: optuna.Trial,
    architecture: Architecture,
    kind: TrialKind | str = TrialKind.SEARCH,
    parent: int | None = None,
    operation: str = "random",
) -> None:
    """What the sampler writes when it decides a trial."""
    kind = kind.value if isinstance(kind, TrialKind) else kind
    proposal = TrialProposal(architecture, parent, operation, kind)
    RecordWriter.of(trial).proposal(proposal)


def test_record_round_trips_through_sqlite(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path)
    trial = study.ask()
    arch = Architecture.single([FC, FC128], learning_rate=0.01, optimizer="adam")
    record_trial(trial, arch, kind=TrialKind.SUGGESTION, parent=None, operation="suggested")
    study.tell(trial, 0.5)
    frozen = optuna.load_study(study_name=study.study_name, storage=study._storage).trials[0]
    assert frozen.user_attrs == {
        "architecture": {
            "towers": [[FC, FC128]],
            "hparams": {"learning_rate": 0.01, "optimizer": "adam"},
        },
        "parent": None,
        "kind": "suggestion",
        "operation": "suggested",
    }
    proposal = read_proposal(frozen)
    assert proposal == TrialProposal(arch, None, "suggested", "suggestion")
    record = read_completed(frozen)
    assert record is not None and (record.architecture, record.kind) == (arch, "suggestion")


def test_the_whole_record_reads_back(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path, direction="maximize")
    trial = study.ask()
    record_trial(trial, Architecture.single([FC]), parent=None, operation="random")
    writer = RecordWriter.of(trial)
    arch = Architecture.single([FC], learning_rate=0.02)
    writer.architecture(arch)  # the hyperparameters join the one stored architecture
    writer.parameters(1234)
    writer.graft({"mode": "snapshot", "tensors": 2, "of_tensors": 4, "sources": [0]})
    writer.result({"accuracy": 0.75, "loss": math.nan}, 1.23456, 100, "artifact-id")
    study.tell(trial, 0.75)
    frozen = study.trials[0]
    assert frozen.user_attrs[Key.VALIDATION.value] == {"accuracy": 0.75, "loss": "nan"}
    assert set(frozen.user_attrs) <= {k.value for k in Key}
    record = read_completed(frozen)
    assert record is not None
    assert (record.architecture, record.parameters, record.checkpoint) == (
        arch,
        1234,
        "artifact-id",
    )
    assert (record.train_seconds, record.steps) == (1.2346, 100)
    assert record.validation["accuracy"] == 0.75 and math.isnan(record.loss)
    assert record.graft == {"mode": "snapshot", "tensors": 2, "of_tensors": 4, "sources": [0]}


def test_completed_trials_keeps_complete_search_and_suggestion_trials(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path, direction="maximize")
    kinds = ["search", "suggestion", "ensemble", "search", "search"]
    for number, kind in enumerate(kinds):
        trial = study.ask()
        record_trial(trial, Architecture.single([FC] * (number + 1)), kind=kind)
        if kind == "ensemble":
            RecordWriter.of(trial).ensemble(EnsembleRecord((0, 1), "intermixed", "average"))
        if number == 3:
            study.tell(trial, state=TrialState.FAIL)
        elif number == 4:
            continue  # still running
        else:
            study.tell(trial, float(number))
    bare = study.ask()  # complete, but no architecture anywhere: not a search trial
    study.tell(bare, 9.0)

    found = completed_trials(study)
    assert [(t.number, t.value, len(t.tower)) for t in found] == [(0, 0.0, 1), (1, 1.0, 2)]
    assert all(isinstance(t, CompletedTrial) and t.feasible for t in found)
    assert [t.number for t in completed_trials(study, kinds=None)] == [0, 1, 2]
    assert [t.number for t in completed_trials(study, kinds=[TrialKind.ENSEMBLE])] == [2]
    assert completed_trials(study, kinds=None)[2].towers == (0, 1)  # a pure ensemble's


def test_records_of_ensembles_teachers_and_training_round_trip(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path, direction="maximize")
    for _ in range(6):  # the members and the teacher are earlier trials
        study.tell(study.ask(), state=TrialState.FAIL)
    trial = study.ask()
    record_trial(trial, Architecture.single([FC]), kind="distillation")
    writer = RecordWriter.of(trial)
    writer.ensemble(EnsembleRecord((3, 5), "adaptive", "weighted"))
    writer.teacher(TeacherRecord(4, "cross_entropy", 2.0, 0.5))
    writer.training(TrainingRecord(seed=11, data_seed=0, steps=300))
    study.tell(trial, 0.5)
    record = read_completed(study.trials[6])
    assert record is not None
    assert record.ensemble == EnsembleRecord((3, 5), "adaptive", "weighted")
    assert record.teacher == TeacherRecord(4, "cross_entropy", 2.0, 0.5)
    assert record.training == TrainingRecord(11, 0, 300)
    assert record.towers == (3, 5, 6) and record.has_own_tower


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ensemble", {"members": "x"}),
        ("ensemble", {"members": []}),
        ("teacher", {"trial": "abc", "kind": "mse_logits", "temperature": 1, "weight": 1}),
        ("training", {"seed": 1.5, "data_seed": 0, "steps": 3}),
    ],
)
def test_a_malformed_exploitation_record_is_skipped_with_a_warning(
    tmp_path: Path, key: str, value: object, caplog
) -> None:
    study = sqlite_study(tmp_path, direction="maximize")
    trial = study.ask()
    record_trial(trial, Architecture.single([FC]))
    trial.set_user_attr(key, value)
    study.tell(trial, 0.5)
    assert read_completed(study.trials[0]) is None
    assert "Trial 0: ignoring its record" in caplog.text


def test_constraints_and_non_finite_values_make_a_trial_infeasible(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path)
    for value, constraint in [(1.0, -1.0), (0.5, 2.0), (math.inf, None)]:
        trial = study.ask()
        record_trial(trial, Architecture.single([FC]))
        if constraint is not None:
            trial.set_constraint("size", constraint)
        study.tell(trial, value)
    assert [t.feasible for t in completed_trials(study)] == [True, False, False]


def test_a_malformed_architecture_is_skipped_not_fatal(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path)
    trial = study.ask()
    trial.set_user_attr(Key.ARCHITECTURE.value, {"towers": "not a list"})
    study.tell(trial, 1.0)
    assert read_completed(study.trials[0]) is None
    assert completed_trials(study) == []
    trial = study.ask()
    record_trial(trial, Architecture.single([FC]))
    trial.set_user_attr(Key.PARENT.value, "abc")  # not a trial number
    study.tell(trial, 1.0)
    assert completed_trials(study) == []


def test_completed_trials_needs_a_single_objective(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path, directions=["minimize", "maximize"])
    with pytest.raises(ConfigError, match="one objective"):
        completed_trials(study)


def test_proposal_dict_round_trip_and_merge() -> None:
    proposal = TrialProposal(Architecture.single([FC], learning_rate=0.1), 3, "grow", "search", FC)
    assert TrialProposal.from_dict(proposal.to_dict()) == proposal
    merged = proposal.merged({"learning_rate": 0.5, "optimizer": "sgd"})
    assert dict(merged.hparams) == {"learning_rate": 0.1, "optimizer": "sgd"}
    with pytest.raises(ConfigError, match="needs an architecture"):
        TrialProposal.from_dict({"parent": 1})


@pytest.mark.parametrize(
    "value",
    [
        [FC, FC128],
        {"blocks": [FC, FC128], "hparams": {}},
        {"towers": [[FC, FC128]]},
        Architecture.single([FC, FC128]),
    ],
    ids=["names", "suggestion", "dict", "architecture"],
)
def test_parse_architecture_accepts_each_form(value: object) -> None:
    assert parse_architecture(value) == Architecture.single([FC, FC128])


def test_parse_architecture_rejects_unknown_suggestion_keys() -> None:
    with pytest.raises(ConfigError, match="Unknown suggestion key"):
        parse_architecture({"blocks": [FC], "hparms": {}})
