"""The benchmark suite's smoke check: ``bench/run.py --quick`` runs every method and
writes the table. No timing thresholds: the timings depend on the machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SEARCHES = {
    "mnist1d": (
        "torchsearch-cd",
        "torchsearch-cd-small",
        "random",
        "evolution",
        "tpe-fixed-slots",
    ),
    "digits": ("torchsearch-cd", "random", "evolution", "tpe-fixed-slots"),
}
ANCHORS = {
    "mnist1d": ("linear", "mlp", "cnn", "gru"),
    "digits": ("linear", "mlp"),
}


def expected_methods(task: str) -> list[str]:
    """Every row the table of ``task`` must have."""
    rows = list(SEARCHES[task])
    for name in ANCHORS[task]:
        rows += [f"anchor:{name}/paper", f"anchor:{name}/fit"]
    return rows


def table_rows(text: str, task: str) -> dict[str, list[str]]:
    """The rows of the markdown table under ``### task``, by method."""
    after = text.split(f"### {task}\n", 1)[1].lstrip("\n")
    lines = after.split("\n\n", 1)[0].splitlines()
    rows = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells
    return rows


@pytest.fixture(scope="module")
def quick_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Runs the quick variant once, into a temporary folder.

    Skipped where the evolution plugin is not installed (nox's core ``tests`` session):
    the suite compares it, so the ``bench`` session installs it."""
    pytest.importorskip("torchsearch_evolution", reason="bench compares the evolution plugin")
    folder = tmp_path_factory.mktemp("bench")
    output = folder / "BENCHMARKS.md"
    command = [
        sys.executable,
        str(BENCH / "run.py"),
        "--quick",
        "--output",
        str(output),
        "--plots",
        str(folder / "results"),
        # Their own smoke checks run these sections (test_transfer_quick.py,
        # test_ensembles_quick.py, test_parallel_quick.py, test_regression_quick.py,
        # test_from_scratch_quick.py).
        "--no-transfer",
        "--no-ensembles",
        "--no-parallel",
        "--no-regression",
        "--no-from-scratch",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    return done, output


def test_quick_run_succeeds(quick_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, output = quick_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert output.is_file()


@pytest.mark.parametrize("task", sorted(ANCHORS))
def test_every_method_is_in_the_table(
    quick_run: tuple[subprocess.CompletedProcess[str], Path], task: str
) -> None:
    text = quick_run[1].read_text()
    rows = table_rows(text, task)
    assert list(rows) == expected_methods(task)
    for method, cells in rows.items():
        assert "FAILED" not in cells[-1], (method, cells[-1])
        accuracy = float(cells[3])
        assert 0.0 <= accuracy <= 1.0, (method, accuracy)
        assert int(cells[6].replace(",", "")) > 0, method


def test_report_has_header_and_plots(
    quick_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    text = quick_run[1].read_text()
    for field in ("- Date:", "- Machine:", "- Python", "- Command:", "torch ", "optuna "):
        assert field in text
    plots = quick_run[1].parent / "results"
    for task in ANCHORS:
        for name in ("best_so_far_trials", "best_so_far_seconds", "front"):
            path = plots / f"{task}_{name}.png"
            assert path.is_file() and path.stat().st_size > 0
            assert path.name in text
    assert (plots / "results.json").is_file()


def test_report_has_the_overhead_and_the_front(
    quick_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    text = quick_run[1].read_text()
    assert "## Overhead: a whole search against hand-written PyTorch" in text
    assert "(weights checked equal)" in text
    assert "Ratio search / plain:" in text
    for task in ANCHORS:
        front = text.split(f"## Search quality: {task}", 1)[1].split("| parameters |", 1)[1]
        assert front.split("\n")[2].startswith("| "), "the front has no point"


def test_paper_cnn_has_its_published_size() -> None:
    """The re-implemented MNIST-1D CNN has the paper's 5,210 parameters."""
    sys.path.insert(0, str(BENCH))
    try:
        import anchors
        import torch

        model = anchors.CNN(40, 10)
        assert anchors.parameters(model) == 5210
        assert model(torch.zeros(3, 40)).shape == (3, 10)
    finally:
        sys.path.remove(str(BENCH))
