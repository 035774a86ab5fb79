"""``torchsearch report``: a real search on the bundled digits, then its report through
the command line, read-only; and a rerun of the finished search, which must not score the
test split or rewrite its files again."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import run_cli
from cli_helpers import start_cli
from cli_helpers import trials_in
from cli_helpers import wait_for_finished_trials
from optuna.trial import TrialState
from PIL import Image

pytestmark = pytest.mark.slow

STUDY = "digits-dnn-coordinate_descent"
# Four short trials that hold every edge of the search tree: trial 1 is grown or
# replaced from trial 0 (parent), trial 2 averages the best towers (members), trial 3
# retrains the best tower with the ensemble as its teacher.
SEARCH = (
    "search.n_trials=4",
    "trainer.max_epochs=null",
    "trainer.max_steps=20",
    "ensemble=intermixed",
    "ensemble.every=3",
    "distill=adaptively_balance",
)
FILES = (
    "leaderboard.txt",
    "leaderboard.csv",
    "tree.txt",
    "front.png",
    "progress.png",
    "tree.png",
    "report.html",
)


def report(*overrides: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``torchsearch report OVERRIDES`` in a subprocess, outside the source tree, with no
    terminal (as in CI)."""
    return subprocess.run(
        [sys.executable, "-m", "torchsearch", "report", *overrides],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        cwd=OUTSIDE_SOURCE_TREE,
    )


