"""The report: a markdown table of medians over seeds, best-so-far plots, BENCHMARKS.md."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import sys
from collections import defaultdict
from importlib import metadata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from records import MethodResult
from records import Task
from records import TrialRecord
from records import median

REFERENCE_METHOD = "torchsearch-cd"
PACKAGES = ("torch", "torchsearch", "torchsearch-evolution", "optuna", "lightning", "mnist1d")


def group(results: list[MethodResult]) -> dict[tuple[str, str], list[MethodResult]]:
    """Results by ``(task, method)``, in the order first seen."""
    groups: dict[tuple[str, str], list[MethodResult]] = defaultdict(list)
    for result in results:
        groups[(result.task, result.method)].append(result)
    return groups


def table(results: list[MethodResult]) -> str:
    """One markdown table per task: medians over seeds, and test accuracy / params ratios
    to ``torchsearch-cd`` on the same task."""
    groups = group(results)
    lines: list[str] = []
    for task in dict.fromkeys(r.task for r in results):
        reference = groups.get((task, REFERENCE_METHOD), [])
        ref_test = median([r.test_accuracy for r in reference])
        ref_params = median([float(r.parameters) for r in reference])
        lines += [
            f"### {task}",
            "",
            "| method | seeds | trials | test acc (median) | test acc range | val acc | "
            "params | seconds | test / cd | params / cd | note |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for (group_task, method), runs in groups.items():
            if group_task != task:
                continue
            tests = [r.test_accuracy for r in runs]
            test = median(tests)
            params = median([float(r.parameters) for r in runs])
            notes = "; ".join(sorted({r.note for r in runs if r.note}))
            lines.append(
                f"| {method} | {len(runs)} | {median([float(len(r.trials)) for r in runs]):.0f} "
                f"| {test:.4f} | {min(tests):.4f}-{max(tests):.4f} "
                f"| {median([r.validation_accuracy for r in runs]):.4f} | {params:,.0f} "
                f"| {median([r.seconds for r in runs]):.1f} | {_ratio(test, ref_test)} "
                f"| {_ratio(params, ref_params)} | {notes} |"
            )
        lines.append("")
    return "\n".join(lines)


def _ratio(value: float, reference: float) -> str:
    if reference != reference or reference == 0:  # NaN or zero
        return "-"
    return f"{value / reference:.2f}"


def plots(results: list[MethodResult], folder: Path) -> list[Path]:
    """Best-so-far validation and test accuracy against trials and seconds, per task.

    One PNG per task and axis; every seed's curve is drawn (one colour per method); the
    anchors (one model each) are dashed levels at their median over seeds."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    groups = group(results)
    for task in dict.fromkeys(r.task for r in results):
        for axis, column in (("trials", 0), ("seconds", 1)):
            figure, (val_ax, test_ax) = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
            for index, ((group_task, method), runs) in enumerate(groups.items()):
                if group_task != task or not any(r.trials for r in runs):
                    continue
                color = f"C{index % 10}"
                if all(len(r.trials) == 1 for r in runs):  # an anchor: dashed levels
                    style = {"linestyle": "--", "linewidth": 0.8, "color": color, "label": method}
                    val_ax.axhline(median([r.validation_accuracy for r in runs]), **style)
                    test_ax.axhline(median([r.test_accuracy for r in runs]), **style)
                    continue
                for seed_index, run in enumerate(runs):
                    _draw_curve(val_ax, test_ax, run, column, color, method, seed_index == 0)
            for ax, title in ((val_ax, "validation"), (test_ax, "test")):
                _label(ax, axis, f"best-so-far {title} accuracy")
                ax.set_title(f"{task}: {title} (selected by validation)")
            test_ax.legend(fontsize=7, loc="lower right")
            written.append(_save(figure, folder / f"{task}_best_so_far_{axis}.png"))
        written.append(front_plot(results, task, folder))
    return written


def _draw_curve(
    val_ax: plt.Axes,
    test_ax: plt.Axes,
    run: MethodResult,
    column: int,
    color: str,
    method: str,
    labelled: bool,
) -> None:
    """One seed's best-so-far curves."""
    curve = run.best_so_far()
    xs = [point[column] for point in curve]
    style = {"where": "post", "linewidth": 1.0, "alpha": 0.8, "color": color}
    if labelled:
        style["label"] = method
    val_ax.step(xs, [p[2] for p in curve], **style)
    tests = [(x, p[3]) for x, p in zip(xs, curve, strict=True) if p[3] is not None]
    if tests:
        test_ax.step(*zip(*tests, strict=True), **style)


def _zoom(ax: plt.Axes) -> None:
    """Shows the top of the range: near-1 accuracies differ in the third decimal."""
    lines = [line.get_ydata() for line in ax.get_lines()]
    values = [float(v) for ys in lines for v in ys if v == v]  # NaN-free
    if values:
        top = max(values)
        ax.set_ylim(max(min(values), top - 0.15) - 0.005, min(1.0, top + 0.005) + 0.002)


