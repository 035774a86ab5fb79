"""Ensembles, distillation, replay and replicas measured on MNIST-1D and digits.

    python bench/ensembles.py [--quick] [--seeds N] [--output BENCHMARKS.md]

For each data set and seed, one coordinate-descent search with ``ensemble=intermixed``
(width 3 every 5 trials, from the 15 best: Model Search's shipped settings) under a trial
budget, then, from its study:

1. **Ensemble against single model.** The best ensemble trial and the best single tower
   (each chosen on validation) scored once on test.
2. **Distillation.** The best single tower's architecture and hyperparameters trained
   again from one fresh seed three ways, same steps and data order: alone, distilled
   from the best ensemble with ``adaptively_balance`` (labels + teacher), and with
   ``cross_entropy`` (teacher only).
3. **Replay and replicas.** ``torchsearch replay trial=<best single>`` (must reproduce
   the recorded validation metric exactly), then ``replay replicas=3``: the best tower
   trained three more times with new seeds, and their average ensemble.
4. **The dnn space's settings.** On digits, the model a whole search selects with
   Model Search's dnn settings (intermixed ensembles and adaptively balanced
   distillation) against the same search without them, same trial budget.

``--output`` gets (or has replaced) its section ``## Ensembles and distillation``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import methods
import optuna
import torch
from records import Budget
from records import Task
from sections import section_main

from torchsearch.driver import run_search
from torchsearch.driver._loop import trial_hyperparameters
from torchsearch.driver._loop import trial_seed
from torchsearch.driver._plan import RunPlan
from torchsearch.driver._plan import make_plan
from torchsearch.exploit import EnsembleModel
from torchsearch.train import DistillationLoss
from torchsearch.train import evaluate
from torchsearch.train import fit
from torchsearch.trials import CompletedTrial
from torchsearch.trials import completed_trials
from torchsearch.trials import rank

SECTION = "Ensembles and distillation"
TASKS = (
    Task(data="mnist1d", space="cnn1d", anchors=()),
    Task(data="digits", space="dnn", anchors=()),
)
ENSEMBLE = (
    "ensemble=intermixed",
    "ensemble.width=3",
    "ensemble.every=5",
    "ensemble.trials_considered=15",
)
NO_DISTILL = ("distill=none",)
"""The dnn space distils by default; parts 1-3 measure ensembles alone."""
FULL = {
    "mnist1d": Budget(n_trials=20, trial_steps=1500, batch_size=64),
    "digits": Budget(n_trials=20, trial_steps=500, batch_size=32),
}
QUICK = {
    "mnist1d": Budget(n_trials=6, trial_steps=15, batch_size=64),
    "digits": Budget(n_trials=6, trial_steps=15, batch_size=32),
}
DISTILL_ARMS = ("alone", "adaptively_balance", "cross_entropy")
SPACE_ARMS = {
    "no ensembles, no distillation": ("ensemble=none", *NO_DISTILL),
    "intermixed": (*ENSEMBLE, *NO_DISTILL),
    "intermixed + adaptively_balance": (*ENSEMBLE, "distill=adaptively_balance"),
    "intermixed, top 3": (*ENSEMBLE, "ensemble.trials_considered=3", *NO_DISTILL),
    "intermixed, top 3 + adaptively_balance": (
        *ENSEMBLE,
        "ensemble.trials_considered=3",
        "distill=adaptively_balance",
    ),
}
"""Part 4's searches of digits with ``space=dnn``."""
REPLICAS = 3
TOP = 3
"""The post-hoc ensemble: the average of the search's ``TOP`` best single towers."""


@dataclass(frozen=True)
class Pick:
    """A trial chosen on validation, scored once on test."""

    trial: int
    validation: float
    test: float
    parameters: int


@dataclass(frozen=True)
class SeedResult:
    """One search's figures."""

    data: str
    seed: int
    trials: int
    single: Pick
    ensemble: Pick | None
    top: Pick | None
    distilled: dict[str, float]
    replay_exact: bool
    replicas: Pick | None


