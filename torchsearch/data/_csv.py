"""The ``csv`` data set: a table of numeric features and one label (or target) column.

Ported from Model Search's CSV provider (docs/model_search.md, "Data") with two changes:
without a ``validation_path`` the original evaluated on the training file; here
validation and test are carved out of the file, stratified and seeded, unless given as
files. And features are standardised with statistics of the training split only, which
an export can reuse (``DataSplits.standardization``).
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Sequence
from typing import Any

from torchsearch._errors import ConfigError
from torchsearch._errors import DataError
from torchsearch.blocks._contract import TensorSpec
from torchsearch.data._assemble import RawPart
from torchsearch.data._assemble import assemble
from torchsearch.data._files import readable_file
from torchsearch.data._provider import DataProvider
from torchsearch.data._provider import check_fraction
from torchsearch.data._provider import check_fractions
from torchsearch.data._provider import check_image_shape
from torchsearch.data._provider import check_seed
from torchsearch.data._provider import check_task
from torchsearch.data._records import DataSplits
from torchsearch.data._table import Table
from torchsearch.data._table import read_table

__all__ = ["CsvProvider"]

_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "space": " ", "semicolon": ";", "comma": ","}


class CsvProvider(DataProvider):
    """Reads a CSV file of numeric features and a label column (natural spec: flat).

    Args:
        path: the training file (or the whole data set, when validation and test are
            carved out of it).
        label: the label column: its name (needs a header) or its index (negative counts
            from the end); default the last column. Labels may be names or numbers.
        header: whether the first row holds column names; ``"auto"`` detects it.
        delimiter: the field separator (one character, or ``tab``, ``space``, ...).
        validation_path: a separate validation file with the same columns, used as given.
        test_path: a separate test file with the same columns, used as given.
        validation_fraction: the share of each class carved from ``path`` for validation
            when there is no ``validation_path``.
        test_fraction: the same for test when there is no ``test_path``.
        seed: the seed of the carving.
        standardize: scale each feature by the training split's mean and std.
        image_shape: ``[C, H, W]`` when the features are pixels, so ``space=cnn`` can use
            them as images.
        task: ``classification`` (the label column holds classes) or ``regression``
            (it holds the number to predict; validation and test are carved at random).

    Raises:
        ConfigError: a setting has a bad value.
    """

    name = "csv"

    def __init__(
        self,
        path: str,
        label: str | int | None = None,
        header: bool | str = "auto",
        delimiter: str = ",",
        validation_path: str | None = None,
        test_path: str | None = None,
        validation_fraction: float = 0.15,
        test_fraction: float = 0.15,
        seed: int = 0,
        standardize: bool = True,
        image_shape: Sequence[int] | None = None,
        task: str = "classification",
    ) -> None:
        self.path = path
        self.label = label
        if header not in (True, False, "auto"):
            raise ConfigError(f"data=csv: header must be true, false or auto, got {header!r}.")
        self.header = header
        self.delimiter = _DELIMITER_NAMES.get(delimiter, delimiter)
        if not isinstance(self.delimiter, str) or len(self.delimiter) != 1:
            raise ConfigError(
                f"data=csv: delimiter must be one character (or tab, space), got {delimiter!r}."
            )
        self.validation_path = validation_path
        self.test_path = test_path
        self.validation_fraction = check_fraction(
            "csv", "validation_fraction", validation_fraction
        )
        self.test_fraction = check_fraction("csv", "test_fraction", test_fraction)
        check_fractions(
            "csv",
            self.validation_fraction if validation_path is None else 0.0,
            self.test_fraction if test_path is None else 0.0,
        )
        self.seed = check_seed("csv", seed)
        self.standardize = bool(standardize)
        self.image_shape = check_image_shape("csv", image_shape)
        self.task = check_task("csv", task)

    def load(self) -> DataSplits:
        """Reads the file(s); the validation split is for selection, test for the report.

        Raises:
            DataError: a file is missing, unreadable, empty or malformed, a feature is not
                numeric, the label column is missing, or the classes are unusable.
        """
        train = self._read(self.path, "path")
        label = self._label_column(train)
        features = [c for c in range(len(train.columns)) if c != label]
        if not features:
            raise DataError(
                f"data=csv: {train.path.name} has only the label column; add feature columns."
            )
        parts: dict[str, RawPart | None] = {"validation": None, "test": None}
        for name, setting in (("validation", "validation_path"), ("test", "test_path")):
            path = getattr(self, setting)
            if path is not None:
                table = self._read(path, setting)
                _check_same_columns(train, table, setting)
                parts[name] = _part(table, label, features)
        return assemble(
            "csv",
            TensorSpec.flat(len(features)),
            _part(train, label, features),
            validation=parts["validation"],
            test=parts["test"],
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            seed=self.seed,
            standardize=self.standardize,
            image_shape=self.image_shape,
            # Named only by a header (else the columns are "0", "1", ... by position).
            feature_names=[train.columns[c] for c in features] if train.has_header else None,
            task=self.task,
        )

    def _read(self, path: Any, setting: str) -> Table:
        file = readable_file(path, dataset="csv", setting=setting)
        header: Any = self.header
        if header == "auto" and isinstance(self.label, str) and not _is_int(self.label):
            header = True  # a label named by column needs a header
        return read_table(file, delimiter=self.delimiter, header=header, dataset="csv")

    def _label_column(self, table: Table) -> int:
        width = len(table.columns)
        label = self.label
        if label is None:
            return width - 1
        if isinstance(label, str) and (not table.has_header or label not in table.columns):
            if _is_int(label):
                label = int(label)
            elif not table.has_header:
                raise DataError(
                    f"data=csv: label={label!r} names a column, but {table.path.name} has no "
                    "header row; give the column's index (e.g. data.label=-1) or set "
                    "data.header=true."
                )
            else:
                close = difflib.get_close_matches(label, table.columns, n=3)
                hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
                raise DataError(
                    f"data=csv: {table.path.name} has no column {label!r}.{hint} Its columns "
                    f"are: {', '.join(table.columns)}; set data.label to one of them."
                )
        if isinstance(label, str):
            return table.columns.index(label)
        if not isinstance(label, numbers.Integral) or isinstance(label, bool):
            raise ConfigError(f"data=csv: label must be a column name or index, got {label!r}.")
        if not -width <= label < width:
            raise DataError(
                f"data=csv: label column {label} does not exist: {table.path.name} has {width} "
                f"columns (indices 0..{width - 1}, or -{width}..-1 from the end)."
            )
        return int(label) % width


def _part(table: Table, label: int, features: list[int]) -> RawPart:
    x = table.numeric_columns(features)
    return RawPart(x, table.cells[:, label], table.path.name, table.locate)


def _check_same_columns(train: Table, other: Table, setting: str) -> None:
    same = (
        train.columns == other.columns
        if train.has_header and other.has_header
        else (len(train.columns) == len(other.columns))
    )
    if not same:
        raise DataError(
            f"data=csv: {setting}={other.path.name} has the columns "
            f"({', '.join(other.columns)}), but path={train.path.name} has "
            f"({', '.join(train.columns)}); give all files the same columns in the same order."
        )


def _is_int(text: str) -> bool:
    return text.strip().lstrip("+-").isdigit()
