"""The from-scratch benchmark's smoke check: ``bench/from_scratch.py --quick`` runs every
searcher from no suggestion on the three tasks and every ablation variant, and puts its
section into the report. No timing or accuracy thresholds: three trials of 15 steps."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest
from bench_helpers import BENCH
from bench_helpers import run_quick_section


@pytest.fixture(scope="module")
def from_scratch() -> ModuleType:
    """``bench/from_scratch.py`` imported as the benchmark runs it (beside its modules)."""
    sys.path.insert(0, str(BENCH))
    try:
        import from_scratch
    finally:
        sys.path.remove(str(BENCH))
    return from_scratch


def table_methods(section: str, heading: str) -> list[str]:
    """The method column of the table under ``### heading``."""
    body = section.split(f"### {heading}", 1)[1].split("\n### ", 1)[0]
    return [
        line.split(" | ")[0].removeprefix("| ")
        for line in body.splitlines()
        if line.startswith("| ") and not line.startswith("| method")
    ]


def test_quick_from_scratch_run_writes_its_section(
    tmp_path: Path, from_scratch: ModuleType
) -> None:
    pytest.importorskip("torchsearch_evolution", reason="the comparison runs the plugin")
    section = run_quick_section("from_scratch.py", "Search from scratch", tmp_path)
    for name, scratch in from_scratch.tasks().items():
        expected = list(from_scratch.comparison_methods(scratch))
        assert table_methods(section, name) == expected, name
    assert "constrained descent" in table_methods(section, "mnist1d")
    assert "constrained descent" not in table_methods(section, "digits")  # a dense space
    ablation = table_methods(section, "Ablation: coordinate descent on mnist1d")
    assert ablation == list(from_scratch.ablation_methods())
    assert "Goal on MNIST-1D: coordinate descent's median test accuracy" in section
    assert "FAILED" not in section
    assert section.count("![") == 4  # three tasks' best-so-far plots and the ablation's


def test_the_tabular_task_is_the_same_file_every_time(from_scratch: ModuleType) -> None:
    first = from_scratch.tabular_csv().read_bytes()
    lines = first.decode().splitlines()
    assert lines[0].split(",")[-1] == "label" and len(lines) == 3001
    assert sorted({line.rsplit(",", 1)[1] for line in lines[1:]}) == ["0", "1", "2", "3"]
    from_scratch.tabular_csv().unlink()
    assert from_scratch.tabular_csv().read_bytes() == first


def test_stored_results_are_reused_only_under_the_same_budget(
    tmp_path: Path, from_scratch: ModuleType
) -> None:
    Budget, MethodResult, TrialRecord = (
        from_scratch.Budget,
        from_scratch.MethodResult,
        from_scratch.TrialRecord,
    )
    budget = Budget(n_trials=3, trial_steps=15, seconds=60)
    result = MethodResult(
        "cd", "mnist1d", 0, 0.9, 0.91, 100, 5.0, [TrialRecord(0, 5.0, 0.91, 0.9, 100, "x")]
    )
    path = tmp_path / "seed0.json"
    from_scratch._save(path, result, budget)
    assert from_scratch._load(path, budget) == result
    assert from_scratch._load(path, Budget(n_trials=3, trial_steps=16, seconds=60)) is None
    assert from_scratch._load(tmp_path / "missing.json", budget) is None


def test_stored_only_reports_without_running_and_names_what_it_lacks(
    tmp_path: Path, from_scratch: ModuleType
) -> None:
    budget = from_scratch.tasks()["digits"].full
    result = from_scratch.MethodResult(
        "random",
        "digits",
        1,
        0.95,
        0.96,
        4810,
        30.0,
        [from_scratch.TrialRecord(0, 2.0, 0.96, 0.95, 4810, "FULLY_CONNECTED")],
    )
    path = from_scratch._result_path(tmp_path, "comparison", "digits", "random", 1)
    from_scratch._save(path, result, budget)
    body = from_scratch.measure(
        False, [0, 1], ("comparison",), ("digits",), None, "only", tmp_path
    )
    assert "| random | 0.9500 | 0.9600 | 4,810 | 1 |" in body
    assert "random (seeds 0)" in body and "cd (seeds 0, 1)" in body
    assert "Not measured in this run" in body
    assert (tmp_path / "from_scratch_comparison_digits.png").is_file()
