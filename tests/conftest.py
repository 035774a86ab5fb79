"""Shared fixtures: throwaway distributions that are really discoverable as installed.

A distribution is installed when a ``<name>-<version>.dist-info`` folder with its
``entry_points.txt`` sits on ``sys.path`` next to its modules; that is exactly what pip
leaves behind, so these tests exercise the real ``importlib.metadata`` discovery.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from torchsearch.blocks import refresh_registry
from torchsearch.data import refresh_dataset_registry
from torchsearch.search import refresh_searchers

# In CI the property-based tests draw the same examples every run (a landing never
# waits on a lucky draw) and keep no example database; locally they explore afresh.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

MakeDistribution = Callable[..., Path]


@pytest.fixture
def make_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakeDistribution]:
    """Returns ``make(name, entry_points, modules, version="1.0")`` installing a distribution.

    ``entry_points`` maps an entry-point name to ``module:attr`` in the group
    ``torchsearch.blocks`` (or ``group``), ``more_entry_points`` other groups alike;
    ``modules`` maps a module name to its source and ``files`` a path under site-packages
    to its text (a package with data files). Everything is removed, and the registries
    reloaded, when the test ends.
    """
    site = tmp_path / "site-packages"
    site.mkdir()
    created: list[str] = []

    def make(
        name: str,
        entry_points: dict[str, str],
        modules: dict[str, str] | None = None,
        version: str = "1.0",
        group: str = "torchsearch.blocks",
        more_entry_points: dict[str, dict[str, str]] | None = None,
        files: dict[str, str] | None = None,
    ) -> Path:
        for module, source in (modules or {}).items():
            (site / f"{module}.py").write_text(textwrap.dedent(source))
            created.append(module)
        for relative, text in (files or {}).items():
            path = site / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
            created.append(Path(relative).parts[0])
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        lines = []
        for section, entries in {group: entry_points, **(more_entry_points or {})}.items():
            lines += [f"[{section}]"] + [f"{k} = {v}" for k, v in entries.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        return info

    monkeypatch.syspath_prepend(str(site))
    yield make
    monkeypatch.undo()
    for module in created:
        for loaded in [m for m in sys.modules if m == module or m.startswith(f"{module}.")]:
            sys.modules.pop(loaded, None)
    refresh_registry()
    refresh_dataset_registry()
    refresh_searchers()
