"""Writing a benchmark's section into BENCHMARKS.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from bench_helpers import BENCH


@pytest.mark.parametrize("already", [True, False])
def test_replace_section_keeps_the_rest(tmp_path: Path, already: bool) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import sections
    finally:
        sys.path.remove(str(BENCH))
    path = tmp_path / "B.md"
    path.write_text("# B\n\n## One\n\n1\n" + ("\n## Transfer learning\n\nx\n" if already else ""))
    sections.replace_section(path, "Transfer learning", "body", "cmd")
    text = path.read_text()
    assert text.startswith("# B\n\n## One\n\n1\n")
    assert text.endswith("## Transfer learning\n\nFrom one run of `cmd`.\n\nbody\n")
