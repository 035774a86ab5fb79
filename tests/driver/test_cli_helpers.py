"""The test helpers poll a worker's database while it starts: they must never fail then."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cli_helpers import trials_in


def test_a_database_file_without_tables_yet_holds_no_trials(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "trials.db").close()  # the file exists, no table yet
    assert trials_in(tmp_path) == []


def test_no_database_file_holds_no_trials(tmp_path: Path) -> None:
    assert trials_in(tmp_path) == []
