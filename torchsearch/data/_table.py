"""Reading a delimited text file into a table of cells, with messages a user can act on.

The standard ``csv`` module does the parsing (no pandas). Rows keep their line numbers so
a bad value can be reported as "row 5 (line 6)"; feature columns are converted to
numbers column by column, so the first non-numeric value is named with its column.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from torchsearch._errors import DataError
from torchsearch.data._records import NOT_FINITE_FIX

__all__ = ["Table", "read_table"]

_SNIFF_ROWS = 50


@dataclass(frozen=True)
class Table:
    """The cells of a delimited file.

    Args:
        path: the file.
        columns: the header's names, or ``"0", "1", ...`` without a header (Model Search
            named CSV features by index).
        has_header: whether the first row was a header.
        cells: ``(rows, columns)`` strings, stripped.
        lines: the file line of each row, for messages.
        dataset: the data set's name, for messages.
    """

    path: Path
    columns: tuple[str, ...]
    has_header: bool
    cells: np.ndarray
    lines: np.ndarray
    dataset: str

    def locate(self, row: int) -> str:
        """``"row 5, line 6 of train.csv"`` for the 0-based data row ``row``."""
        return f"row {row + 1}, line {int(self.lines[row])} of {self.path.name}"

    def numeric_columns(self, columns: Sequence[int]) -> np.ndarray:
        """The columns as one ``(rows, len(columns))`` float64 array (see :meth:`numeric`)."""
        return np.stack([self.numeric(c) for c in columns], axis=1)

    def numeric(self, column: int) -> np.ndarray:
        """The column as float64.

        Raises:
            DataError: a value is not a finite number; names the column, value and row.
        """
        values = self.cells[:, column]
        try:
            numbers = values.astype(np.float64)
        except ValueError:
            bad = next(i for i, v in enumerate(values) if not _is_number(v))
            found = "no value" if values[bad] == "" else f"the value {str(values[bad])!r}"
            raise DataError(
                f"data={self.dataset}: feature column {self.columns[column]!r} of "
                f"{self.path.name} is not numeric: {self.locate(bad)} has {found}. Features "
                "must be numbers: encode the column as numbers, fill in missing values, or "
                "drop the column."
            ) from None
        bad_rows = np.flatnonzero(~np.isfinite(numbers))
        if bad_rows.size:
            bad = int(bad_rows[0])
            raise DataError(
                f"data={self.dataset}: feature column {self.columns[column]!r} of "
                f"{self.path.name} has {str(values[bad])!r} at {self.locate(bad)}; "
                f"{NOT_FINITE_FIX}"
            )
        return numbers


def read_table(
    path: Path, *, delimiter: str, header: bool | Literal["auto"], dataset: str
) -> Table:
    """Reads a delimited text file.

    Args:
        path: a readable, non-empty file.
        delimiter: the one-character field separator.
        header: whether the first row holds column names; ``"auto"`` decides by content:
            the first row is a header when one of its columns is not a number while
            that column is numeric in the rows below.
        dataset: the data set's name, for messages.

    Returns:
        The table.

    Raises:
        DataError: the file is not UTF-8 text, rows differ in length, or it has no data.
    """
    rows, lines = _read_rows(path, delimiter, dataset)
    if not rows:
        raise DataError(f"data={dataset}: {path.name} has no rows; point it at a file with data.")
    width = len(rows[0])
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise DataError(
                f"data={dataset}: line {line} of {path.name} has {len(row)} fields, but line "
                f"{lines[0]} has {width}; every row needs the same number of fields (check "
                f"data.delimiter={delimiter!r})."
            )
    has_header = _looks_like_header(rows) if header == "auto" else bool(header)
    if has_header:
        columns = tuple(name or f"column {i}" for i, name in enumerate(rows[0]))
        rows, lines = rows[1:], lines[1:]
    else:
        columns = tuple(str(i) for i in range(width))
    if not rows:
        raise DataError(
            f"data={dataset}: {path.name} has a header but no data rows; add examples."
        )
    return Table(path, columns, has_header, np.array(rows, dtype=str), np.array(lines), dataset)


def _read_rows(path: Path, delimiter: str, dataset: str) -> tuple[list[list[str]], list[int]]:
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, skipinitialspace=True)
            for row in reader:
                cells = [cell.strip() for cell in row]
                if any(cells):  # blank lines carry no example
                    rows.append(cells)
                    lines.append(reader.line_num)
    except UnicodeDecodeError:
        raise DataError(
            f"data={dataset}: {path.name} is not a UTF-8 text file; give a CSV file (save it "
            "as UTF-8)."
        ) from None
    except csv.Error as exc:
        raise DataError(f"data={dataset}: {path.name} is not valid CSV ({exc}).") from None
    return rows, lines


def _looks_like_header(rows: list[list[str]]) -> bool:
    sample = rows[1 : 1 + _SNIFF_ROWS]
    if not sample:
        return not all(_is_number(v) for v in rows[0])
    return any(
        not _is_number(rows[0][c]) and all(_is_number(r[c]) for r in sample)
        for c in range(len(rows[0]))
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
