"""The leaderboard as a table: on the console (rich), as plain text and as CSV.

One rendering serves the end of a search and ``torchsearch report``. On a terminal the
table fits its width (narrower than the whole table, the architectures follow it on lines
of their own); piped or in CI, where there is no width to fit, it is laid out for
:data:`PLAIN_WIDTH` columns; piped, in CI or with ``NO_COLOR`` set it is plain text,
without colour, bold or any control code.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from typing import TYPE_CHECKING
from typing import Literal

from torchsearch.report._rows import LeaderboardRow

if TYPE_CHECKING:
    from rich.console import Console
    from rich.console import RenderableType
    from rich.table import Table

__all__ = [
    "PLAIN_WIDTH",
    "leaderboard_table",
    "make_console",
    "print_leaderboard",
    "render_plain",
    "show",
    "write_csv",
]

PLAIN_WIDTH = 200
"""The width of the table where no terminal gives one (piped, CI, files): wide enough
for a five-block tower on one line."""


def make_console(file: IO[str] | None = None) -> Console:
    """A console on ``file`` (standard output by default): the terminal's width and
    colours on a terminal, :data:`PLAIN_WIDTH` columns of plain text elsewhere."""
    from rich.console import Console

    stream = file or sys.stdout
    terminal = _is_terminal(stream)
    width = None if terminal or os.environ.get("COLUMNS") else PLAIN_WIDTH
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or a stream without a terminal
        return False


@dataclass(frozen=True)
class _Column:
    """A leaderboard column: its header, alignment and cell text."""

    header: str
    justify: Literal["left", "right"]
    cell: Callable[[LeaderboardRow], str]


_COLUMNS = (
    _Column("rank", "right", lambda r: str(r.rank)),
    _Column("trial", "right", lambda r: str(r.trial)),
    _Column("kind", "left", lambda r: r.kind),
    _Column("", "right", lambda r: _number(r.value)),  # the metric; its header is its name
    _Column("params", "right", lambda r: f"{r.parameters:,}"),
    _Column("parent", "left", lambda r: r.origin),
    _Column("operation", "left", lambda r: r.operation),
    _Column("grafted", "right", lambda r: r.grafted),
    _Column("train s", "right", lambda r: _seconds(r.train_seconds)),
    _Column("architecture", "left", lambda r: r.architecture),
)
_WITHOUT_ARCHITECTURE = tuple(c.header for c in _COLUMNS if c.header != "architecture")
_NARROW = ("rank", "trial", "kind", "", "params", "parent", "operation")
"""The columns kept where the whole table does not fit (the fullest set that does);
each trial's architecture then follows the table on a line of its own."""


def leaderboard_table(
    rows: Sequence[LeaderboardRow],
    metric: str,
    *,
    total: int,
    top: int | None = None,
    width: int | None = None,
) -> RenderableType:
    """The best ``top`` of the ranked ``rows`` (all by default), best first, titled with
    how many of the ``total`` completed trials they are.

    Columns: rank, trial, kind (what it trained, docs/ensembles.md), the validation
    ``metric``, parameters, parent (and teacher), operation (how it was made from its
    parent), grafted (tensors transfer learning gave it, of its model's), training
    seconds, architecture. Narrower than the table (``width``), the architecture (then
    grafted and training seconds too) gives way, and the architectures are listed under
    the table.
    """
    from rich.console import Group
    from rich.text import Text

    ranked = sorted((r for r in rows if r.ranked), key=lambda r: r.rank or 0)
    shown = ranked[:top] if top is not None else ranked
    title = f"Best {len(shown)} of {total} completed trials (validation {metric}):"
    table = _table(shown, metric, title, _COLUMNS)
    if width is None or _natural_width(table) <= width:
        return table
    for kept in (_WITHOUT_ARCHITECTURE, _NARROW):  # the fullest that fits, else the narrowest
        table = _table(shown, metric, title, [c for c in _COLUMNS if c.header in kept])
        if _natural_width(table) <= width:
            break
    lines = [Text(f"trial {r.trial}: {r.architecture}", overflow="fold") for r in shown]
    return Group(table, Text("architectures:", style="bold"), *lines)


def _table(
    rows: Sequence[LeaderboardRow], metric: str, title: str, columns: Sequence[_Column]
) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        header_style="bold",
    )
    for column in columns:
        wide = column.header == "architecture"
        table.add_column(
            column.header or metric,
            justify=column.justify,
            no_wrap=not wide,
            overflow="fold" if wide else "ellipsis",
            style="bold" if not column.header else None,
        )
    for row in rows:
        table.add_row(*(c.cell(row) for c in columns), style="green" if row.rank == 1 else None)
    return table


def _natural_width(table: Table) -> int:
    """The width ``table`` takes when nothing wraps."""
    import io

    from rich.console import Console
    from rich.measure import Measurement

    console = Console(file=io.StringIO(), width=10_000)
    return Measurement.get(console, console.options, table).maximum


def print_leaderboard(
    rows: Sequence[LeaderboardRow],
    metric: str,
    *,
    total: int,
    top: int | None = None,
    console: Console | None = None,
) -> None:
    """Prints :func:`leaderboard_table`, or a line saying no trial has completed."""
    console = console or make_console()
    if not any(r.ranked for r in rows):
        console.print("No trial has completed yet.")
        return
    show(leaderboard_table(rows, metric, total=total, top=top, width=console.width), console)


def show(renderable: RenderableType, console: Console) -> None:
    """Prints ``renderable``: styled on a terminal, else (or with ``NO_COLOR`` set) as
    :func:`render_plain` text, with no control codes and no padding at the ends of lines."""
    if console.is_terminal and not os.environ.get("NO_COLOR"):
        console.print(renderable)
    else:
        console.file.write(render_plain(renderable, console.width))


def render_plain(renderable: RenderableType, width: int = PLAIN_WIDTH) -> str:
    """``renderable`` as plain text (no colour, no control codes), for a file."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True, highlight=False, color_system=None).print(
        renderable
    )
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


CSV_COLUMNS = (
    "rank",
    "trial",
    "kind",
    "operation",
    "parent",
    "teacher",
    "members",
    "parameters",
    "grafted",
    "train_seconds",
    "architecture",
)


def write_csv(rows: Sequence[LeaderboardRow], metric: str, path: Path) -> Path:
    """Writes every row, ranked ones best first then the others by number, to ``path``
    (the metric's column is named after it: ``validation_accuracy``)."""
    ordered = sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.trial))
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*CSV_COLUMNS[:3], f"validation_{metric}", *CSV_COLUMNS[3:]])
        for r in ordered:
            writer.writerow(
                [
                    "" if r.rank is None else r.rank,
                    r.trial,
                    r.kind,
                    repr(r.value),
                    r.operation,
                    "" if r.parent is None else r.parent,
                    "" if r.teacher is None else r.teacher,
                    " ".join(map(str, r.members)),
                    r.parameters,
                    "" if r.grafted == "-" else r.grafted,
                    "" if r.train_seconds is None else r.train_seconds,
                    r.architecture,
                ]
            )
    return path


def _seconds(seconds: float | None) -> str:
    """Training seconds: two decimals under ten seconds, one above."""
    if seconds is None:
        return "-"
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def _number(value: float) -> str:
    """A metric to four decimals; ``nan``/``inf`` as words."""
    return f"{value:.4f}" if value == value and abs(value) != float("inf") else str(value)