def fingerprint(path: Path) -> tuple[int, str]:
    """A file's modification time and a hash of its bytes."""
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run folder of a finished search (shared: a search is the slow part)."""
    run_dir = tmp_path_factory.mktemp("finished")
    result = run_cli(run_dir, *SEARCH)
    assert result.returncode == 0, result.stderr
    return run_dir


def test_the_report_shows_and_writes_what_the_study_holds(finished: Path) -> None:
    database = finished / "trials.db"
    before = fingerprint(database), fingerprint(finished / "best.json")
    result = report(f"hydra.run.dir={finished}", "top=3")
    assert result.returncode == 0, result.stderr
    assert fingerprint(database) == before[0], "the report wrote to the storage"
    assert fingerprint(finished / "best.json") == before[1]
    assert not list(finished.glob("trials.db-*")), "the report left WAL files behind"

    trials = {t.number: t for t in trials_in(finished) if t.state is TrialState.COMPLETE}
    out = result.stdout
    assert f"Study {STUDY}: 4 completed." in out
    assert "Best 3 of 4 completed trials (validation accuracy):" in out
    assert "\x1b[" not in out, "no terminal: plain text, no control codes"
    best = max(trials.values(), key=lambda t: (t.value, -t.number))
    assert f"Best: trial {best.number}, " in out and "as best.json recorded" in out

    folder = finished / "report"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    for name in ("front.png", "progress.png", "tree.png"):
        with Image.open(folder / name) as image:
            image.load()  # decodes every pixel
            assert image.width > 600 and image.height > 300, name
    page = (folder / "report.html").read_text()
    assert page.count("Plotly.newPlot") == 3
    assert not re.search(r"<script[^>]+src=", page), "the page must open offline"

    with (folder / "leaderboard.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert {int(r["trial"]) for r in rows} == set(trials)
    by_value = sorted(trials.values(), key=lambda t: (-t.value, t.number))
    assert [int(r["trial"]) for r in rows] == [t.number for t in by_value]
    assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4]
    for row in rows:
        trial = trials[int(row["trial"])]
        assert float(row["validation_accuracy"]) == trial.value
        assert int(row["parameters"]) == trial.user_attrs["parameters"]
        assert row["kind"] == trial.user_attrs["kind"]
        parent = trial.user_attrs.get("parent")
        assert row["parent"] == ("" if parent is None else str(parent))

    # The tree: each trial under its parent, as the records say; the ensemble names its
    # members and the student its teacher.
    tree = tree_parents((folder / "tree.txt").read_text())
    assert tree == {n: t.user_attrs.get("parent") for n, t in trials.items()}
    kinds = {t.user_attrs["kind"] for t in trials.values()}
    assert {"ensemble", "distillation"} <= kinds, kinds
    text = (folder / "tree.txt").read_text()
    for trial in trials.values():
        if "ensemble" in trial.user_attrs:
            members = ", ".join(map(str, trial.user_attrs["ensemble"]["members"]))
            assert f"trial {trial.number}  intermixed (ensemble) of trials {members}" in text
        if "teacher" in trial.user_attrs:
            assert f", teacher {trial.user_attrs['teacher']['trial']}" in text


def tree_parents(text: str) -> dict[int, int | None]:
    """Each trial of a text tree with the trial it hangs under (``None`` at the top)."""
    parents: dict[int, int | None] = {}
    stack: list[tuple[int, int]] = []  # (column, trial) of the open branches
    for line in text.splitlines():
        match = re.search(r"trial (\d+)  ", line)
        if not match or not re.match(r"^[│ ├└─]*trial", line):
            continue  # the title, or a wrapped line
        column, number = match.start(), int(match.group(1))
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[number] = stack[-1][1] if stack else None
        stack.append((column, number))
    return parents


def test_a_rerun_of_a_finished_search_scores_and_writes_nothing_again(finished: Path) -> None:
    files = [finished / "best.json", finished / "best_model.pt2", finished / "best_model.json"]
    before = [fingerprint(f) for f in files]
    result = run_cli(finished, *SEARCH)
    assert result.returncode == 0, result.stderr
    assert "Best 4 of 4 completed trials" in result.stdout
    assert "recorded (the test split is not scored again)" in result.stdout
    assert [fingerprint(f) for f in files] == before

    # Without best.json, the end of the search chooses, scores and exports again.
    (finished / "best.json").unlink()
    result = run_cli(finished, *SEARCH)
    assert result.returncode == 0, result.stderr
    assert "Written to" in result.stdout and (finished / "best.json").is_file()
    assert fingerprint(finished / "best_model.pt2") != before[1]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (("storage.study=nope",), f"There is no study 'nope' in {{db}} (studies there: {STUDY})"),
        (("report.topp=3",), "did you mean report.top?"),
        (("top=0",), "report.top must be at least 1, got 0"),
        (("storage=journal",), "There is no trial journal at {run}/trials.journal"),
        (("--cfg", "job"), "torchsearch report takes settings (KEY=VALUE) only, not --cfg"),
    ],
)
def test_a_wrong_report_is_one_line_and_changes_nothing(
    finished: Path, tmp_path: Path, overrides: tuple[str, ...], fragment: str
) -> None:
    database = finished / "trials.db"
    before = fingerprint(database)
    out = tmp_path / "out"
    result = report(f"hydra.run.dir={finished}", f"out={out}", *overrides)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("torchsearch: error: "), result.stderr
    assert fragment.format(db=database, run=finished) in lines[0]
    assert not out.exists()
    assert fingerprint(database) == before
    assert not (finished / "trials.journal").exists()


def test_a_report_of_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    run_dir = tmp_path / "never-searched"
    result = report(f"hydra.run.dir={run_dir}")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"torchsearch: error: There is no trial database at {run_dir}/trials.db: run the "
        "search first, or give the search's own settings (storage=..., storage.url=..., "
        "storage.study=..., hydra.run.dir=...)."
    )
    assert not run_dir.exists() and not list(tmp_path.iterdir())


def test_a_report_of_a_running_search_does_not_hold_it_up(tmp_path: Path) -> None:
    worker = start_cli(tmp_path, "search.n_trials=100000")
    try:
        wait_for_finished_trials(worker, lambda: trials_in(tmp_path), 2)
        started = time.monotonic()
        result = report(f"hydra.run.dir={tmp_path}", f"out={tmp_path / 'snapshot'}")
        seconds = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        with (tmp_path / "snapshot" / "leaderboard.csv").open() as file:
            shown = {int(r["trial"]) for r in csv.DictReader(file)}
        assert len(shown) >= 2
        assert worker.poll() is None, "the search stopped"
        # The search goes on while and after the report reads: more trials complete.
        wait_for_finished_trials(worker, lambda: trials_in(tmp_path), len(shown) + 2)
        assert seconds < 60
    finally:
        worker.kill()
        worker.wait()
