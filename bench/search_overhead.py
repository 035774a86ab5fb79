"""What a whole torchsearch search costs over hand-written PyTorch training the same models.

A search of N trials on digits (the ``dnn`` space with Adam only and no dropout, decay or
clipping, so that a plain loop reproduces each trial exactly) is timed end to end: config
checks, data, storage, sampler, training, checkpoints, the final report and the exported
model. Then every completed trial's model is rebuilt with the same initial weights and
trained by a hand-written loop (``overhead.plain_loop``: Adam at the trial's learning rate,
the same batches, the same steps, validation at the end); its weights are checked against
the trial's checkpoint. The ratio is the search's wall time over the plain loops' total.

Where the rest goes is read off the clock, not a profiler (which would inflate the many
small Python calls it is meant to measure): start-up before the first trial, training
inside ``fit`` against the plain loop, the rest of each trial (model building,
validation, checkpoint, records), the time between trials (the sampler and Optuna's
storage), and the report at the end (test score, ``best.json``, ``torch.export``).
"""

from __future__ import annotations

import contextlib
import datetime
import io
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import optuna
import torch
from hydra import compose
from hydra import initialize_config_module
from omegaconf import DictConfig
from omegaconf import OmegaConf
from optuna.artifacts import FileSystemArtifactStore
from optuna.trial import FrozenTrial
from optuna.trial import TrialState
from overhead import plain_loop

from torchsearch import Architecture
from torchsearch import build_model
from torchsearch.data import DataSplits
from torchsearch.data import provider_from_config
from torchsearch.driver import run_search
from torchsearch.trials import CompletedTrial
from torchsearch.trials import load_state
from torchsearch.trials import read_completed

OVERRIDES = (
    "data=digits",
    "data.seed=0",
    "space=dnn",
    "space.learning.optimizers=[adam]",
    "space.learning.dropout.apply=false",
    "space.learning.exponential_decay.apply=false",
    "space.learning.gradient_clipping.apply=false",
    "trainer.max_epochs=null",
    "trainer.accelerator=cpu",
    "seed=0",
)


@dataclass(frozen=True)
class SearchOverhead:
    """One measured search and the plain loops that repeat its training.

    Args:
        trials: completed trials.
        steps: optimizer steps per trial.
        batch_size: examples per step.
        search_seconds: the search's wall time, ``run_search`` start to return.
        plain_seconds: the hand-written loops' total (model building, training, validation).
        parts: seconds of the search by phase (see the module docstring).
        same_weights: every plain loop ended with its trial's checkpointed weights.
        storage: the Optuna storage the search used.
        repeats: rounds run (search, then plain loops); this is the median round.
    """

    trials: int
    steps: int
    batch_size: int
    search_seconds: float
    plain_seconds: float
    parts: dict[str, float]
    same_weights: bool
    storage: str = "SQLite"
    repeats: int = 1

    @property
    def ratio(self) -> float:
        """Search wall time over the plain loops' total (goal: at most 1.25)."""
        return self.search_seconds / self.plain_seconds

    def markdown(self) -> str:
        """The overhead table: the ratio, then the search's time by phase."""
        per_trial = 1000 / self.trials
        lines = [
            f"A search of {self.trials} trials on digits (`space=dnn`, Adam, "
            f"{self.steps} steps of batch {self.batch_size} per trial, {self.storage} "
            "storage) against a hand-written loop training the same architectures from the "
            "same initial weights on the same batches"
            + (" (weights checked equal)." if self.same_weights else " (WEIGHTS DIFFER)."),
            "",
            "| | seconds | ms per trial | share of the search |",
            "|---|---|---|---|",
            f"| hand-written loops (data, build, train, validate) | {self.plain_seconds:.2f} "
            f"| {self.plain_seconds * per_trial:.1f} | |",
            f"| torchsearch search, end to end | {self.search_seconds:.2f} "
            f"| {self.search_seconds * per_trial:.1f} | 100% |",
        ]
        for name, seconds in self.parts.items():
            share = 100 * seconds / self.search_seconds
            lines.append(
                f"| - {name} | {seconds:.2f} | {seconds * per_trial:.1f} | {share:.0f}% |"
            )
        lines += [
            "",
            f"**Ratio search / plain: {self.ratio:.2f}** (goal: at most 1.25); the median of "
            f"{self.repeats} rounds, each the search and then the plain loops.",
        ]
        return "\n".join(lines)


