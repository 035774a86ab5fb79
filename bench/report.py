"""The report: a markdown table of medians over seeds, best-so-far plots, BENCHMARKS.md."""

from __future__ import annotations

import datetime
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

    One PNG per task and axis; the first seed's curve is drawn; the anchors (one model
    each) are dashed levels."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    groups = group(results)
    for task in dict.fromkeys(r.task for r in results):
        for axis, column in (("trials", 0), ("seconds", 1)):
            figure, (val_ax, test_ax) = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
            for index, ((group_task, method), runs) in enumerate(groups.items()):
                if group_task != task or not runs[0].trials:
                    continue
                curve = runs[0].best_so_far()
                color = f"C{index % 10}"
                if len(curve) == 1:  # an anchor: one model, a dashed level
                    style = {"linestyle": "--", "linewidth": 0.8, "color": color, "label": method}
                    val_ax.axhline(curve[0][2], **style)
                    if curve[0][3] is not None:
                        test_ax.axhline(curve[0][3], **style)
                    continue
                xs = [point[column] for point in curve]
                style = {"where": "post", "marker": ".", "color": color, "label": method}
                val_ax.step(xs, [p[2] for p in curve], **style)
                tests = [(x, p[3]) for x, p in zip(xs, curve, strict=True) if p[3] is not None]
                if tests:
                    test_ax.step(*zip(*tests, strict=True), **style)
            for ax, title in ((val_ax, "validation"), (test_ax, "test")):
                ax.set_xlabel(axis)
                ax.set_ylabel(f"best-so-far {title} accuracy")
                ax.set_title(f"{task}: {title} (selected by validation)")
                ax.grid(alpha=0.3)
            test_ax.legend(fontsize=7, loc="lower right")
            figure.tight_layout()
            path = folder / f"{task}_best_so_far_{axis}.png"
            figure.savefig(path, dpi=90)
            plt.close(figure)
            written.append(path)
    return written


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


def write(
    results: list[MethodResult], output: Path, command: str, budget_text: str, figures: list[Path]
) -> str:
    """Writes BENCHMARKS.md (header, budget, tables, plots) and returns its text."""
    images = []
    for path in figures:
        try:
            shown = path.relative_to(output.parent.resolve())
        except ValueError:
            shown = path
        images.append(f"![{path.stem}]({shown})")
    text = "\n".join(
        [
            header(command),
            "## Search quality",
            "",
            budget_text,
            "",
            "Each method selects its model by validation accuracy; its test accuracy is "
            "measured once. Ratios are to `torchsearch-cd` on the same data.",
            "",
            table(results),
            "## Best so far",
            "",
            *images,
            "",
        ]
    )
    output.write_text(text)
    return text
