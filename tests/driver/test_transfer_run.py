"""Whole searches with transfer learning: what the records say, and faults on the way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_helpers import trials_in
from optuna.trial import TrialState

from torchsearch.driver import run_search
from torchsearch.trials import read_completed

pytestmark = pytest.mark.slow

# Only search trials: the dnn space's ensembles and distillation are off here.
SEARCH_ONLY = ("ensemble=none", "distill=none")

# digits: 1077 training examples, batch 32, one epoch: 34 steps; half of it: 17.
FULL_STEPS, HALF_STEPS = 34, 17


def test_snapshot_children_start_from_their_parent_and_train_less(
    make_config, tmp_path: Path, capsys
) -> None:
    config = make_config(
        "transfer=snapshot", "transfer.steps_fraction=0.5", "search.n_trials=6", *SEARCH_ONLY
    )
    run_search(config, tmp_path)
    records = [read_completed(t) for t in trials_in(tmp_path)]
    assert all(r is not None for r in records) and len(records) == 6
    children = [r for r in records if r.parent is not None]
    assert children, "coordinate descent forked no child in 6 trials"
    for record in records:
        if record.parent is None:
            assert record.graft is None and record.steps == FULL_STEPS
            continue
        graft = record.graft
        assert graft is not None and graft["mode"] == "snapshot"
        assert graft["sources"] == [record.parent] and graft["warnings"] == []
        assert 0 < graft["tensors"] <= graft["of_tensors"]
        assert 0 < graft["parameters"] <= graft["of_parameters"] == record.parameters
        assert record.steps == HALF_STEPS
    out = capsys.readouterr().out
    assert "grafted" in out.splitlines()[1]
    child = children[0]
    assert f"{child.graft['tensors']}/{child.graft['of_tensors']}" in out  # type: ignore[index]


def test_a_missing_parent_checkpoint_starts_the_child_fresh_and_the_search_goes_on(
    make_config, tmp_path: Path, capsys
) -> None:
    run_search(make_config("search.n_trials=2", *SEARCH_ONLY), tmp_path)
    shutil.rmtree(tmp_path / "artifacts")  # every parent's weights are gone
    best = run_search(
        make_config("transfer=snapshot", "search.n_trials=5", *SEARCH_ONLY), tmp_path
    )
    trials = trials_in(tmp_path)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 5
    warned = [
        read_completed(t).graft  # type: ignore[union-attr]
        for t in trials[2:]
        if read_completed(t).parent in (0, 1)  # type: ignore[union-attr]
    ]
    for graft in warned:
        assert graft["tensors"] == 0 and "is missing; starting fresh" in graft["warnings"][0]
    out = capsys.readouterr().out
    # The report skips a best trial whose weights are gone, and says so.
    top = max(trials, key=lambda t: (t.value, -t.number))
    assert best is not None and best.trial >= 2
    assert ("is skipped: checkpoint" in out) == (top.number < 2)
