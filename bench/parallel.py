"""Workers that add up, and what pruning saves: whole searches from the command line.

    python bench/parallel.py [--quick] [--seeds N] [--output BENCHMARKS.md]

1. **Trials per minute with 1 and 2 workers** on this machine, for a fixed wall clock
   (``search.timeout_s``, no trial budget), run as one process; as ``torchrun
   --nproc_per_node=2`` (a worker per rank, ``trainer.parallel=trials``); as two
   processes started side by side on one study; and, for comparison, two processes that
   keep torch's default of every core each (``trainer.threads`` set to the core count:
   what workers did before they shared the cores). Completed trials per minute, the
   ratio to one worker, and the training milliseconds per optimizer step. Two
   workloads: random search on digits with no ensembles, whose trials are alike
   however many workers share the study, so the ratio is the machine's; and the
   default search (coordinate descent and ensembles), whose trials grow as the study
   does, so that more workers also change which trials it runs.
2. **Pruning on MNIST-1D** (``space=cnn1d``): the same number of trials started
   (``search.count_pruned=true``), 600 steps each, with ``search.pruner=none``, ``median`` and
   ``successive_halving``: wall clock, trials the pruner stopped, and the selected
   model's validation and test accuracy, per seed.

Each search runs in its own scratch folder; figures come from the study and
``best.json``. ``--output`` gets (or has replaced) its section ``## Workers and
pruning``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.trial import TrialState
from sections import section_main

SECTION = "Workers and pruning"
PRUNERS = ("none", "median", "successive_halving")


@dataclass(frozen=True)
class Search:
    """What one search (of one or more processes) gave."""

    seconds: float
    completed: int
    pruned: int
    validation: float | None
    test: float | None
    ms_per_step: float = float("nan")
    median_parameters: float = float("nan")

    @property
    def per_minute(self) -> float:
        return 60 * self.completed / self.seconds


def run(
    run_dir: Path, overrides: list[str], *, processes: int = 1, torchrun: bool = False
) -> Search:
    """Runs ``torchsearch`` with ``overrides`` into ``run_dir`` and reads the results."""
    base = [sys.executable, "-m", "torchsearch", f"hydra.run.dir={run_dir}", *overrides]
    if torchrun:
        base[1:3] = ["-m", "torch.distributed.run", "--standalone",
                     f"--nproc_per_node={processes}", "-m", "torchsearch"]  # fmt: skip
        processes = 1
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    start = time.perf_counter()
    workers = [
        subprocess.Popen(
            base,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tempfile.gettempdir(),
        )
        for _ in range(processes)
    ]
    for worker in workers:
        _, err = worker.communicate()
        if worker.returncode != 0:
            raise RuntimeError(f"{' '.join(base)} failed:\n{err[-2000:]}")
    seconds = time.perf_counter() - start
    storage = f"sqlite:///{run_dir / 'trials.db'}"
    trials = optuna.load_study(
        study_name=optuna.get_all_study_names(storage)[0], storage=storage
    ).trials
    best_file = run_dir / "best.json"
    best = json.loads(best_file.read_text()) if best_file.exists() else {}
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    steps = sum(t.user_attrs.get("steps", 0) for t in complete)
    training = sum(t.user_attrs.get("train_seconds", 0.0) for t in complete)
    return Search(
        seconds,
        len(complete),
        sum(str(t.user_attrs.get("reason", "")).startswith("pruned") for t in trials),
        best.get("validation", {}).get("accuracy"),
        best.get("test", {}).get("accuracy"),
        1000 * training / steps if steps else float("nan"),
        statistics.median(t.user_attrs.get("parameters", 0) for t in complete)
        if complete
        else float("nan"),
    )


WORKLOADS = {
    "random search, no ensembles": ["search=random", "ensemble=none", "distill=none"],
    "the default search": [],
}


def workers_table(scratch: Path, seconds: int) -> str:
    cores = len(os.sched_getaffinity(0))
    budget = [f"search.timeout_s={seconds}", "search.n_trials=100000"]
    lines = [
        f"Digits, `dnn` space, {seconds} s of wall clock a run (start-up and the report "
        f"included), {cores} CPU cores. Random search's trials are alike however many "
        "workers share the study, so its ratios are the machine's; the default search's "
        "trials grow along the path the search takes, which more workers change (compare "
        "the median parameters of its completed trials), so its ratios mix the machine "
        "with that path.",
        "",
        "| workload | how | completed trials | seconds | trials per minute | vs 1 worker "
        "| training ms per step | median parameters |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for workload, overrides in WORKLOADS.items():
        base = [*budget, *overrides]
        folder = scratch / workload.replace(" ", "-").replace(",", "")
        arms = {
            "1 worker": run(folder / "one", base),
            "torchrun --nproc_per_node=2": run(
                folder / "torchrun", base, processes=2, torchrun=True
            ),
            "2 processes, one study": run(folder / "two", base, processes=2),
            f"2 processes, {cores} threads each": run(
                folder / "greedy", [*base, f"trainer.threads={cores}"], processes=2
            ),
        }
        one = arms["1 worker"].per_minute
        for name, search in arms.items():
            lines.append(
                f"| {workload} | {name} | {search.completed} | {search.seconds:.0f} | "
                f"{search.per_minute:.1f} | {search.per_minute / one:.2f}x | "
                f"{search.ms_per_step:.2f} | {search.median_parameters:,.0f} |"
            )
    return "\n".join(lines)


def pruning_table(scratch: Path, seeds: list[int], trials: int, steps: int) -> str:
    rows: dict[str, list[Search]] = {p: [] for p in PRUNERS}
    for seed in seeds:
        for pruner in PRUNERS:
            rows[pruner].append(
                run(
                    scratch / f"prune-{pruner}-{seed}",
                    [
                        "data=mnist1d",
                        "space=cnn1d",
                        f"seed={seed}",
                        f"search.n_trials={trials}",
                        "trainer.max_epochs=null",
                        f"trainer.max_steps={steps}",
                        "trainer.batch_size=64",
                        f"search.pruner={pruner}",
                        "search.count_pruned=true",
                    ],
                )
            )
    lines = [
        f"MNIST-1D, `space=cnn1d`, {trials} trials of {steps} steps (batch 64) started a "
        "search (pruned ones count), "
        f"seeds {', '.join(map(str, seeds))}; medians over the seeds, each seed's figures "
        "in brackets.",
        "",
        "| pruner | wall clock (s) | vs none | trials stopped | selected validation "
        "| selected test |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    base = statistics.median(s.seconds for s in rows["none"])
    for pruner, searches in rows.items():
        wall = statistics.median(s.seconds for s in searches)
        lines.append(
            f"| {pruner} | {wall:.0f} ({_each(s.seconds for s in searches)}) | "
            f"{wall / base:.2f}x | {_each(s.pruned for s in searches)} | "
            f"{_median(s.validation for s in searches)} | {_median(s.test for s in searches)} |"
        )
    return "\n".join(lines)


def _each(values) -> str:  # type: ignore[no-untyped-def]
    return ", ".join(f"{v:.0f}" for v in values)


def _median(values) -> str:  # type: ignore[no-untyped-def]
    present = [v for v in values if v is not None]
    if not present:
        return "-"
    return f"{statistics.median(present):.3f} ({', '.join(f'{v:.3f}' for v in present)})"


def measure(quick: bool, seeds: list[int]) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as folder:
        scratch = Path(folder)
        workers = workers_table(scratch, 8 if quick else 60)
        pruning = pruning_table(scratch, seeds, 3 if quick else 16, 15 if quick else 600)
    return "### Trials per minute\n\n" + workers + "\n\n### Pruning\n\n" + pruning


def main(argv: list[str] | None = None) -> int:
    return section_main(argv, __doc__.splitlines()[0], SECTION, measure)


if __name__ == "__main__":
    sys.exit(main())
