"""``torchsearch report``: what a study holds, read-only, on the console and in files.

Opens the study the settings name (the same settings as the search's) without writing to
it, prints the trial counts, the leaderboard, the search tree and the best model's
recorded test figure, and writes them with plots into the run folder's ``report/``
(``report.out``). It trains nothing and never touches the test split: the test figure is
the one ``best.json`` recorded when the search chose that model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch._storage_location import StorageSettings
from torchsearch.report._best import BEST_FILE
from torchsearch.report._best import best_line
from torchsearch.report._best import read_best
from torchsearch.report._table import leaderboard_table
from torchsearch.report._table import make_console
from torchsearch.report._table import print_leaderboard
from torchsearch.report._table import render_plain
from torchsearch.report._table import show
from torchsearch.report._table import write_csv

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree

    from torchsearch.report._study import StudyReport

__all__ = ["ReportSettings", "run_report"]

DEFAULT_TOP = 10


@dataclass(frozen=True)
class ReportSettings:
    """The ``report`` config group.

    Args:
        top: how many of the best trials the leaderboard shows (its CSV file holds all).
        out: the folder the report is written to; ``None`` is ``<run folder>/report``.
    """

    top: int = DEFAULT_TOP
    out: str | None = None

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> ReportSettings:
        """Reads the ``report`` group (absent: the defaults)."""
        cfg = cfg or {}
        return cls(top=int(cfg.get("top") or DEFAULT_TOP), out=cfg.get("out"))

    def folder(self, run_dir: Path) -> Path:
        """Where the report's files go."""
        return Path(self.out) if self.out else run_dir / "report"


def run_report(config: Mapping[str, Any], run_dir: Path) -> Path:
    """Prints the report of the study ``config`` names and writes it; returns its folder.

    Args:
        config: the resolved config, as the search of that study was given it (its
            ``storage`` settings find the study; ``report`` says what to show).
        run_dir: the search's run folder (``hydra.run.dir``).

    Raises:
        StorageError: the storage or the study is not there, or cannot be read; nothing
            is then created.
        ConfigError: the config has no ``storage`` group.
    """
    from torchsearch.report._open import open_study
    from torchsearch.report._study import read_report
    from torchsearch.report._tree import search_tree

    storage = config.get("storage")
    if not isinstance(storage, Mapping):
        raise ConfigError("The config lacks 'storage'; check your overrides.")
    settings = ReportSettings.from_config(config.get("report"))
    report = read_report(open_study(StorageSettings.from_config(storage), run_dir))
    console = make_console()
    say(f"Study {report.study}: {report.counts_line()}.", console)
    print_leaderboard(
        report.rows, report.metric, total=report.completed, top=settings.top, console=console
    )
    tree = search_tree(report.rows, report.edges, report.metric, f"Search tree of {report.study}")
    if report.rows:
        show(tree, console)
    best = read_best(run_dir / BEST_FILE)
    if best is not None and report.best is not None and best.study == report.study:
        note = "" if best.trial == report.best.trial else " (chosen before the current best)"
        say(f"{best_line(best, report.metric)}, as {BEST_FILE} recorded{note}.", console)
    folder = settings.folder(run_dir)
    written = _write(report, folder, tree)
    say(f"Written to {folder}: {', '.join(p.name for p in written)}", console)
    return folder


def say(text: str, console: Console) -> None:
    """Prints ``text`` as it is (no markup), wrapped to the console's width."""
    from rich.text import Text

    show(Text(text), console)


def _write(report: StudyReport, folder: Path, tree: Tree) -> list[Path]:
    """The report's files: the leaderboard (text, CSV), the tree (text), the plots."""
    from torchsearch.report._html import write_page
    from torchsearch.report._plots import write_plots

    folder.mkdir(parents=True, exist_ok=True)
    if report.best is None:
        leaderboard_text = "No trial has completed yet.\n"
    else:
        table = leaderboard_table(report.rows, report.metric, total=report.completed)
        leaderboard_text = render_plain(table)
    tree_text = render_plain(tree)
    written = [
        _text(folder / "leaderboard.txt", f"{report.counts_line()}\n\n{leaderboard_text}"),
        write_csv(report.rows, report.metric, folder / "leaderboard.csv"),
        _text(folder / "tree.txt", tree_text),
        *write_plots(report, folder),
    ]
    page = write_page(report, folder, leaderboard_text, tree_text)
    return written + ([page] if page else [])


def _text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
