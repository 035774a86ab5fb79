"""The report's parts on hand-made rows: the Pareto front, the best so far, the table at
several widths, the best model's line for any metric, the command's short keys."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from torchsearch._cli import expand_command
from torchsearch.report import BestModel
from torchsearch.report import LeaderboardRow
from torchsearch.report import best_line
from torchsearch.report import leaderboard_table
from torchsearch.report._study import PrunedPoint
from torchsearch.report._study import StudyReport
from torchsearch.report._study import pareto_front
from torchsearch.report._study import running_best
from torchsearch.report._table import render_plain
from torchsearch.report._tree import Edge
from torchsearch.report._tree import tree_layout

TOWER = "FIXED_OUTPUT_FULLY_CONNECTED_128 > FULLY_CONNECTED_RESIDUAL_CONCAT_BATCHNORM"


def row(trial: int, value: float, parameters: int, rank: int | None = 1) -> LeaderboardRow:
    return LeaderboardRow(
        rank=rank,
        trial=trial,
        kind="search",
        operation="grow",
        parent=None,
        teacher=None,
        members=(),
        architecture=TOWER,
        parameters=parameters,
        value=value,
        grafted="-",
        train_seconds=1.5,
    )


def test_the_front_keeps_what_no_smaller_model_beats() -> None:
    rows = [row(0, 0.80, 100), row(1, 0.90, 50), row(2, 0.95, 400), row(3, 0.93, 200)]
    rows.append(row(4, 0.99, 10, rank=None))  # unranked: never on the front
    assert [r.trial for r in pareto_front(rows, "maximize")] == [1, 3, 2]
    assert [r.trial for r in pareto_front(rows, "minimize")] == [1, 0]  # e.g. rmse


def test_the_best_so_far_follows_the_direction() -> None:
    assert running_best([3.0, 1.0, 2.0, 5.0], "maximize") == [3.0, 3.0, 3.0, 5.0]
    assert running_best([3.0, 1.0, 2.0, 5.0], "minimize") == [3.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("width", [200, 80, 60])
def test_the_table_reads_at_any_width(width: int) -> None:
    rows = [row(7, 0.9025, 23_710, rank=1), row(3, 0.8, 9_610, rank=2)]
    text = render_plain(leaderboard_table(rows, "rmse", total=5, width=width), width)
    lines = text.splitlines()
    assert lines[0] == "Best 2 of 5 completed trials (validation rmse):"
    assert max(len(line) for line in lines) <= width
    assert "23,710" in text and "0.9025" in text  # numbers are never cut
    if width == 200:
        assert text.count(TOWER) == 2  # in its column
    else:  # too narrow for the column: each architecture on lines of its own
        flat = " ".join(lines)
        assert f"trial 7: {TOWER}" in flat and f"trial 3: {TOWER}" in flat


def test_the_table_is_plain_without_a_terminal() -> None:
    buffer = io.StringIO()
    table = leaderboard_table([row(1, 0.5, 10)], "accuracy", total=1)
    Console(file=buffer, width=120).print(table)  # not a terminal
    assert "\x1b[" not in buffer.getvalue()


def test_the_best_line_names_the_objective_metric() -> None:
    best = BestModel(
        trial=4,
        kind="search",
        members=None,
        teacher=None,
        architecture={},
        hyperparameters={},
        parameters=12_345,
        validation={"rmse": 0.5, "loss": 0.25},
        test={"rmse": 0.61, "mae": 0.4, "loss": 0.37},
        checkpoint="c",
        model_file=None,
        study="s",
        storage="x",
        objective="minimize validation rmse",
    )
    assert best_line(best, "rmse") == (
        "Best: trial 4, 12,345 parameters, validation rmse 0.5000, test rmse 0.6100"
    )
    assert best_line(best, "r2").endswith("test rmse 0.6100, test mae 0.4000, test loss 0.3700")


def test_report_words_become_report_overrides() -> None:
    assert expand_command(["report", "top=20", "out=x", "storage.study=s"], "report") == [
        "report.top=20",
        "report.out=x",
        "storage.study=s",
    ]


def test_the_tree_is_drawn_parent_above_child_and_ensembles_under_their_last_member() -> None:
    rows = [row(n, 0.5, 10) for n in range(5)]
    edges = [
        Edge(0, 1, "parent"),
        Edge(0, 2, "parent"),
        Edge(1, 3, "member"),
        Edge(2, 3, "member"),
        Edge(3, 4, "teacher"),
        Edge(1, 4, "parent"),
    ]
    place = tree_layout(rows, edges)
    depth = {n: d for n, (_, d) in place.items()}
    assert depth == {0: 0, 1: 1, 2: 1, 3: 2, 4: 2}  # 3 hangs under member 2
    assert place[0][0] == (place[1][0] + place[2][0]) / 2  # a parent over its children
    assert place[1][0] == place[4][0] != place[3][0] == place[2][0]  # lineages side by side


def test_a_lineage_as_long_as_a_long_search_is_laid_out() -> None:
    rows = [row(n, 0.5, 10) for n in range(5000)]
    place = tree_layout(rows, [Edge(n, n + 1, "parent") for n in range(4999)])
    assert place[4999] == (0.0, 4999)


def test_the_counts_name_every_state_that_has_trials() -> None:
    report = StudyReport(
        study="s",
        metric="accuracy",
        direction="maximize",
        counts={"PRUNED": 1, "COMPLETE": 12, "FAIL": 2},
        rows=(row(0, 0.5, 10),),
        edges=(),
        finished_s={},
        pruned=(PrunedPoint(1, 0.99, 10),),  # better, but pruned: never the best
    )
    assert report.counts_line() == "12 completed, 2 failed, 1 pruned"
    assert report.best is not None and report.best.trial == 0
