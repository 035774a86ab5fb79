"""Keeping a storage password out of every file and message (docs/parallel.md,
"Passwords").

A database URL may carry a password (``postgresql://user:PASSWORD@host/db``, or
``?password=PASSWORD``). Whatever torchsearch writes or prints passes through
:func:`redact` first; the run folder's copies of the settings are written through
:func:`write_private`, readable by their owner only. Light on imports: the command
line uses it before torch is loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import TextIO

__all__ = [
    "PRIVATE_MODE",
    "STORAGE_URL_VARIABLE",
    "RedactingStream",
    "redact",
    "redact_values",
    "write_private",
]

STORAGE_URL_VARIABLE = "TORCHSEARCH_STORAGE_URL"
"""The environment variable ``storage=postgresql`` reads its URL from by default."""

PRIVATE_MODE = 0o600
"""Files that hold settings: read and written by their owner only."""

_PASSWORDS = (
    (re.compile(r"(://[^:/@\s'\"]+:)[^@\s'\"]*@"), r"\1***@"),  # user:password@host
    (re.compile(r"([?&]password=)[^&\s'\"]*", re.IGNORECASE), r"\1***"),  # ?password=...
)


def redact(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    for pattern, replacement in _PASSWORDS:
        text = pattern.sub(replacement, text)
    return text


def redact_values(value: Any) -> Any:
    """A copy of ``value`` (nested mappings, lists and strings) with every string
    redacted: the settings as they may be stored or shown."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: redact_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_values(item) for item in value]
    return value


def write_private(path: Path, text: str) -> Path:
    """Writes ``text``, redacted, to ``path`` with mode 0600 (also when it existed)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), PRIVATE_MODE)
        file.write(redact(text))
    return path


class RedactingStream:
    """A text stream that masks passwords in everything written through it: the
    command's stdout and stderr, so that no message (Hydra's own errors about an
    override included) shows a password given on the command line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self._stream, name)
