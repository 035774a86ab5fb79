"""Guards before anything is spent: a study name that is a path, and a candidate too big
to train, which is counted without allocating its weights."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import trials_in
from optuna.trial import TrialState

HUGE_BLOCKS = 400
"""FIXED_OUTPUT_FULLY_CONNECTED_1024 blocks: about 420M parameters, 1.7 GB as float32."""


def test_a_study_name_that_is_a_path_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    escaped = OUTSIDE_SOURCE_TREE / f"escaped-{os.getpid()}"
    result = subprocess.run(
        [sys.executable, "-m", "torchsearch", f"storage.study=../{escaped.name}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"torchsearch: error: storage.study='../{escaped.name}' is not a study name: use up "
        "to 128 letters, digits, '.', '_' or '-', starting with a letter or digit (it names "
        "the run folder outputs/<study>; move the folder with hydra.run.dir=PATH instead)."
    ]
    assert not escaped.exists() and not (tmp_path / "outputs").exists()


def test_a_huge_candidate_is_rejected_by_default_without_allocating_it(tmp_path: Path) -> None:
    tower = ",".join(["FIXED_OUTPUT_FULLY_CONNECTED_1024"] * HUGE_BLOCKS)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "torchsearch",
            f"hydra.run.dir={tmp_path}",
            "search.n_trials=1",
            "trainer.max_epochs=1",
            "space.maximum_depth=2",
            f"space.suggestions=[{{blocks:[{tower}]}}]",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=OUTSIDE_SOURCE_TREE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    # The rusage of this child alone (RUSAGE_CHILDREN would take other tests' children).
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, process.stderr.read() if process.stderr else ""
    huge = trials_in(tmp_path)[0]
    assert huge.state is TrialState.PRUNED
    assert huge.user_attrs["reason"].startswith("rejected: ")
    assert "parameters > space.max_parameters 25,000,000" in huge.user_attrs["reason"]
    assert huge.user_attrs["parameters"] > 400_000_000
    peak_bytes = usage.ru_maxrss * 1024  # kilobytes on Linux
    assert peak_bytes < 1.2e9, f"peak RSS {peak_bytes / 1e9:.2f} GB: the weights were allocated"
