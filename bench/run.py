"""The benchmark suite: every method side by side on the same splits and budget.

    python bench/run.py [--quick] [--seeds N] [--output BENCHMARKS.md]

Runs each method of ``bench/methods.py`` on MNIST-1D and digits for each seed, measures
what a whole search costs over hand-written PyTorch (``bench/search_overhead.py``), then
writes the tables (medians over seeds, ratios to torchsearch's coordinate descent), the
accuracy-against-parameters front and the best-so-far plots (``bench/results/``) into
``--output`` with the sections of ``bench/transfer.py``, ``bench/ensembles.py``,
``bench/parallel.py``, ``bench/regression.py`` and ``bench/from_scratch.py``, and every
result as JSON beside the plots. ``--quick`` is the CI smoke check: a few trials of a
few steps, short anchors, one seed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import ensembles
import from_scratch
import methods
import parallel
import regression
import report
import search_overhead
import transfer
from records import FULL
from records import QUICK
from records import Budget
from records import MethodResult
from records import Task
from sections import quiet_libraries

TASKS = (
    Task(
        data="mnist1d",
        space="cnn1d",
        anchors=("linear", "mlp", "cnn", "gru"),
        goal=0.99,
        small_goal=0.97,
    ),
    Task(data="digits", space="dnn", anchors=("linear", "mlp")),
)
OVERHEAD_FULL = {"n_trials": 20, "steps": 300, "repeats": 3}
OVERHEAD_QUICK = {"n_trials": 3, "steps": 10, "repeats": 1}


def run(
    budgets: dict[str, Budget], seeds: list[int], only: set[str] | None = None
) -> list[MethodResult]:
    """Every method on every task for every seed; a failing method is a row with its error."""
    results = []
    for task in TASKS:
        budget = budgets[task.data]
        for name, method in methods.methods_for(task, budget).items():
            if only and name not in only:
                continue
            for seed in seeds:
                result = methods.attempt(method, task, budget, seed, name)
                print(
                    f"{task.data:8s} {name:24s} seed {seed}: test {result.test_accuracy:.4f} "
                    f"params {result.parameters:,} trials {len(result.trials)} in "
                    f"{result.seconds:.1f}s {result.note}",
                    flush=True,
                )
                results.append(result)
    return results


def describe(budgets: dict[str, Budget], seeds: list[int]) -> str:
    """The budget in words, for the report."""
    lines = [f"Seeds {seeds}; the data splits are the same for every method and seed."]
    for task in TASKS:
        b = budgets[task.data]
        cap = f"; `-small`: at most {b.max_parameters:,} parameters" if b.max_parameters else ""
        lines.append(
            f"- {task.data} (`space={task.space}`): each search method gets at most "
            f"{b.n_trials} trials and {b.seconds:.0f} s of wall clock (no trial starts after "
            f"it), {b.trial_steps} steps of batch {b.batch_size} per trial{cap}; the "
            f"anchors {b.anchor_steps} steps, Adam lr 1e-2, batch 100."
        )
    lines.append(
        "- MNIST-1D: 4000 train / 1000 test generated offline with the default arguments; "
        "3200 train / 800 validation carved from the 4000 (split seed 0). Digits: "
        "torchsearch's 0.6 / 0.2 / 0.2 stratified split (seed 0)."
    )
    return "\n".join(lines)


def pending(budgets: dict[str, Budget]) -> str:
    """The figures whose features have not landed: the hooks of issue 4's point 4."""
    rows = methods.pending_methods(TASKS[0], budgets[TASKS[0].data])
    lines = [f"- {name}: {why}" for name, why in rows.items()]
    return "\n".join(lines) or "Every planned method ran."


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (1 if any method failed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI smoke check")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (3; quick: 1)")
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--plots", type=Path, default=None, help="default: bench/results")
    parser.add_argument("--only", nargs="*", default=None, help="run only these methods")
    parser.add_argument("--no-overhead", action="store_true", help="skip the overhead run")
    parser.add_argument("--no-transfer", action="store_true", help="skip bench/transfer.py")
    parser.add_argument("--no-ensembles", action="store_true", help="skip bench/ensembles.py")
    parser.add_argument("--no-parallel", action="store_true", help="skip bench/parallel.py")
    parser.add_argument("--no-regression", action="store_true", help="skip bench/regression.py")
    parser.add_argument(
        "--no-from-scratch", action="store_true", help="skip bench/from_scratch.py (hours)"
    )
    args = parser.parse_args(argv)
    budgets = QUICK if args.quick else FULL
    seeds = list(range(args.seeds if args.seeds is not None else (1 if args.quick else 3)))
    quiet_libraries()
    start = time.perf_counter()
    results = run(budgets, seeds, set(args.only) if args.only else None)
    sections = {"Budget": describe(budgets, seeds)}
    for task in TASKS:
        sections[f"Search quality: {task.data}"] = "\n\n".join(
            [
                "Each method selects its model by validation accuracy; that model's test "
                "accuracy is measured once. Medians over seeds; ratios to `torchsearch-cd`.",
                report.table([r for r in results if r.task == task.data]),
                report.goals(results, task, budgets[task.data].max_parameters),
                "Accuracy against parameters, every trial of every method and seed "
                "(the front by validation; test read beside it):",
                report.front_table(results, task.data),
            ]
        )
    if not args.no_overhead:
        measured = search_overhead.measure(**(OVERHEAD_QUICK if args.quick else OVERHEAD_FULL))
        print(measured.markdown(), flush=True)
        sections["Overhead: a whole search against hand-written PyTorch"] = measured.markdown()
    if not args.no_transfer:
        sections[transfer.SECTION] = transfer.measure(args.quick, seeds)
    if not args.no_ensembles:
        sections[ensembles.SECTION] = ensembles.measure(args.quick, seeds)
    if not args.no_parallel:
        sections[parallel.SECTION] = parallel.measure(args.quick, seeds)
    if not args.no_regression:
        sections[regression.SECTION] = regression.measure(args.quick, seeds)
    if not args.no_from_scratch:
        sections[from_scratch.SECTION] = from_scratch.measure(args.quick, seeds)
    sections["Not measured yet"] = pending(budgets)
    folder = args.plots or Path(__file__).resolve().parent / "results"
    figures = report.plots(results, folder.resolve())
    command = shlex.join(["python", *sys.argv]) if argv is None else shlex.join(argv)
    output = args.output.resolve()
    text = report.write(results, output, command, sections, figures)
    print(text)
    print(f"wrote {output} in {time.perf_counter() - start:.1f}s")
    failed = any(r.note.startswith("FAILED") for r in results)
    return 1 if failed or (not args.no_overhead and not measured.same_weights) else 0


if __name__ == "__main__":
    sys.exit(main())
