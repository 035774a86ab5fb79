"""Checks on the user's files and on optional packages, turned into one-line DataErrors.

A search can run for hours; a wrong path must fail in the first second with a sentence
naming the setting, the path and the fix, never with a traceback from deep in a reader.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from torchsearch._errors import DataError

__all__ = ["readable_file", "readable_folder", "require"]


def readable_file(path: Any, *, dataset: str, setting: str) -> Path:
    """The path of an existing, readable, non-empty file.

    Args:
        path: the configured path (relative paths are read from the working directory).
        dataset: the data set's name, for messages.
        setting: the setting that holds the path (``"path"``), for messages.

    Returns:
        The path.

    Raises:
        DataError: it does not exist, is a folder, cannot be read or is empty.
    """
    file = Path(os.fspath(path)).expanduser()
    where = f"data={dataset}: {setting}={file}"
    if not file.exists():
        raise DataError(f"{where} does not exist; {_relative_hint(file)}")
    if file.is_dir():
        raise DataError(f"{where} is a folder, not a file; give the path of the file.")
    try:
        with file.open("rb") as handle:
            empty = handle.read(1) == b""
    except PermissionError:
        raise DataError(
            f"{where} cannot be read (permission denied); make it readable for this user "
            "(e.g. chmod a+r)."
        ) from None
    except OSError as exc:
        raise DataError(f"{where} cannot be read ({exc.strerror or exc}).") from None
    if empty:
        raise DataError(f"{where} is empty; point it at a file with data.")
    return file


def readable_folder(path: Any, *, dataset: str, setting: str) -> Path:
    """The path of an existing folder whose entries can be listed.

    Raises:
        DataError: it does not exist, is a file or cannot be listed.
    """
    folder = Path(os.fspath(path)).expanduser()
    where = f"data={dataset}: {setting}={folder}"
    if not folder.exists():
        raise DataError(f"{where} does not exist; {_relative_hint(folder)}")
    if not folder.is_dir():
        raise DataError(f"{where} is a file, not a folder; give the folder of class folders.")
    try:
        next(os.scandir(folder), None)
    except PermissionError:
        raise DataError(
            f"{where} cannot be listed (permission denied); make it readable for this user."
        ) from None
    return folder


def require(module: str, package: str, *, dataset: str) -> ModuleType:
    """Imports an optional dependency of one data set.

    Raises:
        DataError: it is not installed; the message says what to install.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DataError(
            f"data={dataset} needs the package {package}, which is not installed; "
            f"run `pip install {package}`."
        ) from None


def _relative_hint(path: Path) -> str:
    if path.is_absolute():
        return "check the path."
    return f"relative paths are read from the working directory {Path.cwd()}; check the path."
