"""The report's plots as PNG images (matplotlib, no display needed).

(a) ``front.png``: the validation metric against parameters, log scale, with the Pareto
front (the best metric for as few parameters or fewer) drawn and labelled; (b)
``progress.png``: the best metric so far against trial number and against time since the
study's first trial; (c) ``tree.png``: the search tree, each trial below the one it came
from, with arrows from its parent, its ensemble's members and its teacher. Pruned trials
that reached a figure are grey crosses, never the best.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from torchsearch.report._study import StudyReport
from torchsearch.report._study import pareto_front
from torchsearch.report._study import running_best
from torchsearch.report._style import BEST_COLOR
from torchsearch.report._style import KIND_COLORS
from torchsearch.report._style import PRUNED_COLOR
from torchsearch.report._style import kind_color
from torchsearch.report._style import metric_label
from torchsearch.report._tree import tree_layout

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PLOTS", "write_plots"]

PLOTS = ("front.png", "progress.png", "tree.png")
"""The images :func:`write_plots` writes."""
LABELLED_NODES = 80
"""Up to this many trials, the tree labels each with its number and metric (beyond, the
best only)."""
EDGE_STYLES = {
    "parent": {"color": "#555555", "linestyle": "-", "alpha": 0.8, "label": "parent → child"},
    "member": {
        "color": KIND_COLORS["ensemble"],
        "linestyle": "--",
        "alpha": 0.45,
        "label": "member → ensemble",
    },
    "teacher": {
        "color": KIND_COLORS["distillation"],
        "linestyle": ":",
        "alpha": 0.8,
        "label": "teacher → student",
    },
}
EDGE_BENDS = {"parent": 0.0, "member": 0.15, "teacher": -0.15}
"""How much each relation's arrows curve, so that a member's or a teacher's arrow does not
hide the parent's between the same two trials."""


def write_plots(report: StudyReport, folder: Path) -> list[Path]:
    """Writes :data:`PLOTS` into ``folder``; returns their paths (none without a
    ranked trial)."""
    if report.best is None:
        return []
    paths = []
    for name, draw in zip(PLOTS, (_front, _progress, _tree), strict=True):
        figure = draw(report)
        path = folder / name
        figure.savefig(path, dpi=120, bbox_inches="tight")
        paths.append(path)
    return paths


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _kinds(ax: Axes, report: StudyReport, x: dict[int, float]) -> None:
    """Each ranked trial at ``x[trial]`` and its metric, coloured by kind."""
    rows = [r for r in report.rows if r.ranked and r.trial in x]
    for kind in sorted({r.kind for r in rows}):
        mine = [r for r in rows if r.kind == kind]
        ax.scatter(
            [x[r.trial] for r in mine],
            [r.value for r in mine],
            s=28,
            color=kind_color(kind),
            label=kind,
            zorder=3,
            edgecolors="white",
            linewidths=0.5,
        )


def _pruned(ax: Axes, report: StudyReport, x: dict[int, float]) -> None:
    points = [p for p in report.pruned if p.trial in x]
    if points:
        ax.scatter(
            [x[p.trial] for p in points],
            [p.value for p in points],
            marker="x",
            s=24,
            color=PRUNED_COLOR,
            label="pruned (stopped early)",
            zorder=2,
        )


def _mark_best(
    ax: Axes, report: StudyReport, x: float, y: float | None = None, size: float = 220
) -> None:
    """The best trial's star at ``(x, y)`` (``y``: its metric by default)."""
    best = report.best
    assert best is not None
    ax.scatter(
        [x],
        [best.value if y is None else y],
        marker="*",
        s=size,
        color=BEST_COLOR,
        edgecolors="black",
        linewidths=0.6,
        zorder=5,
        label=f"best: trial {best.trial}",
    )