def front_plot(results: list[MethodResult], task: str, folder: Path) -> Path:
    """Every trial's validation accuracy against its parameters, the front drawn on top."""
    figure, ax = plt.subplots(figsize=(7, 4.5))
    runs = [r for r in results if r.task == task]
    for index, method in enumerate(dict.fromkeys(r.method for r in runs)):
        trials = [t for r in runs if r.method == method for t in r.trials]
        marker = "*" if method.startswith("anchor:") else "."
        ax.scatter(
            [t.parameters for t in trials],
            [t.validation_accuracy for t in trials],
            s=60 if marker == "*" else 12,
            marker=marker,
            color=f"C{index % 10}",
            alpha=0.7,
            label=method,
        )
    points = front(runs)
    if points:
        ax.step(
            [p.parameters for _, p in points],
            [p.validation_accuracy for _, p in points],
            where="post",
            color="black",
            linewidth=1.0,
            label="front (validation)",
        )
    ax.set_xscale("log")
    _label(ax, "parameters", "validation accuracy")
    ax.set_title(f"{task}: accuracy against parameters, every trial of every seed")
    ax.legend(fontsize=6, loc="lower right")
    return _save(figure, folder / f"{task}_front.png")


def _label(ax: plt.Axes, x: str, y: str) -> None:
    """Axis labels, a light grid, and the y range zoomed on the top accuracies."""
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.grid(alpha=0.3)
    _zoom(ax)


def _save(figure: plt.Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def front(runs: list[MethodResult]) -> list[tuple[MethodResult, TrialRecord]]:
    """The trials no other trial beats on both validation accuracy and parameters, by
    parameters; each with the run it came from."""
    trials = [(run, t) for run in runs for t in run.trials if t.parameters > 0]
    trials.sort(key=lambda pair: (pair[1].parameters, -pair[1].validation_accuracy))
    points: list[tuple[MethodResult, TrialRecord]] = []
    for run, trial in trials:
        if not points or trial.validation_accuracy > points[-1][1].validation_accuracy:
            points.append((run, trial))
    return points


def front_table(results: list[MethodResult], task: str) -> str:
    """The front of ``task`` as a table, test accuracy beside the validation it was read by."""
    lines = [
        "| parameters | validation acc | test acc | method | seed | blocks |",
        "|---|---|---|---|---|---|",
    ]
    for run, trial in front([r for r in results if r.task == task]):
        test = "-" if trial.test_accuracy is None else f"{trial.test_accuracy:.4f}"
        lines.append(
            f"| {trial.parameters:,} | {trial.validation_accuracy:.4f} | {test} | {run.method} "
            f"| {run.seed} | {trial.architecture} |"
        )
    return "\n".join(lines)


def header(command: str) -> str:
    """Machine, versions, date and the exact command."""
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"- Date: {now}",
            f"- Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPU cores",
            f"- Python {sys.version.split()[0]}; {', '.join(versions)}",
            f"- Command: `{command}`",
            "",
        ]
    )


def goals(results: list[MethodResult], task: Task, small: int | None) -> str:
    """The goals of ``task``, read off the results: met or not, with the figures."""
    groups = group(results)
    lines = []
    targets = {"torchsearch-cd": task.goal, "torchsearch-cd-small": task.small_goal}
    for method, target in targets.items():
        runs = groups.get((task.data, method), [])
        if not runs or target is None:
            continue
        tests = sorted(r.test_accuracy for r in runs)
        params = median([float(r.parameters) for r in runs])
        verdict = "met" if median(tests) >= target else "NOT met"
        lines.append(
            f"- Goal, `{method}`: the selected model's test accuracy is {median(tests):.4f} "
            f"(median over {len(runs)} seeds: {', '.join(f'{t:.4f}' for t in tests)}), "
            f"{params:,.0f} parameters (median); goal {target:.2f}: **{verdict}**."
        )
    if small is not None:
        capped = [t for _, t in front([r for r in results if r.task == task.data])]
        capped = [t for t in capped if t.parameters <= small and t.test_accuracy is not None]
        if capped:
            best = capped[-1]
            lines.append(
                f"- Front: the most accurate (by validation) trial of at most {small:,} "
                f"parameters has {best.parameters:,} parameters, validation "
                f"{best.validation_accuracy:.4f}, test {best.test_accuracy:.4f}."
            )
    return "\n".join(lines)


def write(
    results: list[MethodResult],
    output: Path,
    command: str,
    sections: dict[str, str],
    figures: list[Path],
) -> str:
    """Writes BENCHMARKS.md (header, then ``sections`` by title, the plots of each task
    under its table) and the raw results beside the plots; returns the text."""
    parts = [header(command)]
    for title, body in sections.items():
        parts += [f"## {title}", "", body, ""]
    for task in dict.fromkeys(r.task for r in results):
        parts += [f"## Plots: {task}", ""]
        for path in figures:
            if path.stem.startswith(f"{task}_"):
                parts.append(f"![{path.stem}]({_shown(path, output)})")
        parts.append("")
    text = "\n".join(parts)
    output.write_text(text)
    if figures:
        dump = figures[0].parent / "results.json"
        dump.write_text(json.dumps([dataclasses.asdict(r) for r in results], indent=1))
    return text


def _shown(path: Path, output: Path) -> Path:
    try:
        return path.relative_to(output.parent.resolve())
    except ValueError:
        return path
