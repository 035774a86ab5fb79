"""The benchmark suite: every method side by side on the same splits and budget.

    python bench/run.py [--quick] [--seeds N] [--output BENCHMARKS.md]

Runs each method of ``bench/methods.py`` on MNIST-1D and digits for each seed, then
writes the tables (medians over seeds, ratios to torchsearch's coordinate descent) and
best-so-far plots (``bench/results/*.png``) into ``--output``. ``--quick`` is the CI
smoke check: 3 trials per search of a few steps, short anchors, one seed.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
import warnings
from pathlib import Path

import methods
import report
from records import Budget
from records import MethodResult
from records import Task

TASKS = (
    Task(data="mnist1d", space="cnn1d", anchors=("linear", "mlp", "cnn", "gru")),
    Task(data="digits", space="dnn", anchors=("linear", "mlp")),
)
FULL = Budget(n_trials=20, trial_steps=2000, batch_size=100, anchor_steps=8000)
QUICK = Budget(n_trials=3, trial_steps=15, batch_size=100, anchor_steps=30, population_size=2)


def run(budget: Budget, seeds: list[int], only: set[str] | None = None) -> list[MethodResult]:
    """Every method on every task for every seed; a failing method is a row with its error."""
    results = []
    for task in TASKS:
        for name, method in methods.methods_for(task).items():
            if only and name not in only:
                continue
            for seed in seeds:
                start = time.perf_counter()
                try:
                    result = method(task, budget, seed)
                except Exception as exc:  # one method's failure must not lose the table
                    result = MethodResult(
                        name,
                        task.data,
                        seed,
                        float("nan"),
                        float("nan"),
                        0,
                        time.perf_counter() - start,
                        note=f"FAILED: {type(exc).__name__}: {exc}",
                    )
                print(
                    f"{task.data:8s} {name:24s} seed {seed}: test {result.test_accuracy:.4f} "
                    f"params {result.parameters:,} in {result.seconds:.1f}s {result.note}",
                    flush=True,
                )
                results.append(result)
    return results


def describe(budget: Budget, seeds: list[int]) -> str:
    """The budget in words, for the report."""
    return (
        f"Budget per search method: {budget.n_trials} trials of {budget.trial_steps} steps, "
        f"batch {budget.batch_size}; anchors: {budget.anchor_steps} steps, Adam lr 1e-2, "
        f"batch 100; seeds {seeds}. MNIST-1D: 3200 train / 800 validation (carved from the "
        "4000) / 1000 test; digits: torchsearch's 0.6/0.2/0.2 split; split seed 0 for all."
    )


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (1 if any method failed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI smoke check")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (3; quick: 1)")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--plots", type=Path, default=None, help="default: bench/results")
    parser.add_argument("--only", nargs="*", default=None, help="run only these methods")
    args = parser.parse_args(argv)
    budget = QUICK if args.quick else FULL
    seeds = list(range(args.seeds if args.seeds is not None else (1 if args.quick else 3)))
    logging.getLogger("lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    results = run(budget, seeds, set(args.only) if args.only else None)
    folder = args.plots or Path(__file__).resolve().parent / "results"
    figures = report.plots(results, folder.resolve())
    command = shlex.join(["python", *sys.argv]) if argv is None else shlex.join(argv)
    output = args.output.resolve()
    text = report.write(results, output, command, describe(budget, seeds), figures)
    print(text)
    print(f"wrote {output} in {time.perf_counter() - start:.1f}s")
    return 1 if any(r.note.startswith("FAILED") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