def one_search(task: Task, budget: Budget, seed: int) -> SeedResult:
    """The search, then every measurement on its study."""
    extra = (*ENSEMBLE, *NO_DISTILL)
    cfg = methods.compose_config(task, budget, seed, "coordinate_descent", extra=extra)
    plan = make_plan(cfg)
    with tempfile.TemporaryDirectory(prefix="bench-ensembles-") as folder:
        run_dir = Path(folder)
        _quietly(run_search, cfg, run_dir)
        study = _study(plan, run_dir)
        artifacts = optuna.artifacts.FileSystemArtifactStore(str(run_dir / "artifacts"))
        trials = completed_trials(study, kinds=None)
        searched = len(trials)
        models = plan.trial_models(trials, artifacts)
        singles = [t for t in rank(trials, plan.direction) if t.ensemble is None]
        ensembles = [t for t in rank(trials, plan.direction) if t.kind == "ensemble"]
        single = singles[0]
        best_single = _pick(plan, models, single)
        best_ensemble = _pick(plan, models, ensembles[0]) if ensembles else None
        top = _top_average(plan, models, singles[:TOP])
        distilled = {}
        if ensembles:
            teacher = models.model(ensembles[0].number)
            distilled = _distill(plan, single, teacher, seed)
        # Replay the best single tower, then replicate it.
        _quietly(run_search, _with(cfg, f"replay.trial={single.number}"), run_dir)
        replayed = completed_trials(study, kinds=None)[-1]
        exact = replayed.parent == single.number and replayed.validation == single.validation
        _quietly(
            run_search,
            _with(cfg, f"replay.trial={single.number}", f"replay.replicas={REPLICAS}"),
            run_dir,
        )
        after = completed_trials(study, kinds=None)
        models = plan.trial_models(after, artifacts)
        replica_ensemble = after[-1] if after[-1].kind == "ensemble" else None
        replicas = _pick(plan, models, replica_ensemble) if replica_ensemble else None
    return SeedResult(
        task.data, seed, searched, best_single, best_ensemble, top, distilled, exact, replicas
    )


@dataclass(frozen=True)
class Selected:
    """Part 4: what one search selected."""

    arm: str
    seed: int
    kind: str
    test: float
    parameters: int


def space_settings(budget: Budget, seeds: list[int]) -> list[Selected]:
    """Part 4: digits searches with and without ensembles and distillation."""
    task = TASKS[1]
    out = []
    for arm, extra in SPACE_ARMS.items():
        for seed in seeds:
            cfg = methods.compose_config(task, budget, seed, "coordinate_descent", extra=extra)
            with tempfile.TemporaryDirectory(prefix="bench-ensembles-") as folder:
                best = _quietly(run_search, cfg, Path(folder))
            out.append(Selected(arm, seed, best.kind, best.test["accuracy"], best.parameters))
            print(f"digits {arm:34s} seed {seed}: {best.kind} test {best.test['accuracy']:.4f}")
    return out


def space_markdown(selected: list[Selected], budget: Budget) -> str:
    """Part 4's table: medians over seeds, and each seed's selected model."""
    lines = [
        f"**The dnn space's settings** (digits, {budget.n_trials} trials of "
        f"{budget.trial_steps} steps): the model each search selects on validation, scored "
        "once on test; ensembles and distilled trials count in the trial budget.",
        "",
        "| search | median test acc | median params | selected (seed: kind, test acc) |",
        "|---|---|---|---|",
    ]
    for arm in SPACE_ARMS:
        rows = [s for s in selected if s.arm == arm]
        each = "; ".join(f"{s.seed}: {s.kind}, {s.test:.4f}" for s in rows)
        lines.append(
            f"| {arm} | {_median([s.test for s in rows])} | "
            f"{_median([s.parameters for s in rows], 0)} | {each} |"
        )
    return "\n".join(lines)


