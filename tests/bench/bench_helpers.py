"""Running one benchmark section's ``--quick`` smoke check into a scratch report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_quick_section(script: str, title: str, folder: Path) -> str:
    """Runs ``bench/<script> --quick`` on a report that already has an old ``title``
    section between two others; checks it replaced exactly that one; returns its text."""
    output = folder / "BENCHMARKS.md"
    output.write_text(f"# Benchmarks\n\n## {title}\n\nold\n\n## After\n\nkept\n")
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = output.read_text()
    assert text.count(f"## {title}") == 1 and "old" not in text
    assert text.endswith("## After\n\nkept\n")
    return text.split(f"## {title}", 1)[1]
