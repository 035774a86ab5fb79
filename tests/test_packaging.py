"""What the distribution ships: every package, the configs, the type marker, the licence
named in pyproject.toml, and a version the command prints."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_package_list_names_every_package_of_the_tree() -> None:
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    tree = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "torchsearch").rglob("__init__.py")
    }
    assert tree | {"torchsearch.conf"} == listed


def test_type_hints_are_declared_to_checkers() -> None:
    assert (ROOT / "torchsearch" / "py.typed").is_file()
    assert "py.typed" in PROJECT["tool"]["setuptools"]["package-data"]["torchsearch"]


def test_the_licence_file_is_the_one_pyproject_names() -> None:
    assert PROJECT["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def test_the_command_prints_the_installed_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "torchsearch", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == f"torchsearch {metadata.version('torchsearch')}"
