"""Transfer learning measured: what a grafted child saves, and what grafting does to a search.

    python bench/transfer.py [--quick] [--seeds N] [--output BENCHMARKS.md]

1. **Steps to the parent's accuracy.** For each seed, a coordinate-descent search on
   MNIST-1D (``space=cnn1d``, ``transfer=snapshot``) runs a few trials. Every child (a
   trial with a parent) is trained again from its record, with its own hyperparameters
   and initial-weight seed, validated every few steps, three ways (:data:`ARMS`):
   grafted from its parent's checkpoint, the same with half the steps, and from
   scratch. The figure is the first step at which the child's validation accuracy
   reaches its parent's.
2. **A whole search at equal wall clock**, with and without grafting: coordinate descent
   under the main benchmark's budget (``bench/run.py``), ``transfer=none``,
   ``transfer=snapshot`` and ``transfer=snapshot transfer.steps_fraction=0.5``, on
   MNIST-1D and digits: the selected model's test accuracy and the trials completed.

``--output`` gets (or has replaced) its section ``## Transfer learning``; ``bench/run.py``
includes the same section in a full run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import methods
import optuna
import report
import torch
from records import FULL
from records import QUICK
from records import Budget
from records import MethodResult
from records import Task
from sections import section_main

from torchsearch import build_model
from torchsearch.driver import run_search
from torchsearch.driver._loop import trial_hyperparameters
from torchsearch.driver._loop import trial_seed
from torchsearch.driver._plan import make_plan
from torchsearch.exploit import Donor
from torchsearch.exploit import TransferSettings
from torchsearch.exploit import graft_snapshot
from torchsearch.train import fit
from torchsearch.trials import completed_trials
from torchsearch.trials import load_state

SECTION = "Transfer learning"
MNIST1D = Task(data="mnist1d", space="cnn1d", anchors=())
DIGITS = Task(data="digits", space="dnn", anchors=())
VARIANTS = {
    "cd, no transfer": ("transfer=none",),
    "cd + snapshot": ("transfer=snapshot",),
    "cd + snapshot, half steps": ("transfer=snapshot", "transfer.steps_fraction=0.5"),
}


@dataclass(frozen=True)
class ChildBudget:
    """Part 1's budget: the search that makes the children, and the validation period."""

    n_trials: int
    trial_steps: int
    batch_size: int
    validate_every: int


CHILDREN_FULL = ChildBudget(n_trials=8, trial_steps=1500, batch_size=64, validate_every=25)
CHILDREN_QUICK = ChildBudget(n_trials=4, trial_steps=20, batch_size=64, validate_every=5)


ARMS = {
    "grafted": (True, 1.0),
    "grafted, half steps": (True, 0.5),
    "from scratch": (False, 1.0),
}
"""How each child is trained again: grafted or not, and the fraction of the steps (the
learning-rate decay follows the shorter schedule, as ``transfer.steps_fraction`` does)."""


@dataclass(frozen=True)
class Child:
    """One child trained once per arm: the first validated step at which it reached its
    parent's accuracy (None: never), and its final accuracy."""

    seed: int
    trial: int
    parent: int
    operation: str
    target: float
    steps: dict[str, int | None]
    final: dict[str, float]
    reproduced: bool
    tensors: str


def steps_to_parent(seed: int, budget: ChildBudget) -> list[Child]:
    """Part 1 for one seed: a snapshot search, then each child trained once per arm."""
    main = Budget(
        n_trials=budget.n_trials, trial_steps=budget.trial_steps, batch_size=budget.batch_size
    )
    extra = ("transfer=snapshot", "transfer.steps_fraction=1.0")
    cfg = methods.compose_config(MNIST1D, main, seed, "coordinate_descent", extra=extra)
    plan = make_plan(cfg)
    children = []
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as folder:
        run_dir = Path(folder)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            run_search(cfg, run_dir)
        storage = f"sqlite:///{run_dir}/trials.db"
        study = optuna.load_study(study_name=plan.storage.study, storage=storage)
        store = optuna.artifacts.FileSystemArtifactStore(str(run_dir / "artifacts"))
        records = {t.number: t for t in completed_trials(study, kinds=None)}
        for child in records.values():
            parent = records.get(child.parent) if child.parent is not None else None
            if parent is None or parent.checkpoint is None:
                continue
            target = parent.validation["accuracy"]
            steps, final = {}, {}
            for arm, (grafted, fraction) in ARMS.items():
                torch.manual_seed(trial_seed(plan.seed, child.number))
                model = build_model(
                    child.architecture, plan.data.input_spec, plan.data.num_classes, plan.problem
                )
                if grafted:
                    state = load_state(store, parent.checkpoint)
                    graft_snapshot(model, Donor(parent.number, state))
                trial_steps = TransferSettings(steps_fraction=fraction).grafted_steps(
                    budget.trial_steps
                )
                curve: list[tuple[int, float]] = []
                result = fit(
                    model,
                    plan.data.train,
                    plan.data.validation,
                    trial_hyperparameters(child.architecture, trial_steps),
                    dataclasses.replace(plan.train, max_steps=trial_steps),
                    depth=len(child.architecture.blocks),
                    validate_every=budget.validate_every,
                    on_validation=lambda step, m, c=curve: c.append((step, m["accuracy"])),
                )
                steps[arm] = next((s for s, accuracy in curve if accuracy >= target), None)
                final[arm] = result.metrics["accuracy"]
            graft = child.graft or {}
            children.append(
                Child(
                    seed=seed,
                    trial=child.number,
                    parent=parent.number,
                    operation=child.operation or "?",
                    target=target,
                    steps=steps,
                    final=final,
                    reproduced=final["grafted"] == child.validation.get("accuracy"),
                    tensors=f"{graft.get('tensors', 0)}/{graft.get('of_tensors', 0)}",
                )
            )
    return children


