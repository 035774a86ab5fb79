"""The transfer benchmark's smoke check: ``bench/transfer.py --quick`` runs both parts and
puts its section into the report. No timing thresholds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_quick_transfer_run_writes_its_section(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the benchmark's report draws with matplotlib")
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\n## Transfer learning\n\nold\n\n## After\n\nkept\n")
    done = subprocess.run(
        [sys.executable, str(BENCH / "transfer.py"), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = output.read_text()
    assert text.count("## Transfer learning") == 1 and "old" not in text
    assert text.endswith("## After\n\nkept\n")
    section = text.split("## Transfer learning", 1)[1]
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


@pytest.mark.parametrize("already", [True, False])
def test_replace_section_keeps_the_rest(tmp_path: Path, already: bool) -> None:
    pytest.importorskip("matplotlib", reason="the benchmark's report draws with matplotlib")
    sys.path.insert(0, str(BENCH))
    try:
        import transfer
    finally:
        sys.path.remove(str(BENCH))
    path = tmp_path / "B.md"
    path.write_text("# B\n\n## One\n\n1\n" + ("\n## Transfer learning\n\nx\n" if already else ""))
    transfer.replace_section(path, "Transfer learning", "body", "cmd")
    text = path.read_text()
    assert text.startswith("# B\n\n## One\n\n1\n")
    assert text.endswith("## Transfer learning\n\nFrom one run of `cmd`.\n\nbody\n")
