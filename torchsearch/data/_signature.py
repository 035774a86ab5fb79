"""What makes two searches' results comparable: the data a study was created on.

A study records it (its identity, ``torchsearch/trials``) and a run on other data (another
file, the same file changed, another label column) is refused instead of mixing both in
one leaderboard and one set of checkpoints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torchsearch.data._layout import describe_spec
from torchsearch.data._records import DataSplits

__all__ = ["data_signature", "fingerprint"]

_CHUNK = 1 << 20


def data_signature(settings: Mapping[str, Any], data: DataSplits) -> dict[str, Any]:
    """The data's part of a study's identity: its layout and classes, the settings that
    choose what is read (``label``, ``x``, ``y``...), and a content hash of every file or
    folder a ``path`` / ``*_path`` setting names (a moved but unchanged file still
    matches).

    Args:
        settings: the ``data`` config group.
        data: the splits loaded from it.
    """
    assert data.source_spec is not None
    files = {
        key: fingerprint(Path(str(value)))
        for key, value in sorted(settings.items())
        if _is_path_key(key) and value not in (None, "")
    }
    chosen = {
        key: value
        for key, value in sorted(settings.items())
        if key in ("label", "x", "y", "lengths", "channels", "image_size", "image_shape")
    }
    target = "a numeric target" if data.task == "regression" else f"{data.num_classes} classes"
    return {
        "data_layout": f"{describe_spec(data.source_spec)}, {target}",
        "data_files": files,
        "data_columns": chosen,
    }


def fingerprint(path: Path) -> str:
    """``sha256:<16 hex>`` of a file's bytes, or of a folder's file names and sizes (image
    folders are large; a changed image keeps its size rarely enough to ignore)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(f"{item.relative_to(path).as_posix()}\0{item.stat().st_size}\n".encode())
    else:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    return f"sha256:{digest.hexdigest()[:16]}"


def _is_path_key(key: str) -> bool:
    return key == "path" or key.endswith("_path")