def children_markdown(children: list[Child], budget: ChildBudget) -> str:
    """Part 1's figures: medians per arm, then every child."""
    never = math.inf  # "not reached" sorts above every reached figure
    scratch = "from scratch"
    reachable = [c for c in children if any(c.steps[arm] is not None for arm in ARMS)]

    def median_steps(among: list[Child], arm: str) -> float:
        return statistics.median([c.steps[arm] or never for c in among]) if among else never

    lines = [
        f"**Steps to the parent's validation accuracy**, {len(children)} snapshot-grafted "
        f"children over seeds {sorted({c.seed for c in children})} (MNIST-1D, `space=cnn1d`, "
        f"{budget.trial_steps} steps of batch {budget.batch_size}, validated every "
        f"{budget.validate_every} steps). Each child of a `transfer=snapshot` search is "
        "trained again from its record (architecture, hyperparameters, initial-weight seed) "
        "three ways: grafted from its parent's checkpoint, grafted with half the steps "
        "(`transfer.steps_fraction=0.5`: the learning-rate decay runs in half the steps), "
        "and from scratch. A child that never reaches its parent's accuracy counts as "
        "never, above any number of steps. The last two columns leave out the children "
        f"that no arm brings to their parent's accuracy ({len(children) - len(reachable)} "
        f"of {len(children)}).",
        "",
        "| arm | median steps | ratio to from scratch | reached | median final val acc | "
        f"median steps, {len(reachable)} reachable | ratio, reachable |",
        "|---|---|---|---|---|---|---|",
    ]
    for arm in ARMS:
        every, some = median_steps(children, arm), median_steps(reachable, arm)
        lines.append(
            f"| {arm} | {_steps(every)} | {_ratio(every, median_steps(children, scratch))} | "
            f"{sum(c.steps[arm] is not None for c in children)} of {len(children)} | "
            f"{statistics.median(c.final[arm] for c in children):.4f} | {_steps(some)} | "
            f"{_ratio(some, median_steps(reachable, scratch))} |"
        )
    lines += [
        "",
        f"The grafted retraining reproduced the search's own result exactly for "
        f"{sum(c.reproduced for c in children)} of {len(children)} children.",
        "",
        "| seed | child | parent | operation | grafted tensors | parent val acc | "
        + " | ".join(f"steps {arm}" for arm in ARMS)
        + " | "
        + " | ".join(f"final {arm}" for arm in ARMS)
        + " |",
        "|---" * (6 + 2 * len(ARMS)) + "|",
    ]
    for c in children:
        lines.append(
            f"| {c.seed} | {c.trial} | {c.parent} | {c.operation} | {c.tensors} | "
            f"{c.target:.4f} | "
            + " | ".join(_steps(c.steps[arm]) for arm in ARMS)
            + " | "
            + " | ".join(f"{c.final[arm]:.4f}" for arm in ARMS)
            + " |"
        )
    return "\n".join(lines)


def _ratio(value: float, reference: float) -> str:
    if not (math.isfinite(value) and math.isfinite(reference)):
        return "n/a"
    return f"{value / reference:.2f}"


def _steps(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "never"
    return f"{value:g}"


def equal_wall_clock(budgets: dict[str, Budget], seeds: list[int]) -> list[MethodResult]:
    """Part 2: coordinate descent with each transfer variant, same budget per task."""
    results = []
    for task in (MNIST1D, DIGITS):
        for name, extra in VARIANTS.items():
            method = methods.torchsearch_method("coordinate_descent", extra=extra, name=name)
            for seed in seeds:
                result = method(task, budgets[task.data], seed)
                print(
                    f"{task.data:8s} {name:28s} seed {seed}: test {result.test_accuracy:.4f} "
                    f"trials {len(result.trials)} in {result.seconds:.0f}s",
                    flush=True,
                )
                results.append(result)
    return results


def wall_clock_markdown(results: list[MethodResult], budgets: dict[str, Budget]) -> str:
    """Part 2's table, medians over seeds, ratios to the search without transfer."""
    report_reference = report.REFERENCE_METHOD
    report.REFERENCE_METHOD = "cd, no transfer"
    try:
        text = report.table(results)
    finally:
        report.REFERENCE_METHOD = report_reference
    limits = "; ".join(
        f"{t}: {b.seconds:.0f} s and at most {b.n_trials} trials of {b.trial_steps} steps"
        for t, b in budgets.items()
    )
    return (
        "**A whole search at equal wall clock** (coordinate descent, the main benchmark's "
        f"budget: {limits}); `trials` is the median number completed, `test / no "
        "transfer` the ratio to the same search without transfer:\n\n"
        + text.replace("cd |", "no transfer |")
    )


def measure(quick: bool, seeds: list[int]) -> str:
    """Both parts; returns the section's markdown."""
    child_budget = CHILDREN_QUICK if quick else CHILDREN_FULL
    children = [c for seed in seeds for c in steps_to_parent(seed, child_budget)]
    for c in children:
        print(
            f"seed {c.seed} child {c.trial} (parent {c.parent}, {c.operation}): steps to "
            f"{c.target:.4f} {c.steps}",
            flush=True,
        )
    budgets = QUICK if quick else FULL
    results = equal_wall_clock(budgets, seeds)
    return (
        children_markdown(children, child_budget) + "\n\n" + wall_clock_markdown(results, budgets)
    )


def main(argv: list[str] | None = None) -> int:
    return section_main(argv, __doc__.splitlines()[0], SECTION, measure)


if __name__ == "__main__":
    sys.exit(main())
