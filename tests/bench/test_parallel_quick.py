"""The workers-and-pruning benchmark's smoke check: ``bench/parallel.py --quick`` runs
every search (torchrun included) and puts its section into the report. No timing
thresholds."""

from __future__ import annotations

from pathlib import Path

from bench_helpers import run_quick_section


def test_quick_parallel_run_writes_its_section(tmp_path: Path) -> None:
    section = run_quick_section("parallel.py", "Workers and pruning", tmp_path)
    for arm in ("| 1 worker |", "| torchrun --nproc_per_node=2 |", "| 2 processes, one study |"):
        assert section.count(arm) == 2, arm  # once per workload
    for pruner in ("none", "median", "successive_halving"):
        assert section.count(f"| {pruner} |") == 1, pruner
