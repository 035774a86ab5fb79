"""The regression benchmark's smoke check: ``bench/regression.py --quick`` runs a search on
the diabetes set and the linear baselines and puts its section into the report."""

from __future__ import annotations

from pathlib import Path

from bench_helpers import run_quick_section


def test_quick_regression_run_writes_its_section(tmp_path: Path) -> None:
    section = run_quick_section("regression.py", "Regression: diabetes", tmp_path)
    for method in (
        "linear regression (least squares)",
        "ridge regression (penalty by leave-one-out)",
        "torchsearch, coordinate descent",
        "torchsearch, median of the seeds",
    ):
        assert f"| {method} |" in section, method
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| linear")]
    assert 40 < float(rows[0][2]) < 80, "least squares' test RMSE on diabetes is about 57"
    assert "Median test RMSE of the search over the best linear baseline" in section