def measure(n_trials: int, steps: int, batch_size: int = 32, repeats: int = 3) -> SearchOverhead:
    """Runs the search and then the plain loops, ``repeats`` times in turn, and keeps the
    median round (by ratio); a warm-up first pays the one-time costs of a fresh process
    (imports, torch's first calls) outside the measurement."""
    cfg = _config(n_trials, steps, batch_size)
    _search(_config(1, 1, batch_size))  # warm-up
    rounds = []
    for _ in range(repeats):
        start = time.perf_counter()
        data = _load(cfg)  # the plain side loads the same data too
        loading = time.perf_counter() - start
        with tempfile.TemporaryDirectory(prefix="bench-overhead-") as folder:
            run_dir = Path(folder)
            trials, search_seconds, parts = _search(cfg, run_dir)
            plain_seconds, same = _plain_loops(trials, data, run_dir, steps, batch_size)
        rounds.append(
            SearchOverhead(
                len(trials),
                steps,
                batch_size,
                search_seconds,
                loading + plain_seconds,
                parts,
                same,
                repeats=repeats,
            )
        )
    return sorted(rounds, key=lambda r: r.ratio)[len(rounds) // 2]


def _config(n_trials: int, steps: int, batch_size: int) -> DictConfig:
    overrides = [
        *OVERRIDES,
        f"search.n_trials={n_trials}",
        f"trainer.max_steps={steps}",
        f"trainer.batch_size={batch_size}",
    ]
    with initialize_config_module("torchsearch.conf", version_base="1.3"):
        return compose("config", overrides=overrides)


def _load(cfg: DictConfig) -> DataSplits:
    data_cfg = OmegaConf.to_container(cfg.data, resolve=True)
    assert isinstance(data_cfg, dict)
    return provider_from_config(data_cfg).load().to_kind("flat")


def _search(
    cfg: DictConfig, run_dir: Path | None = None
) -> tuple[list[FrozenTrial], float, dict[str, float]]:
    """Runs the search in ``run_dir`` (a temporary folder if None): its completed trials,
    wall seconds and phases."""
    if run_dir is None:
        with tempfile.TemporaryDirectory(prefix="bench-overhead-") as folder:
            return _search(cfg, Path(folder))
    quiet = io.StringIO()
    began = datetime.datetime.now()  # Optuna's trial datetimes are local wall-clock times
    start = time.perf_counter()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        run_search(cfg, run_dir)
    seconds = time.perf_counter() - start
    ended = datetime.datetime.now()
    study = optuna.load_study(
        study_name=str(cfg.storage.study), storage=f"sqlite:///{run_dir}/trials.db"
    )
    trials = sorted(study.get_trials(states=(TrialState.COMPLETE,)), key=_started)
    return trials, seconds, _phases(trials, began, ended)


def _started(trial: FrozenTrial) -> datetime.datetime:
    assert trial.datetime_start is not None
    return trial.datetime_start


def _phases(
    trials: list[FrozenTrial], began: datetime.datetime, ended: datetime.datetime
) -> dict[str, float]:
    """The search's wall time by phase, from the trials' start and end times."""
    first, last = trials[0].datetime_start, trials[-1].datetime_complete
    assert first is not None and last is not None
    inside = sum((t.datetime_complete - t.datetime_start).total_seconds() for t in trials)  # type: ignore[operator]
    training = sum(_record(t).train_seconds or 0.0 for t in trials)
    return {
        "start-up (config checks, data, storage)": (first - began).total_seconds(),
        "training loop inside fit": training,
        "rest of each trial (build, validation, checkpoint, records)": inside - training,
        "between trials (sampler, Optuna storage)": (last - first).total_seconds() - inside,
        "final report (test score, best.json, torch.export)": (ended - last).total_seconds(),
    }


def _plain_loops(
    trials: list[FrozenTrial],
    data: DataSplits,
    run_dir: Path,
    steps: int,
    batch_size: int,
) -> tuple[float, bool]:
    """Total seconds of the hand-written loops; whether each ended at its checkpoint."""
    from torchsearch.driver._loop import trial_seed  # the seed of a trial's initial weights

    total, same = 0.0, True
    for trial in trials:
        record = _record(trial)
        architecture = record.architecture
        rate = float(architecture.hparams["learning_rate"])
        start = time.perf_counter()
        torch.manual_seed(trial_seed(0, trial.number))
        model = build_model(architecture, data.input_spec, data.num_classes, "dnn")
        plain_loop(model, data.train, data.validation, steps, batch_size, rate, seed=0)
        total += time.perf_counter() - start
        saved = load_state(FileSystemArtifactStore(str(run_dir / "artifacts")), record.checkpoint)
        state = model.state_dict()
        same = same and all(torch.allclose(state[k], saved[k]) for k in saved)
    return total, same


def _record(trial: FrozenTrial) -> CompletedTrial:
    record = read_completed(trial)
    assert record is not None, f"trial {trial.number} has no record"
    return record


def _warm_up(data: DataSplits, steps: int, batch_size: int) -> None:
    """One plain loop first, so neither side pays torch's first-call costs."""
    torch.manual_seed(0)
    architecture = Architecture.single(["FIXED_OUTPUT_FULLY_CONNECTED_128"])
    model = build_model(architecture, data.input_spec, data.num_classes, "dnn")
    plain_loop(model, data.train, data.validation, min(steps, 20), batch_size)