def _distill(
    plan: RunPlan, single: CompletedTrial, teacher: torch.nn.Module, seed: int
) -> dict[str, float]:
    """Test accuracy of ``single``'s architecture trained from one new seed per arm."""
    out = {}
    steps = plan.train.max_steps or 1
    settings = dataclasses.replace(plan.train, max_steps=steps, max_epochs=None)
    for arm in DISTILL_ARMS:
        torch.manual_seed(trial_seed(seed, 10_000))  # the same fresh weights for every arm
        model = plan.build(single.architecture)
        loss = None if arm == "alone" else DistillationLoss(teacher, arm, 1.0, 1.0)
        fit(
            model,
            plan.data.train,
            plan.data.validation,
            trial_hyperparameters(single.architecture, steps),
            settings,
            depth=len(single.architecture.blocks),
            loss=loss,
        )
        out[arm] = evaluate(model, plan.data.test, plan.train.eval_batch_size)["accuracy"]
    return out


def _top_average(plan: RunPlan, models, trials: list[CompletedTrial]) -> Pick | None:
    """The average of ``trials``' towers, built after the search (an evaluation only)."""
    if len(trials) < 2:
        return None
    towers = [models.tower(t.number) for t in trials]
    model = EnsembleModel(towers, None, "average", plan.data.num_classes)
    splits = (plan.data.validation, plan.data.test)
    scores = [evaluate(model, split, plan.train.eval_batch_size)["accuracy"] for split in splits]
    return Pick(-1, scores[0], scores[1], sum(p.numel() for p in model.parameters()))


def _pick(plan: RunPlan, models, trial: CompletedTrial) -> Pick:
    model = models.model(trial.number)
    test = evaluate(model, plan.data.test, plan.train.eval_batch_size)["accuracy"]
    return Pick(trial.number, trial.validation["accuracy"], test, trial.parameters or 0)


def _study(plan: RunPlan, run_dir: Path) -> optuna.Study:
    storage = f"sqlite:///{run_dir}/trials.db"
    return optuna.load_study(study_name=plan.storage.study, storage=storage)


def _with(cfg, *overrides: str):
    """``cfg`` with dotted overrides applied (a copy)."""
    from omegaconf import OmegaConf

    copy = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
    for override in overrides:
        key, value = override.split("=", 1)
        OmegaConf.update(copy, key, int(value) if value.isdigit() else value)
    return copy


def _quietly(function, *args):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return function(*args)


