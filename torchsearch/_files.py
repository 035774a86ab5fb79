"""Files of the run folder that several workers may write at once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(
    path: Path, write: Callable[[Path], None], *, mode: int | None = None
) -> Path:
    """Calls ``write`` on a temporary file beside ``path``, then renames it to ``path``:
    a reader (or a second worker finishing at the same moment) sees the old file or the
    new one, never half of one. ``mode``, when given, is set before the rename.
    Returns ``path``."""
    partial = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        write(partial)
        if mode is not None:
            partial.chmod(mode)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
