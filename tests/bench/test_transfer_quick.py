"""The transfer benchmark's smoke check: ``bench/transfer.py --quick`` runs both parts and
puts its section into the report. No timing thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import run_quick_section


def test_quick_transfer_run_writes_its_section(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the benchmark's report draws with matplotlib")
    section = run_quick_section("transfer.py", "Transfer learning", tmp_path)
    assert "snapshot-grafted children" in section
    reproduced = section.split("reproduced the search's own result exactly for ", 1)[1]
    same, _, total = reproduced.split(" children", 1)[0].partition(" of ")
    assert same == total, "a grafted retraining differs from the search's own training"
    for arm in ("grafted", "grafted, half steps", "from scratch"):
        assert f"| {arm} |" in section, arm
    rows = [line for line in section.splitlines() if line.startswith("| 0 |")]
    assert rows, "no child was measured"
    for variant in ("cd, no transfer", "cd + snapshot", "cd + snapshot, half steps"):
        assert section.count(f"| {variant} |") == 2, variant  # mnist1d and digits
