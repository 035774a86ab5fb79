"""The report as one interactive HTML page (plotly): the counts, the leaderboard, the
three plots of :mod:`torchsearch.report._plots` (hover a point for its trial) and the
search tree as text.

The page carries plotly.js inside it (about 4.5 MB), so it opens offline, with no
network and no server.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from torchsearch.report._study import StudyReport
from torchsearch.report._study import pareto_front
from torchsearch.report._study import running_best
from torchsearch.report._style import BEST_COLOR
from torchsearch.report._style import PRUNED_COLOR
from torchsearch.report._style import kind_color
from torchsearch.report._style import metric_label
from torchsearch.report._tree import tree_layout

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["PAGE", "write_page"]

PAGE = "report.html"


def write_page(report: StudyReport, folder: Path, leaderboard: str, tree: str) -> Path | None:
    """Writes :data:`PAGE` into ``folder`` with the plain-text ``leaderboard`` and
    ``tree``; ``None`` (nothing written) without a ranked trial."""
    if report.best is None:
        return None
    figures = [_front(report), _progress(report), _tree(report)]
    parts = [
        figure.to_html(full_html=False, include_plotlyjs=(i == 0), default_width="100%")
        for i, figure in enumerate(figures)
    ]
    title = html.escape(f"torchsearch report: {report.study}")
    page = (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family: sans-serif; margin: 1em 2em'>\n<h1>{title}</h1>\n"
        f"<p>{html.escape(report.counts_line())}; objective: {html.escape(report.direction)} "
        f"validation {html.escape(report.metric)}.</p>\n"
        f"<pre>{html.escape(leaderboard)}</pre>\n{parts[0]}\n{parts[1]}\n"
        f"<h2>Search tree</h2>\n{parts[2]}\n<pre>{html.escape(tree)}</pre>\n</body></html>\n"
    )
    path = folder / PAGE
    path.write_text(page, encoding="utf-8")
    return path


def _hover(report: StudyReport) -> dict[int, str]:
    return {
        r.trial: (
            f"trial {r.trial} ({r.kind}, {r.operation})<br>{report.metric} {r.value:.4f}"
            f"<br>{r.parameters:,} parameters<br>{html.escape(r.architecture)}"
        )
        for r in report.rows
    }


def _kind_traces(report: StudyReport, x: dict[int, float]) -> list[go.Scatter]:
    import plotly.graph_objects as go

    hover = _hover(report)
    rows = [r for r in report.rows if r.ranked and r.trial in x]
    traces = []
    for kind in sorted({r.kind for r in rows}):
        mine = [r for r in rows if r.kind == kind]
        traces.append(
            go.Scatter(
                x=[x[r.trial] for r in mine],
                y=[r.value for r in mine],
                mode="markers",
                name=kind,
                marker={"color": kind_color(kind), "size": 8},
                hovertext=[hover[r.trial] for r in mine],
                hoverinfo="text",
            )
        )
    pruned = [p for p in report.pruned if p.trial in x]
    if pruned:
        traces.append(
            go.Scatter(
                x=[x[p.trial] for p in pruned],
                y=[p.value for p in pruned],
                mode="markers",
                name="pruned (stopped early)",
                marker={"color": PRUNED_COLOR, "symbol": "x", "size": 7},
                hovertext=[f"trial {p.trial} (pruned)" for p in pruned],
                hoverinfo="text",
            )
        )
    best = report.best
    if best is not None and best.trial in x:
        traces.append(
            go.Scatter(
                x=[x[best.trial]],
                y=[best.value],
                mode="markers",
                name=f"best: trial {best.trial}",
                marker={"color": BEST_COLOR, "symbol": "star", "size": 16},
                hovertext=[hover[best.trial]],
                hoverinfo="text",
            )
        )
    return traces


def _layout(figure: go.Figure, report: StudyReport, title: str, **axes: Any) -> go.Figure:
    figure.update_layout(
        title=title, template="plotly_white", height=520, legend={"itemsizing": "constant"}
    )
    figure.update_yaxes(title_text=metric_label(report.metric, report.direction))
    figure.update_layout(**axes)
    return figure


def _front(report: StudyReport) -> go.Figure:
    import plotly.graph_objects as go

    params = {r.trial: float(max(r.parameters, 1)) for r in report.rows}
    params |= {p.trial: float(p.parameters) for p in report.pruned if p.parameters}
    front = pareto_front(report.rows, report.direction)
    figure = go.Figure(_kind_traces(report, params))
    figure.add_trace(
        go.Scatter(
            x=[*(params[r.trial] for r in front), max(params.values())],
            y=[*(r.value for r in front), front[-1].value],
            mode="lines",
            line={"shape": "hv", "color": "black"},
            name="Pareto front",
            hoverinfo="skip",
        )
    )
    return _layout(
        figure,
        report,
        f"{report.study}: validation {report.metric} against model size (Pareto front)",
        xaxis={"type": "log", "title": "trainable parameters (log scale)"},
    )


def _progress(report: StudyReport) -> go.Figure:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        subplot_titles=("against trial number", "against time since the first trial"),
    )
    ranked = sorted((r for r in report.rows if r.ranked), key=lambda r: r.trial)
    numbers = {r.trial: float(r.trial) for r in report.rows}
    numbers |= {p.trial: float(p.trial) for p in report.pruned}
    for trace in _kind_traces(report, numbers):
        figure.add_trace(trace, row=1, col=1)
    figure.add_trace(
        go.Scatter(
            x=[r.trial for r in ranked],
            y=running_best([r.value for r in ranked], report.direction),
            mode="lines",
            line={"shape": "hv", "color": "black"},
            name="best so far",
        ),
        row=1,
        col=1,
    )
    timed = sorted(
        (r for r in ranked if r.trial in report.finished_s),
        key=lambda r: report.finished_s[r.trial],
    )
    for trace in _kind_traces(report, report.finished_s):  # pruned ones too
        trace.showlegend = False
        figure.add_trace(trace, row=1, col=2)
    figure.add_trace(
        go.Scatter(
            x=[report.finished_s[r.trial] for r in timed],
            y=running_best([r.value for r in timed], report.direction),
            mode="lines",
            line={"shape": "hv", "color": "black"},
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    figure.update_xaxes(title_text="trial number", row=1, col=1)
    figure.update_xaxes(title_text="seconds since the study's first trial started", row=1, col=2)
    return _layout(figure, report, f"{report.study}: best validation {report.metric} so far")


def _tree(report: StudyReport) -> go.Figure:
    import plotly.graph_objects as go

    xy = {n: (x, -float(d)) for n, (x, d) in tree_layout(report.rows, report.edges).items()}
    traces = []
    styles = {
        "parent": ("parent → child", {"color": "#555555", "width": 1.2}),
        "member": ("member → ensemble", {"color": kind_color("ensemble"), "dash": "dash"}),
        "teacher": ("teacher → student", {"color": kind_color("distillation"), "dash": "dot"}),
    }
    for relation, (name, line) in styles.items():
        xs: list[float | None] = []
        ys: list[float | None] = []
        for edge in report.edges:
            if edge.relation == relation and edge.source in xy and edge.target in xy:
                xs += [xy[edge.source][0], xy[edge.target][0], None]
                ys += [xy[edge.source][1], xy[edge.target][1], None]
        if xs:
            traces.append(
                go.Scatter(x=xs, y=ys, mode="lines", name=name, line=line, hoverinfo="skip")
            )
    figure = go.Figure(traces)
    hover = _hover(report)
    for kind in sorted({r.kind for r in report.rows if r.trial in xy}):
        mine = [r for r in report.rows if r.kind == kind and r.trial in xy]
        figure.add_trace(
            go.Scatter(
                x=[xy[r.trial][0] for r in mine],
                y=[xy[r.trial][1] for r in mine],
                mode="markers+text",
                name=kind,
                text=[str(r.trial) for r in mine],
                textposition="middle right",
                marker={"color": kind_color(kind), "size": 11},
                hovertext=[hover[r.trial] for r in mine],
                hoverinfo="text",
            )
        )
    best = report.best
    if best is not None and best.trial in xy:
        figure.add_trace(
            go.Scatter(
                x=[xy[best.trial][0]],
                y=[xy[best.trial][1]],
                mode="markers",
                name=f"best: trial {best.trial}",
                marker={"color": BEST_COLOR, "symbol": "star", "size": 18},
                hovertext=[hover[best.trial]],
                hoverinfo="text",
            )
        )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure.update_layout(
        title=f"{report.study}: search tree (each trial below the trial it came from; hover "
        "a trial for its record)",
        template="plotly_white",
        height=max(420, 90 * (1 - min((y for _, y in xy.values()), default=0)) + 160),
    )
    return figure
