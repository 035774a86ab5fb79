"""Bad input stops before training: one clear line, a non-zero exit, no trial written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from cli_helpers import OUTSIDE_SOURCE_TREE
from cli_helpers import run_cli
from cli_helpers import trials_in
from PIL import Image

from torchsearch import ConfigError
from torchsearch import DataError
from torchsearch import PluginError
from torchsearch import StorageError
from torchsearch import TorchSearchError
from torchsearch import UnknownBlockError
from torchsearch.blocks import refresh_registry
from torchsearch.driver import run_search


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], type[TorchSearchError], str]]:
    """Each case: overrides, the error type, and a fragment of its message."""
    words = _csv(tmp / "words.csv", "a,b,label\n" + "1,x,0\n2,3,1\n" * 10)
    no_label = _csv(tmp / "nolabel.csv", "a,b,c\n" + "1,2,0\n3,4,1\n" * 10)
    one_class = _csv(tmp / "oneclass.csv", "a,b,label\n" + "1,2,0\n3,4,0\n" * 10)
    empty_images = tmp / "photos"
    (empty_images / "cats").mkdir(parents=True)
    (empty_images / "dogs").mkdir()
    (empty_images / "cats" / "notes.txt").write_text("not an image")
    unreadable = tmp / "locked.csv"
    unreadable.write_text("")
    return {
        "missing file": (["data=csv", f"data.path={tmp / 'nope.csv'}"], DataError, "nope.csv"),
        "empty file": (["data=csv", f"data.path={unreadable}"], DataError, "empty"),
        "non-numeric feature": (
            ["data=csv", f"data.path={words}", "data.label=label"],
            DataError,
            "'b'",
        ),
        "missing label": (
            ["data=csv", f"data.path={no_label}", "data.label=label"],
            DataError,
            "label",
        ),
        "one class": (
            ["data=csv", f"data.path={one_class}", "data.label=label"],
            DataError,
            "two classes",
        ),
        "no images": (["data=images", f"data.path={empty_images}"], DataError, "no image"),
        "unknown block": (["space.blocks=[FULLY_CONECTED]"], UnknownBlockError, "FULLY_CONNECTED"),
        "unknown searcher": (["search.name=nope"], PluginError, "Unknown searcher 'nope'"),
        "unreachable storage": (
            ["storage=postgresql", "storage.url=postgresql://me:secret@127.0.0.1:1/db"],
            StorageError,
            "127.0.0.1",
        ),
        "bad metric": (["objective.metric=f1"], ConfigError, "accuracy, loss"),
        "misspelt suggestion hyperparameter": (
            [
                "space.suggestions=[{blocks:[FIXED_OUTPUT_FULLY_CONNECTED_128],"
                "hparams:{learning_rat:0.01}}]"
            ],
            ConfigError,
            "'learning_rat', which is not a hyperparameter; did you mean learning_rate?",
        ),
        "timeout not positive": (["search.timeout_s=0"], ConfigError, "search.timeout_s=3600"),
        "cap not positive": (["space.max_parameters=-5"], ConfigError, "space.max_parameters"),
        "gpu without CUDA": (["trainer.accelerator=gpu"], ConfigError, "sees no CUDA device"),
        "rnn_all without labels per step": (
            ["space=rnn_all"],
            ConfigError,
            "one label per sequence: use space=rnn_last",
        ),
        "labels per step for rnn_last": (
            ["data=random_walk", "space=rnn_last"],
            ConfigError,
            "or data.per_step=false",
        ),
        "space does not fit data": (
            ["data=mnist1d", "space=dnn", "space.blocks=[LSTM_128]"],
            ConfigError,
            "LSTM_128",
        ),
        "regression target not a number": (
            ["data=csv", f"data.path={words}", "data.label=b", "data.task=regression"],
            DataError,
            "the target 'x' (row 1, line 2 of words.csv), which is not a number",
        ),
        "regression distilled on probabilities": (
            ["data=diabetes", "distill=cross_entropy"],
            ConfigError,
            "distill=cross_entropy compares class probabilities",
        ),
    }


CASES = [
    "missing file",
    "empty file",
    "non-numeric feature",
    "missing label",
    "one class",
    "no images",
    "unknown block",
    "unknown searcher",
    "unreachable storage",
    "bad metric",
    "misspelt suggestion hyperparameter",
    "timeout not positive",
    "cap not positive",
    "gpu without CUDA",
    "rnn_all without labels per step",
    "labels per step for rnn_last",
    "regression target not a number",
    "regression distilled on probabilities",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_clear_error_and_writes_nothing(
    case: str, make_config, tmp_path: Path
) -> None:
    if case == "gpu without CUDA" and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    overrides, error, fragment = _bad_inputs(tmp_path)[case]
    run_dir = tmp_path / "run"
    with pytest.raises(error) as info:
        run_search(make_config(*overrides), run_dir)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message, "one line"
    assert "secret" not in message, "passwords are never shown"
    assert trials_in(run_dir) == []


ALWAYS_FAILS = """
from torchsearch import ConfigError
from torchsearch.blocks import Block, InputKind


