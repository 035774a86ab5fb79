"""Plugins choose like built-ins: a data-set plugin that ships its config is ``data=NAME``
on the command line, with its settings; one that ships none, or a name nothing provides,
is one line saying what to do. ``torchsearch-plugins`` lists them all.

The plugin is a real distribution on the path of the command's process (a
``.dist-info`` folder with its entry points, as pip leaves it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import run_cli

from torchsearch._configs import config_names
from torchsearch._configs import find_config
from torchsearch._configs import plugin_config_paths

pytestmark = pytest.mark.slow

PROVIDER = """
import torch
from torchsearch.blocks import TensorSpec
from torchsearch.data import DataProvider, DataSplits, Split


class Stripes(DataProvider):
    \"\"\"Two classes told apart by the sign of the first of ``width`` features.\"\"\"

    name = "stripes"

    def __init__(self, n: int = 60, width: int = 4, seed: int = 0):
        self.n, self.width, self.seed = n, width, seed

    def load(self):
        generator = torch.Generator().manual_seed(self.seed)
        splits = []
        for _ in range(3):
            x = torch.randn(self.n, self.width, generator=generator)
            splits.append(Split(x, (x[:, 0] > 0).long()))
        return DataSplits(*splits, TensorSpec.flat(self.width), 2, self.name, ("neg", "pos"))
"""

CONFIG = """
name: stripes
n: 60
width: 4
seed: ${seed}
"""


def _install(make_distribution, *, with_config: bool) -> Path:
    files = {"stripes_plugin/__init__.py": PROVIDER}
    configs = {}
    if with_config:
        files |= {
            "stripes_plugin/conf/__init__.py": "",
            "stripes_plugin/conf/data/stripes.yaml": CONFIG,
        }
        configs = {"torchsearch.configs": {"stripes-plugin": "stripes_plugin.conf"}}
    info = make_distribution(
        "stripes-plugin",
        {"stripes": "stripes_plugin:Stripes"},
        group="torchsearch.datasets",
        more_entry_points=configs,
        files=files,
    )
    return info.parent


def test_a_data_set_plugin_with_its_config_is_an_option(make_distribution, tmp_path: Path) -> None:
    site = _install(make_distribution, with_config=True)
    assert find_config("data", "stripes") is not None
    assert "stripes" in config_names("data")
    assert "pkg://stripes_plugin.conf" in plugin_config_paths()
    run_dir = tmp_path / "run"
    result = run_cli(
        run_dir, "data=stripes", "data.width=6", "search.n_trials=2", env={"PYTHONPATH": str(site)}
    )
    assert result.returncode == 0, result.stderr
    best = json.loads((run_dir / "best.json").read_text())
    assert best["study"].startswith("stripes-dnn-")
    saved = (run_dir / ".hydra" / "config.yaml").read_text()
    assert "width: 6" in saved


def test_a_plugin_without_a_config_is_one_line_with_the_fix(
    make_distribution, tmp_path: Path
) -> None:
    site = _install(make_distribution, with_config=False)
    result = run_cli(tmp_path / "run", "data=stripes", env={"PYTHONPATH": str(site)})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("torchsearch: error: data=stripes"), lines
    assert "installed (by stripes-plugin)" in lines[0] and "torchsearch.configs" in lines[0]
    assert not (tmp_path / "run").exists()


def test_an_unknown_option_lists_the_choices(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "run", "search=annealing")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("torchsearch: error: search=annealing is not")
    assert "coordinate_descent" in result.stderr and "Traceback" not in result.stderr


def test_the_listing_names_each_plugin_its_provider_and_config(make_distribution) -> None:
    site = _install(make_distribution, with_config=True)
    listing = subprocess.run(
        [sys.executable, "-c", "from torchsearch._plugin_listing import main; main()"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
        cwd=OUTSIDE_SOURCE_TREE,
        timeout=120,
        check=True,
    )
    rows = {line.split()[0]: line for line in listing.stdout.splitlines() if line.startswith("  ")}
    assert "stripes-plugin 1.0" in rows["stripes"]
    assert "data/stripes.yaml (stripes-plugin)" in rows["stripes"]
    assert "search/coordinate_descent.yaml (torchsearch)" in rows["coordinate_descent"]
    assert "stripes_plugin.conf" in rows
