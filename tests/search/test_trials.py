"""The trial record: user attributes written by the driver, read back by the search.

Every test uses a file-backed storage, where user attributes must be JSON (STACK.md §1).
"""

from __future__ import annotations

import math
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from torchsearch import Architecture
from torchsearch import ConfigError
from torchsearch.search import ARCHITECTURE_ATTR
from torchsearch.search import CompletedTrial
from torchsearch.search import TrialKind
from torchsearch.search import TrialProposal
from torchsearch.search import architecture_of
from torchsearch.search import completed_trials
from torchsearch.search import kind_of
from torchsearch.search import parse_architecture
from torchsearch.search import record_trial
from torchsearch.search import recorded_proposal

FC = "FULLY_CONNECTED"
FC128 = "FIXED_OUTPUT_FULLY_CONNECTED_128"


def sqlite_study(tmp_path: Path, **kwargs: object) -> optuna.Study:
    storage = optuna.storages.RDBStorage(f"sqlite:///{(tmp_path / 'trials.db').resolve()}")
    return optuna.create_study(storage=storage, **kwargs)  # type: ignore[arg-type]


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
    assert architecture_of(frozen) == arch
    assert kind_of(frozen) == "suggestion"


def test_completed_trials_keeps_complete_search_and_suggestion_trials(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path, direction="maximize")
    kinds = ["search", "suggestion", "ensemble", "search", "search"]
    for number, kind in enumerate(kinds):
        trial = study.ask()
        record_trial(trial, Architecture.single([FC] * (number + 1)), kind=kind)
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


def test_constraints_and_non_finite_values_make_a_trial_infeasible(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path)
    for value, constraint in [(1.0, -1.0), (0.5, 2.0), (math.inf, None)]:
        trial = study.ask()
        record_trial(trial, Architecture.single([FC]))
        if constraint is not None:
            trial.set_constraint("size", constraint)
        study.tell(trial, value)
    assert [t.feasible for t in completed_trials(study)] == [True, False, False]


def test_the_samplers_system_attribute_stands_in_for_a_missing_record(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path)
    trial = study.ask()
    proposal = TrialProposal(Architecture.single([FC128]), None, "random")
    study._storage.set_trial_system_attr(
        trial._trial_id, "SomeSampler:proposal", proposal.to_dict()
    )
    study.tell(trial, 1.0)
    frozen = study.trials[0]
    assert recorded_proposal(frozen) == proposal
    assert architecture_of(frozen) == proposal.architecture
    assert kind_of(frozen) == "search"
    assert [t.tower for t in completed_trials(study)] == [(FC128,)]


def test_a_malformed_architecture_is_skipped_not_fatal(tmp_path: Path) -> None:
    study = sqlite_study(tmp_path)
    trial = study.ask()
    trial.set_user_attr(ARCHITECTURE_ATTR, {"towers": "not a list"})
    study.tell(trial, 1.0)
    assert architecture_of(study.trials[0]) is None
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