class AlwaysFails(Block):
    input_kinds = frozenset({InputKind.FLAT})
    is_input_order_important = False

    def build(self, spec, hparams=None):
        raise ConfigError("this block never builds")
"""


def test_trials_that_cannot_build_stop_the_run_with_the_reason(
    make_config, make_distribution, tmp_path: Path
) -> None:
    # A block that takes the data but fails to build: each trial fails with the reason,
    # and ten failures in a row stop the run instead of looping.
    make_distribution(
        "throwaway-never", {"NEVER_BUILDS": "ts_never:AlwaysFails"}, {"ts_never": ALWAYS_FAILS}
    )
    refresh_registry()
    with pytest.raises(ConfigError, match=r"10 trials in a row failed.*never builds"):
        run_search(
            make_config("space.blocks=[NEVER_BUILDS]", "search.n_trials=20"), tmp_path / "run"
        )
    trials = trials_in(tmp_path / "run")
    assert len(trials) == 10
    assert all(t.user_attrs.get("error") for t in trials)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["data=csv", "data.path=/no/such/file.csv"], "torchsearch: error: "),
        (
            ["storage=postgresql", "storage.url=postgresql://me:secret@127.0.0.1:1/db"],
            "Cannot open the trial database postgresql://me:***@127.0.0.1:1/db",
        ),
        (["trainer.max_epoch=3"], "did you mean trainer.max_epochs?"),
    ],
)
def test_the_command_line_prints_one_line_and_exits_non_zero(
    overrides: list[str], expected: str, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, *overrides)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert trials_in(tmp_path) == []


def test_image_folder_with_a_real_image_per_class_is_not_an_error(tmp_path: Path) -> None:
    # The "no images" case above must fail for the right reason: a folder that has images
    # loads fine.
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for i in range(4):
            Image.new("RGB", (5, 5), (i * 40, 0, 0)).save(tmp_path / label / f"{i}.png")
    from torchsearch.data import load_dataset

    splits = load_dataset(
        "images",
        path=str(tmp_path),
        image_size=[4, 4],
        validation_fraction=0.25,
        test_fraction=0.25,
    )
    assert splits.num_classes == 2


@pytest.mark.slow
def test_evolution_needs_its_plugin(tmp_path: Path) -> None:
    from torchsearch.search import list_searchers

    if "evolution" in list_searchers():
        pytest.skip("torchsearch-evolution is installed here; the plugins session tests it")
    by_group = run_cli(tmp_path / "a", "search=evolution")
    assert by_group.returncode == 1
    assert "search=evolution is not an installed searcher; choose one of: " in by_group.stderr
    assert "Traceback" not in by_group.stderr
    by_name = run_cli(tmp_path / "b", "search.name=evolution")
    assert by_name.returncode == 1
    assert "Unknown searcher 'evolution'" in by_name.stderr
    assert trials_in(tmp_path / "a") == [] and trials_in(tmp_path / "b") == []


LIGHT_CHECK = """
import sys
from torchsearch._cli import main
sys.argv = ["torchsearch", "hydra.run.dir={run_dir}", *{overrides!r}]
try:
    main()
except SystemExit as exit:
    print("exit", exit.code, "torch imported:", "torch" in sys.modules)
"""


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("search.n_trials=abc", "search.n_trials=abc is not an integer"),
        ("seed=-3", "seed must be at least 0, got -3"),
        ("objective.metric=f1", "objective.metric='f1' is not one of accuracy, loss, rmse"),
        (
            "data=diabetes objective.metric=accuracy",
            "objective.metric=accuracy is for classification, but data.task is regression",
        ),
        ("objective.loss=huber", "objective.loss=huber is for regression"),
        ("data.task=regression", "data=digits has class labels"),
        ("space.max_parameters=big", "space.max_parameters=big is not an integer or null"),
        ("space.max_parameters=2.5", "space.max_parameters=2.5 is not an integer or null"),
        ("data=csv", "data.path must be given: add data.path=... to the command"),
        ("search.timeout_s=-1", "search.timeout_s must be positive or null, got -1"),
        ("search.timeout_s=soon", "search.timeout_s=soon is not a number or null"),
        ("trainer.batch_sise=64", "did you mean trainer.batch_size?"),
        ("trainer.precision=64", "trainer.precision=64 is not one of 32, bf16-mixed"),
        ("space.learning.optimizers=[adam,nadam]", "lists 'nadam', which is not one of"),
        ("data=random_walk data.examples=5", "data.examples must be at least 20, got 5"),
    ],
)
def test_wrong_settings_are_one_line_before_torch_is_imported(
    override: str, fragment: str, tmp_path: Path
) -> None:
    code = LIGHT_CHECK.format(run_dir=tmp_path / "run", overrides=override.split())
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=OUTSIDE_SOURCE_TREE,  # the installed package, not the source tree
    )
    assert result.stdout.strip().endswith("exit 1 torch imported: False"), result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("torchsearch: error: "), result.stderr
    assert fragment in lines[0]
    assert not (tmp_path / "run").exists()  # checked before Hydra makes the run folder
