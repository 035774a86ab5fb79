"""What learning curves cost: the default search with curves on and off.

Every trial evaluates the validation split every ``search.report_every`` steps (a tenth
of its steps by default) and reports the metric to its Optuna trial (one database write
per report); ``search.report_every=0`` turns that off (docs/curves.md). This script runs
the default search (digits, the dnn space, 10 epochs a trial; ``torchsearch
search.n_trials=N``) in this process, through ``torchsearch.driver.run_search``, with
curves on and off, alternating which goes first each round, and prints the median over
the rounds of

- the search's wall time (every trial, the report and the exported model);
- the trials' training time (the sum of their ``train_seconds``, which covers the
  validations and reports made while training);
- the time spent, while training, in those validations (``evaluate`` called from
  ``fit``'s step callback) and in ``trial.report``, and its share of the training time.

The share is read off the clock inside one run, so it holds on a machine shared with
other jobs, where the on/off ratio of two runs also measures how busy the machine was
in each. The two runs train the same models (the same seed; curves change nothing in
the training, ``tests/driver/test_curves.py``).

    python bench/curves.py [--trials N] [--rounds R] [--output BENCHMARKS.md]

``--output`` gets (or has replaced) its section ``## Learning curves``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from hydra import compose
from hydra import initialize_config_module
from optuna.trial import TrialState
from sections import replace_section

import torchsearch.train._fit as fit_module
from torchsearch.driver import run_search

SECTION = "Learning curves"
MODES = {"on": (), "off": ("search.report_every=0",)}


@dataclass(frozen=True)
class Run:
    """One search's figures, in seconds (``reports``: per completed trial)."""

    wall: float
    training: float
    validations: float
    reports_seconds: float
    reports: float

    @property
    def share(self) -> float:
        """The validations' and reports' part of the training time."""
        return (self.validations + self.reports_seconds) / self.training


@contextlib.contextmanager
def _clocks() -> Iterator[dict[str, float]]:
    """Times ``evaluate`` when ``fit``'s step callback calls it, and ``trial.report``."""
    spent = {"validations": 0.0, "reports": 0.0}
    evaluate, report = fit_module.evaluate, optuna.trial.Trial.report

    def timed(key: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - start

    def timed_evaluate(*args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_code.co_name != "after_step":  # fit's final evaluation
            return evaluate(*args, **kwargs)
        return timed("validations", evaluate, *args, **kwargs)

    fit_module.evaluate = timed_evaluate
    optuna.trial.Trial.report = lambda *a, **k: timed("reports", report, *a, **k)
    try:
        yield spent
    finally:
        fit_module.evaluate, optuna.trial.Trial.report = evaluate, report


def run_once(folder: Path, trials: int, overrides: tuple[str, ...]) -> Run:
    """One default search of ``trials`` trials into ``folder``."""
    with initialize_config_module("torchsearch.conf", version_base="1.3"):
        cfg = compose("config", [f"search.n_trials={trials}", *overrides])
    with _clocks() as spent, contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        run_search(cfg, folder)
        wall = time.perf_counter() - start
    url = f"sqlite:///{folder / 'trials.db'}"
    (name,) = optuna.get_all_study_names(url)
    done = optuna.load_study(study_name=name, storage=url).get_trials(
        states=(TrialState.COMPLETE,)
    )
    training = sum(t.user_attrs["train_seconds"] for t in done)
    reports = statistics.mean(len(t.intermediate_values) for t in done)
    return Run(wall, training, spent["validations"], spent["reports"], reports)


def measure(trials: int, rounds: int) -> str:
    """The markdown table of ``rounds`` rounds of ``trials``-trial searches per mode."""
    results: dict[str, list[Run]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(rounds):
            order = list(MODES) if index % 2 == 0 else list(reversed(MODES))
            for mode in order:
                folder = Path(scratch) / f"{mode}-{index}"
                results[mode].append(run_once(folder, trials, MODES[mode]))
    lines = [
        "| curves | search s | training s | validations s | reports s | share of training "
        "| reports per trial |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    medians = {}
    for mode, runs in results.items():
        median = {
            field: statistics.median(getattr(run, field) for run in runs)
            for field in ("wall", "training", "validations", "reports_seconds", "reports", "share")
        }
        medians[mode] = median
        lines.append(
            f"| {mode} | {median['wall']:.1f} | {median['training']:.2f} | "
            f"{median['validations']:.3f} | {median['reports_seconds']:.3f} | "
            f"{median['share']:.1%} | {median['reports']:.1f} |"
        )
    on, off = medians["on"], medians["off"]
    lines.append("")
    lines.append(
        f"Validations and reports take {on['share']:.1%} of the training time with curves on "
        f"(median of {rounds} run{'s' if rounds > 1 else ''} of {trials} trials); the on/off "
        "ratio of the searches' "
        f"wall times is {on['wall'] / off['wall']:.3f}, of their training times "
        f"{on['training'] / off['training']:.3f}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20, help="search.n_trials (20)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per mode (3)")
    parser.add_argument("--output", type=Path, default=None, help="write the section here")
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    body = measure(args.trials, args.rounds)
    print(body)
    if args.output is not None:
        command = f"python bench/curves.py --trials {args.trials} --rounds {args.rounds}"
        replace_section(args.output.resolve(), SECTION, body, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
