"""What a search found, read-only: the leaderboard, the search tree and plots of a study.

``torchsearch report`` (README, "Seeing what the search found") opens a study's storage
read-only, prints the leaderboard and the search tree and writes them, with plots, to the
run folder's ``report/``. The end of a search prints its leaderboard with the same table.
Light to import: rich, Optuna, the trial records (and with them torch), matplotlib and
plotly load only when used.
"""

from __future__ import annotations

from torchsearch.report._best import BEST_FILE
from torchsearch.report._best import BestModel
from torchsearch.report._best import best_line
from torchsearch.report._best import read_best
from torchsearch.report._best import write_best
from torchsearch.report._command import ReportSettings
from torchsearch.report._command import run_report
from torchsearch.report._rows import LeaderboardRow
from torchsearch.report._rows import describe
from torchsearch.report._rows import leaderboard_rows
from torchsearch.report._table import leaderboard_table
from torchsearch.report._table import make_console
from torchsearch.report._table import print_leaderboard

__all__ = [
    "BEST_FILE",
    "BestModel",
    "LeaderboardRow",
    "ReportSettings",
    "best_line",
    "describe",
    "leaderboard_rows",
    "leaderboard_table",
    "make_console",
    "print_leaderboard",
    "read_best",
    "run_report",
    "write_best",
]