def _front(report: StudyReport) -> Figure:
    figure = _figure(8, 5)
    ax = figure.subplots()
    params = {r.trial: float(max(r.parameters, 1)) for r in report.rows}
    params |= {p.trial: float(p.parameters) for p in report.pruned if p.parameters}
    _pruned(ax, report, params)
    _kinds(ax, report, params)
    front = pareto_front(report.rows, report.direction)
    xs = [params[r.trial] for r in front]
    ys = [r.value for r in front]
    # The front holds from its last point to the largest model: more buys nothing better.
    ax.step(
        [*xs, max(params.values())],
        [*ys, ys[-1]],
        where="post",
        color="black",
        linewidth=1.2,
        label="Pareto front",
        zorder=4,
    )
    ax.scatter(xs, ys, s=70, facecolors="none", edgecolors="black", linewidths=1.2, zorder=4)
    for i, row in enumerate(front):  # above and below in turn: neighbours often crowd
        ax.annotate(
            f"{row.trial}",
            (params[row.trial], row.value),
            xytext=(6, 6) if i % 2 else (6, -12),
            textcoords="offset points",
            fontsize=8,
        )
    best = report.best
    assert best is not None
    _mark_best(ax, report, params[best.trial])
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters (log scale)")
    ax.set_ylabel(metric_label(report.metric, report.direction))
    ax.set_title(
        f"{report.study}: validation {report.metric} against model size\n"
        "(Pareto front: the best metric for as few parameters or fewer; labels: trial numbers)",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return figure


def _progress(report: StudyReport) -> Figure:
    from matplotlib.ticker import MaxNLocator

    figure = _figure(11, 4.5)
    by_number, by_time = figure.subplots(1, 2, sharey=True)
    ranked = [r for r in report.rows if r.ranked]
    numbers = {r.trial: float(r.trial) for r in report.rows}
    numbers |= {p.trial: float(p.trial) for p in report.pruned}
    _pruned(by_number, report, numbers)
    _kinds(by_number, report, numbers)
    ordered = sorted(ranked, key=lambda r: r.trial)
    by_number.step(
        [r.trial for r in ordered],
        running_best([r.value for r in ordered], report.direction),
        where="post",
        color="black",
        label="best so far",
    )
    best = report.best
    assert best is not None
    _mark_best(by_number, report, best.trial)
    by_number.xaxis.set_major_locator(MaxNLocator(integer=True))
    by_number.set_xlabel("trial number")
    by_number.set_ylabel(metric_label(report.metric, report.direction))
    by_number.legend(fontsize=8, loc="best")

    timed = sorted((r for r in ranked if r.trial in report.finished_s), key=_finished(report))
    span = max(report.finished_s.values(), default=0.0)
    unit, scale = ("minutes", 60.0) if span > 300 else ("seconds", 1.0)
    times = {n: s / scale for n, s in report.finished_s.items()}
    _pruned(by_time, report, times)
    _kinds(by_time, report, times)
    by_time.step(
        [times[r.trial] for r in timed],
        running_best([r.value for r in timed], report.direction),
        where="post",
        color="black",
    )
    if best.trial in times:
        _mark_best(by_time, report, times[best.trial])
    by_time.set_xlabel(f"{unit} since the study's first trial started (at each trial's end)")
    for ax in (by_number, by_time):
        ax.grid(True, alpha=0.3)
    figure.suptitle(f"{report.study}: best validation {report.metric} so far", fontsize=11)
    return figure


def _finished(report: StudyReport):  # type: ignore[no-untyped-def]
    return lambda row: report.finished_s[row.trial]


def _tree(report: StudyReport) -> Figure:
    place = tree_layout(report.rows, report.edges)
    leaves = len({x for x, _ in place.values()})
    depth = max((d for _, d in place.values()), default=0)
    figure = _figure(min(max(8.0, 0.6 * leaves + 2), 40.0), min(max(4.0, 0.9 * depth + 2), 30.0))
    ax = figure.subplots()
    xy = {n: (x, -float(d)) for n, (x, d) in place.items()}
    drawn: set[str] = set()
    for edge in report.edges:
        if edge.source not in xy or edge.target not in xy:
            continue
        style = dict(EDGE_STYLES[edge.relation])
        label = style.pop("label")
        ax.annotate(
            "",
            xy=xy[edge.target],
            xytext=xy[edge.source],
            arrowprops={
                "arrowstyle": "-|>",
                "shrinkA": 6,
                "shrinkB": 6,
                "lw": 1,
                "connectionstyle": f"arc3,rad={EDGE_BENDS[edge.relation]}",
                **style,
            },
            zorder=1,
        )
        if edge.relation not in drawn:  # one legend entry per relation
            ax.plot([], [], label=label, **style)
            drawn.add(edge.relation)
    xs = {n: x for n, (x, _) in xy.items()}
    ys = {n: y for n, (_, y) in xy.items()}
    for kind in sorted({r.kind for r in report.rows if r.trial in xy}):
        mine = [r.trial for r in report.rows if r.kind == kind and r.trial in xy]
        ax.scatter(
            [xs[n] for n in mine],
            [ys[n] for n in mine],
            s=60,
            color=kind_color(kind),
            label=kind,
            zorder=3,
            edgecolors="white",
        )
    best = report.best
    assert best is not None
    _mark_best(ax, report, xs[best.trial], ys[best.trial], size=260)
    rows = [r for r in report.rows if r.trial in xy]
    for row in rows if len(rows) <= LABELLED_NODES else [best]:
        ax.annotate(
            f"{row.trial}\n{row.value:.4f}",
            xy[row.trial],
            xytext=(9, -3),
            textcoords="offset points",
            fontsize=7,
            va="center",
            color="#222222",
        )
    ax.set_xticks([])  # positions carry no unit: depth down, lineages side by side
    ax.set_yticks([])
    ax.margins(x=0.05, y=0.1)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"{report.study}: search tree (each trial below the trial it came from; labels: "
        f"trial number and validation {report.metric})",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure
