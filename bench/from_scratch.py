"""The search from scratch: every searcher from no suggestion, at equal wall clock and
equal steps per trial, on three tasks; then an ablation of coordinate descent.

    python bench/from_scratch.py [--quick] [--seeds N] [--part comparison|ablation|all]
        [--tasks mnist1d digits tabular] [--methods NAME ...] [--ablation-seeds N]
        [--resume | --stored-only] [--store FOLDER] [--output BENCHMARKS.md]

1. **Comparison.** On MNIST-1D (``space=cnn1d``), digits (``space=dnn``) and a tabular
   task generated offline (:func:`tabular_csv`, ``data=csv``, ``space=dnn``), each
   method of :func:`comparison_methods` searches from no suggestion and without in-search
   ensembles (:data:`NO_SUGGESTIONS`) under the same wall clock and the same steps per
   trial (:func:`tasks`), for every seed. The table gives the selected model's test
   accuracy (median and range over seeds), the trials completed, the seconds each method
   first needed to reach the task's validation target, and the best validation accuracy
   at equal trials (the fewest any method completed with that seed). The plots show the
   best validation accuracy so far against seconds, one line per seed.
2. **Ablation** (:func:`ablation_methods`): coordinate descent with every change of
   ``search=coordinate_descent``'s options, without each in turn, with none (Model
   Search's own), and with snapshot grafting, on MNIST-1D under a shorter wall clock
   (:data:`ABLATION_SECONDS`).

Every result is written as JSON under ``bench/results/from_scratch/`` as it finishes;
``--resume`` reuses those of the same budget, so a run cut short goes on where it stopped,
and ``--stored-only`` writes the report from them alone, naming the runs it lacks.
Methods run seed by seed, each seed's methods one after the other, so that a change in the
machine's load falls on every method alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import methods
import numpy as np
from records import Budget
from records import MethodResult
from records import Task
from records import TrialRecord
from sections import quiet_libraries
from sections import replace_section

from torchsearch._files import write_atomically

SECTION = "Search from scratch"
RESULTS = Path(__file__).resolve().parent / "results" / "from_scratch"
NO_SUGGESTIONS = ("space.suggestions=[]", "ensemble=none", "distill=none")
"""From no suggestion, and every trial a searched tower: the ``dnn`` space's in-search
ensembles and distillation are off, so that every method compares the towers it finds
(the TPE baseline has neither)."""
MODEL_SEARCH_CD = (
    "search.options.replace_position=uniform",
    "search.options.skip_duplicates=false",
    "search.options.beam_tolerance=0.0",
    "search.options.hparams_from_parent=0.0",
)
"""Coordinate descent as Model Search ran it: every change of ours off."""
CHANGES = {
    "replace_position": (
        "uniform",
        "a replacement favours the block left unchanged longest (off: any position alike)",
    ),
    "skip_duplicates": (
        "false",
        "a tower a completed trial trained is drawn again (off: it is trained again)",
    ),
    "beam_tolerance": (
        "0.0",
        "scores within 0.005 of the best tie and the faster trials fill the beam (off: "
        "plain ranking)",
    ),
    "hparams_from_parent": (
        "0.0",
        "half the children keep their parent's hyperparameters (off: TPE draws each child's)",
    ),
}
"""Each change of ``search=coordinate_descent``: its value when off, and what it does."""
CONSTRAINED_CNN1D = (
    "space.blocks=[FIXED_CHANNEL_CONVOLUTION_1X5_8_BN,FIXED_CHANNEL_CONVOLUTION_1X5_16_BN,"
    "FIXED_CHANNEL_CONVOLUTION_1X5_32_BN,FIXED_CHANNEL_CONVOLUTION_1X5_64_BN,"
    "CONVOLUTION_1X3_BN,CONVOLUTION_1X5_BN,CONVOLUTION_1X7_BN,DILATED_CONVOLUTION_1X3_2_BN,"
    "DILATED_CONVOLUTION_1X3_4_BN,FIXED_OUTPUT_FULLY_CONNECTED_64]",
    "search.options.reduction_block_type=MAX_POOLING_2X2",
    "search.options.num_blocks_in_cell=2",
)
"""Constrained descent on ``cnn1d``: the space's blocks less its reductions, which the
searcher places itself (a 2x max pool after every two blocks)."""


def tabular_csv() -> Path:
    """A tabular classification task generated offline, written once per machine.

    scikit-learn's ``make_classification`` (seed 0): 3000 rows, 20 features (8
    informative, 4 of their combinations, 8 noise), 4 classes of 2 Gaussian clusters each
    on the corners of a hypercube, 2% of the labels flipped. Clusters make it non-linear:
    a linear model scores well under a small network.
    """
    from sklearn.datasets import make_classification

    path = Path(tempfile.gettempdir()) / "torchsearch-bench" / "tabular-3000x20-seed0.csv"
    if path.exists():
        return path
    x, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        n_classes=4,
        n_clusters_per_class=2,
        class_sep=1.0,
        flip_y=0.02,
        random_state=0,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [",".join([*(f"x{i}" for i in range(x.shape[1])), "label"])]
    rows += [
        ",".join([*(f"{v:.6g}" for v in features), str(label)])
        for features, label in zip(x, y, strict=True)
    ]
    text = "\n".join(rows) + "\n"
    return write_atomically(path, lambda partial: partial.write_text(text))


@dataclass(frozen=True)
class ScratchTask:
    """A task of the comparison: what is searched, its budgets and its validation target.

    Args:
        task: the data and space.
        full: the budget of a full run, identical for every method.
        quick: the budget of the CI smoke check.
        target: the validation accuracy whose first reach is timed (None: not timed).
    """

    task: Task
    full: Budget
    quick: Budget
    target: float | None

    @property
    def name(self) -> str:
        return self.task.name


QUICK_BUDGET = Budget(n_trials=3, trial_steps=15, seconds=60, population_size=2)


def tasks() -> dict[str, ScratchTask]:
    """The comparison's tasks by name (the tabular CSV is generated on first use)."""
    return {
        "mnist1d": ScratchTask(
            Task(data="mnist1d", space="cnn1d", anchors=()),
            Budget(n_trials=10_000, trial_steps=1500, seconds=600, batch_size=64),
            dataclasses.replace(QUICK_BUDGET, batch_size=64),
            target=0.98,
        ),
        "digits": ScratchTask(
            Task(data="digits", space="dnn", anchors=()),
            Budget(n_trials=10_000, trial_steps=500, seconds=30, batch_size=32),
            QUICK_BUDGET,
            target=0.98,
        ),
        "tabular": ScratchTask(
            Task(
                data="csv",
                space="dnn",
                anchors=(),
                overrides=(f"data.path={tabular_csv()}", "data.label=label"),
                label="tabular",
            ),
            Budget(n_trials=10_000, trial_steps=500, seconds=30, batch_size=32),
            QUICK_BUDGET,
            target=None,
        ),
    }


ABLATION_TASK = "mnist1d"
ABLATION_SECONDS = 90
"""The ablation runs on MNIST-1D with the comparison's steps per trial and this wall clock."""


def cd(name: str, *extra: str) -> methods.Method:
    """Coordinate descent from no suggestion with ``extra`` overrides, named ``name``."""
    return methods.torchsearch_method(
        "coordinate_descent", extra=(*NO_SUGGESTIONS, *extra), name=name
    )


def comparison_methods(task: ScratchTask) -> dict[str, methods.Method]:
    """Every searcher from no suggestion; constrained descent where the space has
    reductions to place (a CNN)."""
    table: dict[str, methods.Method] = {
        "cd": cd("cd"),
        "cd (Model Search)": cd("cd (Model Search)", *MODEL_SEARCH_CD),
        "random": methods.torchsearch_method("random", extra=NO_SUGGESTIONS, name="random"),
        "evolution": methods.torchsearch_method(
            "evolution", extra=NO_SUGGESTIONS, name="evolution"
        ),
        "tpe-fixed-slots": methods.tpe_fixed_slots,
    }
    if task.task.space == "cnn1d":
        table["constrained descent"] = methods.torchsearch_method(
            "constrained_descent",
            extra=(*NO_SUGGESTIONS, *CONSTRAINED_CNN1D),
            name="constrained descent",
        )
    return table


def ablation_methods() -> dict[str, methods.Method]:
    """Coordinate descent with every change, without each, with none, and with grafting."""
    table = {"cd": cd("cd")}
    for option, (off, _) in CHANGES.items():
        name = f"cd without {option}"
        table[name] = cd(name, f"search.options.{option}={off}")
    table["cd (Model Search)"] = cd("cd (Model Search)", *MODEL_SEARCH_CD)
    table["cd with snapshot grafting"] = cd("cd with snapshot grafting", "transfer=snapshot")
    return table


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _result_path(store: Path, part: str, task: str, method: str, seed: int) -> Path:
    return store / part / task / _slug(method) / f"seed{seed}.json"


def _save(path: Path, result: MethodResult, budget: Budget) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"budget": dataclasses.asdict(budget), "result": dataclasses.asdict(result)}
    write_atomically(path, lambda partial: partial.write_text(json.dumps(data, indent=1)))


def _load(path: Path, budget: Budget) -> MethodResult | None:
    """The stored result at ``path`` when it was measured under ``budget``."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    if data.get("budget") != dataclasses.asdict(budget):
        return None
    result = dict(data["result"])
    result["trials"] = [TrialRecord(**t) for t in result["trials"]]
    return MethodResult(**result)


def run_part(
    part: str,
    jobs: list[tuple[ScratchTask, Budget, dict[str, methods.Method]]],
    seeds: list[int],
    store: Path,
    reuse: str,
) -> tuple[list[MethodResult], list[tuple[str, str, int]]]:
    """Every method of every job for every seed (seed by seed), stored as it finishes.

    ``reuse``: ``"none"`` runs everything, ``"stored"`` reuses the stored results of the
    same budget and runs the rest, ``"only"`` reuses them and runs nothing. Returns the
    results and the runs that have none (``"method, seed N"``)."""
    results, missing = [], []
    for scratch, budget, table in jobs:
        for seed in seeds:
            for name, method in table.items():
                path = _result_path(store, part, scratch.name, name, seed)
                result = _load(path, budget) if reuse != "none" else None
                reused = result is not None
                if result is None and reuse == "only":
                    missing.append((scratch.name, name, seed))
                    continue
                if result is None:
                    result = methods.attempt(method, scratch.task, budget, seed, name)
                    _save(path, result, budget)
                print(
                    f"{part:10s} {scratch.name:8s} {name:28s} seed {seed}: test "
                    f"{result.test_accuracy:.4f} params {result.parameters:,} trials "
                    f"{len(result.trials)} in {result.seconds:.0f}s"
                    f"{' (stored)' if reused else ''} {result.note}",
                    flush=True,
                )
                results.append(result)
    return results, missing


def _not_measured(missing: list[tuple[str, str, int]]) -> str:
    """The runs without a result, a method's seeds together."""
    if not missing:
        return ""
    seeds: dict[str, list[str]] = {}
    for _, method, seed in missing:
        seeds.setdefault(method, []).append(str(seed))
    rows = "; ".join(f"{method} (seeds {', '.join(s)})" for method, s in seeds.items())
    return f"\n\nNot measured in this run (no stored result): {rows}."


def first_reach(result: MethodResult, target: float) -> float | None:
    """Seconds until a trial first reached ``target`` validation accuracy (None: never)."""
    for trial in result.trials:
        if trial.validation_accuracy >= target:
            return trial.seconds
    return None


def best_after(result: MethodResult, count: int) -> tuple[float, float | None]:
    """The best validation accuracy among the first ``count`` trials, and its test."""
    curve = result.best_so_far()
    if not curve or count < 1:
        return float("nan"), None
    _, _, validation, test = curve[min(count, len(curve)) - 1]
    return validation, test


def _spread(values: list[float], style: str = ".4f") -> str:
    """The median of the finite ``values`` and, for several, their range."""
    finite = [v for v in values if v == v]
    if not finite:
        return "n/a"
    middle = format(statistics.median(finite), style)
    if len(finite) == 1:
        return middle
    return f"{middle} ({format(min(finite), style)}-{format(max(finite), style)})"


def table(results: list[MethodResult], scratch: ScratchTask) -> str:
    """The task's table: one row per method, medians (ranges) over seeds."""
    by_method: dict[str, list[MethodResult]] = {}
    for result in results:
        by_method.setdefault(result.method, []).append(result)
    seeds = sorted({r.seed for r in results})
    equal = {
        seed: min((len(r.trials) for r in results if r.seed == seed), default=0) for seed in seeds
    }
    target = scratch.target
    reach_head = f" | s to {target} val (reached)" if target is not None else ""
    lines = [
        "| method | test accuracy | validation | parameters | trials "
        f"| best val at equal trials | its test{reach_head} |",
        "|---|---|---|---|---|---|---|" + ("---|" if target is not None else ""),
    ]
    for method, runs in by_method.items():
        after = [best_after(r, equal[r.seed]) for r in runs]
        row = [
            method,
            _spread([r.test_accuracy for r in runs]),
            _spread([r.validation_accuracy for r in runs]),
            _spread([float(r.parameters) for r in runs], ",.0f"),
            _spread([float(len(r.trials)) for r in runs], ",.0f"),
            _spread([v for v, _ in after]),
            _spread([t if t is not None else float("nan") for _, t in after]),
        ]
        if target is not None:
            reached = [s for s in (first_reach(r, target) for r in runs) if s is not None]
            middle = f"{statistics.median(reached):.0f}" if reached else "never"
            row.append(f"{middle} ({len(reached)}/{len(runs)})")
        notes = sorted({r.note for r in runs if r.note})
        if notes:
            row[0] += " (" + "; ".join(notes) + ")"
        lines.append("| " + " | ".join(row) + " |")
    counts = ", ".join(f"seed {s}: {n}" for s, n in equal.items())
    lines.append(
        f"\nEqual trials: the fewest any method completed with that seed ({counts}). "
        "Seconds to the target: the median over the seeds that reached it, from the "
        "first trial's start."
    )
    return "\n".join(lines)


def plot(results: list[MethodResult], scratch: ScratchTask, folder: Path, part: str) -> Path:
    """Best validation accuracy so far against seconds, one line per method and seed."""
    figure, ax = plt.subplots(figsize=(8, 5))
    names = list(dict.fromkeys(r.method for r in results))
    colours = plt.get_cmap("tab10")
    for index, name in enumerate(names):
        runs = [r for r in results if r.method == name]
        for run in runs:
            curve = run.best_so_far()
            if not curve:
                continue
            seconds = [point[1] for point in curve]
            best = [point[2] for point in curve]
            ax.step(
                seconds,
                best,
                where="post",
                color=colours(index % 10),
                alpha=0.8,
                linewidth=1.2,
                label=name if run is runs[0] else None,
            )
    # Zoomed on where the methods part: the best-so-far values after the first few trials.
    values = [point[2] for r in results for point in r.best_so_far()]
    if values:
        low = float(np.percentile(values, 10))
        ax.set_ylim(max(0.0, low - 0.005), min(1.0, max(values) + 0.003))
    if scratch.target is not None:
        ax.axhline(scratch.target, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("seconds since the first trial started")
    ax.set_ylabel("best validation accuracy so far")
    ax.set_title(f"{scratch.name} from scratch ({part}): every seed")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"from_scratch_{part}_{scratch.name}.png"
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def goal(results: list[MethodResult]) -> str:
    """The MNIST-1D goal: coordinate descent's median test at least random's and 0.985."""
    cd_runs = [r.test_accuracy for r in results if r.method == "cd"]
    random_runs = [r.test_accuracy for r in results if r.method == "random"]
    if not cd_runs or not random_runs:
        return "Goal not measured: coordinate descent and random search both must run."
    cd_median, random_median = statistics.median(cd_runs), statistics.median(random_runs)
    beats = "met" if cd_median >= random_median else "NOT met"
    reaches = "met" if cd_median >= 0.985 else "NOT met"
    return (
        f"Goal on MNIST-1D: coordinate descent's median test accuracy {cd_median:.4f} "
        f"({len(cd_runs)} seeds) against random search's {random_median:.4f} "
        f"({len(random_runs)} seeds): {beats}; at least 0.985: {reaches}."
    )


def describe(budgets: dict[str, Budget], seeds: list[int]) -> str:
    """The budgets in words."""
    lines = [
        f"Seeds {seeds}; every method starts from no suggestion (`space.suggestions=[]`) "
        "and sees the same splits."
    ]
    for name, b in budgets.items():
        lines.append(
            f"- {name}: {b.seconds:.0f} s of wall clock for every method (no trial starts "
            f"after it), {b.trial_steps} steps of batch {b.batch_size} per trial."
        )
    return "\n".join(lines)


def measure(
    quick: bool,
    seeds: list[int],
    parts: tuple[str, ...] = ("comparison", "ablation"),
    names: tuple[str, ...] | None = None,
    only: set[str] | None = None,
    reuse: str = "none",
    store: Path | None = None,
    ablation_seeds: list[int] | None = None,
) -> str:
    """Runs the parts and returns the section's markdown; results and plots go to
    ``store`` (default: :data:`RESULTS`, or a temporary folder for ``quick``). See
    :func:`run_part` for ``reuse``; the ablation runs ``ablation_seeds`` (default:
    ``seeds``)."""
    if store is None and quick:
        with tempfile.TemporaryDirectory(prefix="bench-from-scratch-") as folder:
            return measure(quick, seeds, parts, names, only, reuse, Path(folder), ablation_seeds)
    store = RESULTS if store is None else store
    every = tasks()
    chosen = [every[n] for n in (names or tuple(every))]
    out: list[str] = []
    budgets: dict[str, Budget] = {}
    if "comparison" in parts:
        jobs = []
        for scratch in chosen:
            budget = scratch.quick if quick else scratch.full
            budgets[scratch.name] = budget
            table_ = comparison_methods(scratch)
            if only:
                table_ = {k: v for k, v in table_.items() if k in only}
            jobs.append((scratch, budget, table_))
        results, missing = run_part("comparison", jobs, seeds, store, reuse)
        out.append(describe(budgets, seeds))
        for scratch in chosen:
            mine = [r for r in results if r.task == scratch.name]
            gaps = [m for m in missing if m[0] == scratch.name]
            figure = plot(mine, scratch, store, "comparison")
            out.append(f"### {scratch.name}\n\n{table(mine, scratch)}{_not_measured(gaps)}")
            if scratch.name == "mnist1d":
                out.append(goal(mine))
            out.append(f"![best so far, {scratch.name}]({_relative(figure)})")
    if "ablation" in parts:
        scratch = every[ABLATION_TASK]
        budget = (
            scratch.quick if quick else dataclasses.replace(scratch.full, seconds=ABLATION_SECONDS)
        )
        table_ = ablation_methods()
        if only:
            table_ = {k: v for k, v in table_.items() if k in only}
        used = seeds if ablation_seeds is None else ablation_seeds
        results, missing = run_part("ablation", [(scratch, budget, table_)], used, store, reuse)
        figure = plot(results, scratch, store, "ablation")
        changes = "\n".join(f"- `{option}`: {what}" for option, (_, what) in CHANGES.items())
        out.append(
            f"### Ablation: coordinate descent on {scratch.name}\n\n"
            f"{budget.seconds:.0f} s of wall clock, {budget.trial_steps} steps of batch "
            f"{budget.batch_size} per trial, seeds {used}. The changes "
            f"(`search.options` of `search=coordinate_descent`):\n\n{changes}\n\n"
            f"{table(results, scratch)}{_not_measured(missing)}\n\n"
            f"![ablation]({_relative(figure)})"
        )
    return "\n\n".join(out)


def _relative(path: Path) -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (1 if a method failed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI smoke check")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (3; quick: 1)")
    parser.add_argument("--part", choices=("comparison", "ablation", "all"), default="all")
    parser.add_argument("--tasks", nargs="*", default=None, help="mnist1d digits tabular")
    parser.add_argument("--methods", nargs="*", default=None, help="run only these methods")
    parser.add_argument(
        "--ablation-seeds", type=int, default=None, help="the ablation's seeds (--seeds)"
    )
    parser.add_argument("--resume", action="store_true", help="reuse stored results")
    parser.add_argument(
        "--stored-only", action="store_true", help="report stored results, run nothing"
    )
    parser.add_argument(
        "--store", type=Path, default=None, help="results and plots (bench/results/from_scratch)"
    )
    parser.add_argument("--output", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds if args.seeds is not None else (1 if args.quick else 3)))
    quiet_libraries()
    start = time.perf_counter()
    parts = ("comparison", "ablation") if args.part == "all" else (args.part,)
    body = measure(
        args.quick,
        seeds,
        parts,
        tuple(args.tasks) if args.tasks else None,
        set(args.methods) if args.methods else None,
        "only" if args.stored_only else "stored" if args.resume else "none",
        args.store.resolve() if args.store else None,
        None if args.ablation_seeds is None else list(range(args.ablation_seeds)),
    )
    command = shlex.join(["python", *sys.argv]) if argv is None else shlex.join(argv)
    replace_section(args.output.resolve(), SECTION, body, command)
    print(body)
    print(f"wrote {args.output} in {time.perf_counter() - start:.1f}s")
    return 1 if "FAILED" in body else 0


if __name__ == "__main__":
    sys.exit(main())