def markdown(results: list[SeedResult], budgets: dict[str, Budget]) -> str:
    """The section: one table per question, medians over seeds first."""
    limits = "; ".join(
        f"{d}: {b.n_trials} trials of {b.trial_steps} steps, batch {b.batch_size}"
        for d, b in budgets.items()
    )
    lines = [
        "Coordinate descent with `ensemble=intermixed ensemble.width=3 ensemble.every=5 "
        f"ensemble.trials_considered=15 distill=none` ({limits}; `space=cnn1d` on MNIST-1D, "
        "`space=dnn` on digits). Every model is chosen on validation and scored once on test.",
        "",
        "**The best ensemble against the best single model of the same search**, medians "
        f"over seeds (per seed below). `top-{TOP} average` is built after the search from "
        f"its {TOP} best single towers (an evaluation, no trial); the replicas ensemble is "
        f"`torchsearch replay replicas={REPLICAS}` of the best single tower:",
        "",
        "| data | seeds | single test acc | ensemble test acc | ensemble higher in | "
        f"single params | ensemble params | replicas ensemble test acc | top-{TOP} average "
        f"test acc | top-{TOP} higher in |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for data in budgets:
        rows = [r for r in results if r.data == data]
        with_ensemble = [r for r in rows if r.ensemble is not None]
        replicas = [r.replicas.test for r in rows if r.replicas is not None]
        tops = [r for r in rows if r.top is not None]
        lines.append(
            f"| {data} | {len(rows)} | {_median([r.single.test for r in rows])} | "
            f"{_median([r.ensemble.test for r in with_ensemble])} | "  # type: ignore[union-attr]
            f"{sum(r.ensemble.test > r.single.test for r in with_ensemble)} of "  # type: ignore[union-attr]
            f"{len(with_ensemble)} | {_median([r.single.parameters for r in rows], 0)} | "
            f"{_median([r.ensemble.parameters for r in with_ensemble], 0)} | "  # type: ignore[union-attr]
            f"{_median(replicas)} | {_median([r.top.test for r in tops])} | "  # type: ignore[union-attr]
            f"{sum(r.top.test > r.single.test for r in tops)} of {len(tops)} |"  # type: ignore[union-attr]
        )
    lines += [
        "",
        "**A student distilled from the best ensemble against the same architecture "
        "trained alone** (same initial weights, steps and data order; test accuracy, "
        "medians over seeds):",
        "",
        "| data | " + " | ".join(DISTILL_ARMS) + " | adaptively_balance higher in |",
        "|---" * (len(DISTILL_ARMS) + 2) + "|",
    ]
    for data in budgets:
        rows = [r for r in results if r.data == data and r.distilled]
        arms = " | ".join(_median([r.distilled[a] for r in rows]) for a in DISTILL_ARMS)
        wins = sum(r.distilled["adaptively_balance"] > r.distilled["alone"] for r in rows)
        lines.append(f"| {data} | {arms} | {wins} of {len(rows)} |")
    exact = sum(r.replay_exact for r in results)
    lines += [
        "",
        f"`torchsearch replay trial=N` reproduced the recorded validation metric exactly in "
        f"{exact} of {len(results)} searches.",
        "",
        "| data | seed | trials | single (trial: val / test, params) | ensemble (trial: val / "
        f"test, params) | top-{TOP} average (val / test) | replicas ensemble (val / test) | "
        + " | ".join(f"distilled {a}" for a in DISTILL_ARMS)
        + " |",
        "|---" * (7 + len(DISTILL_ARMS)) + "|",
    ]
    for r in results:
        lines.append(
            f"| {r.data} | {r.seed} | {r.trials} | {_show(r.single)} | {_show(r.ensemble)} | "
            + (f"{r.top.validation:.4f} / {r.top.test:.4f}" if r.top else "-")
            + " | "
            + (f"{r.replicas.validation:.4f} / {r.replicas.test:.4f}" if r.replicas else "-")
            + " | "
            + " | ".join(f"{r.distilled[a]:.4f}" if r.distilled else "-" for a in DISTILL_ARMS)
            + " |"
        )
    return "\n".join(lines)


def _show(pick: Pick | None) -> str:
    if pick is None:
        return "-"
    return f"{pick.trial}: {pick.validation:.4f} / {pick.test:.4f}, {pick.parameters:,}"


def _median(values: list[float], digits: int = 4) -> str:
    if not values:
        return "-"
    value = statistics.median(values)
    return f"{value:,.0f}" if digits == 0 else f"{value:.{digits}f}"


def measure(quick: bool, seeds: list[int]) -> str:
    """Every search and measurement; returns the section's markdown."""
    budgets = QUICK if quick else FULL
    results = []
    for task in TASKS:
        for seed in seeds:
            start = time.perf_counter()
            result = one_search(task, budgets[task.data], seed)
            print(
                f"{task.data:8s} seed {seed}: top-{TOP} "
                f"{result.top.test if result.top else float('nan'):.4f} single "
                f"{result.single.test:.4f} ensemble "
                f"{result.ensemble.test if result.ensemble else float('nan'):.4f} "
                f"replicas {result.replicas.test if result.replicas else float('nan'):.4f} "
                f"distilled {result.distilled} replay exact {result.replay_exact} "
                f"({time.perf_counter() - start:.0f}s)",
                flush=True,
            )
            results.append(result)
    selected = space_settings(budgets["digits"], seeds)
    return markdown(results, budgets) + "\n\n" + space_markdown(selected, budgets["digits"])


def main(argv: list[str] | None = None) -> int:
    return section_main(argv, __doc__.splitlines()[0], SECTION, measure)


if __name__ == "__main__":
    sys.exit(main())
