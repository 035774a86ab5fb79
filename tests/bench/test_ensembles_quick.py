"""The ensemble benchmark's smoke check: ``bench/ensembles.py --quick`` runs every part
and puts its section into the report. No accuracy or timing thresholds, except that a
replay reproduces its original exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_quick_ensembles_run_writes_its_section(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the benchmarks' report draws with matplotlib")
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\n## Ensembles and distillation\n\nold\n\n## After\n\nkept\n")
    done = subprocess.run(
        [sys.executable, str(BENCH / "ensembles.py"), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = output.read_text()
    assert text.count("## Ensembles and distillation") == 1 and "old" not in text
    assert text.endswith("## After\n\nkept\n")
    section = text.split("## Ensembles and distillation", 1)[1]
    assert "reproduced the recorded validation metric exactly in 2 of 2 searches" in section
    for data in ("mnist1d", "digits"):
        assert section.count(f"| {data} | 0 |") == 1, data  # the per-seed row
