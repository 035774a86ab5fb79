"""The storage benchmark's smoke check: ``bench/storage.py --quick`` runs the real driver
on SQLite and the journal (not PostgreSQL, which needs a server) and prints its tables
with the calls it timed. No timing thresholds: the timings depend on the machine."""

from __future__ import annotations

import os
import subprocess
import sys

from bench_helpers import BENCH

STORAGES = ("sqlite (WAL)", "journal")


def rows(table: str) -> dict[str, list[str]]:
    """The rows of a markdown table, by their first cell."""
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()]
    return {row[0]: row[1:] for row in cells[2:]}


def test_quick_storage_run_prints_its_tables() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TORCHSEARCH_TEST_POSTGRESQL_URL"}
    done = subprocess.run(
        [sys.executable, str(BENCH / "storage.py"), "--quick", "--storages", "sqlite", "journal"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = done.stdout.split("\n| storage |", 1)[1].split("\n\n", 1)[0]
    summary_rows = rows("| storage |" + summary)
    assert list(summary_rows) == list(STORAGES)
    for storage, (ms, calls, wall, share, _, checkpoints) in summary_rows.items():
        assert 0 < float(ms) < float(wall), storage
        assert float(calls) > 0 and float(share.rstrip("%")) > 0, storage
        assert float(checkpoints) > 0, storage  # every completed trial saves its weights
    assert float(summary_rows["sqlite (WAL)"][4]) > 0  # SQLite beats on a thread
    breakdown = rows("| method |" + done.stdout.split("\n| method |", 1)[1].split("\n\n")[0])
    for method in ("set_trial_user_attr", "get_all_trials"):
        for cell in breakdown[method]:
            ms, calls = cell.rstrip(")").split(" (")
            assert float(ms) > 0 and float(calls) > 0, (method, cell)
