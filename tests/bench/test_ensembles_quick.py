"""The ensemble benchmark's smoke check: ``bench/ensembles.py --quick`` runs every part
and puts its section into the report. No accuracy or timing thresholds, except that a
replay reproduces its original exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import run_quick_section


def test_quick_ensembles_run_writes_its_section(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the benchmarks' report draws with matplotlib")
    section = run_quick_section("ensembles.py", "Ensembles and distillation", tmp_path)
    assert "reproduced the recorded validation metric exactly in 2 of 2 searches" in section
    for data in ("mnist1d", "digits"):
        assert section.count(f"| {data} | 0 |") == 1, data  # the per-seed row
