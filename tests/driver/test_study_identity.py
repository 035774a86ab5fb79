"""A study knows its data: another file, the same file changed, or another label column
is refused before any trial, and the default study name tells files apart."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from cli_helpers import trials_in
from omegaconf import OmegaConf

from torchsearch import ConfigError
from torchsearch.driver import run_search


def _csv(path: Path, columns: int, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    rows = [",".join(f"c{i}" for i in range(columns)) + ",y,z"]  # two label columns
    for _ in range(90):
        values = [rng.random() for _ in range(columns)]
        labels = f",{int(values[0] > 0.5)},{int(values[1] > 0.5)}"
        rows.append(",".join(f"{v:.4f}" for v in values) + labels)
    path.write_text("\n".join(rows) + "\n")
    return path


def test_the_default_study_name_tells_files_apart(make_config, tmp_path: Path) -> None:
    names = {
        OmegaConf.select(make_config("data=csv", f"data.path={tmp_path / f}"), "storage.study")
        for f in ("train.csv", "other file.csv")
    }
    assert names == {"csv-train-dnn-coordinate_descent", "csv-other_file-dnn-coordinate_descent"}
    assert OmegaConf.select(make_config(), "storage.study") == "digits-dnn-coordinate_descent"


@pytest.mark.slow
def test_a_study_refuses_other_data_before_any_trial(make_config, tmp_path: Path) -> None:
    first = _csv(tmp_path / "first.csv", columns=2, seed=0)
    run_dir = tmp_path / "run"
    shared = ("data=csv", "data.label=y", "storage.study=shared", "search.n_trials=2")
    run_search(make_config(*shared, f"data.path={first}"), run_dir)
    before = [(t.number, t.state) for t in trials_in(run_dir)]

    other_file = _csv(tmp_path / "second.csv", columns=3, seed=1)
    changed = _csv(tmp_path / "moved" / "first.csv", columns=2, seed=2)  # same name
    for path, difference in ((other_file, "data_layout"), (changed, "data_files")):
        with pytest.raises(ConfigError) as info:
            run_search(make_config(*shared, f"data.path={path}"), run_dir)
        message = str(info.value)
        assert "\n" not in message and difference in message, message
        assert "storage.study" in message
    with pytest.raises(ConfigError, match="data_columns"):
        run_search(
            make_config(*shared[1:], "data=csv", f"data.path={first}", "data.label=z"), run_dir
        )
    assert [(t.number, t.state) for t in trials_in(run_dir)] == before

    # The same data, moved: the study resumes.
    moved = tmp_path / "elsewhere" / "renamed.csv"
    moved.parent.mkdir()
    moved.write_bytes(first.read_bytes())
    run_search(make_config(*shared[:-1], "search.n_trials=3", f"data.path={moved}"), run_dir)
    assert len(trials_in(run_dir)) > len(before)
