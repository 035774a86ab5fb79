"""Names that become folders: a study's name is a name, never a path."""

from __future__ import annotations

import re

from torchsearch._errors import ConfigError

__all__ = ["check_study_name"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


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
