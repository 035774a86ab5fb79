"""Names that become folders: a study's name is a name, never a path; the default one
tells data files apart."""

from __future__ import annotations

import re
from pathlib import Path

from torchsearch._errors import ConfigError

__all__ = ["check_study_name", "data_tag"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def check_study_name(name: object) -> str:
    """``name`` when it is a plain name (letters, digits, ``.``, ``_``, ``-``; it also
    names the run folder ``outputs/<study>``).

    Raises:
        ConfigError: ``name`` is empty, too long, or holds a path separator or ``..``.
    """
    text = str(name)
    if not _NAME.fullmatch(text) or ".." in text:
        raise ConfigError(
            f"storage.study={text!r} is not a study name: use up to 128 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit (it names the run folder "
            "outputs/<study>; move the folder with hydra.run.dir=PATH instead)."
        )
    return text


def data_tag(name: object, path: object = None) -> str:
    """The data's part of the default study name: the data set's ``name``, then the stem
    of the file or folder it reads, if any (``csv-train``), so that two files make two
    studies (``${data_tag:${data.name},${oc.select:data.path,null}}`` in conf/storage)."""
    if path in (None, "", "???"):
        return str(name)
    stem = _NOT_A_NAME.sub("_", Path(str(path)).stem).strip("._-")[:40]
    return f"{name}-{stem}" if stem else str(name)
