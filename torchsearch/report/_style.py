"""What the report's plots share: a colour per kind of trial, and the axis words."""

from __future__ import annotations

__all__ = [
    "BEST_COLOR",
    "KIND_COLORS",
    "OTHER_COLOR",
    "PRUNED_COLOR",
    "kind_color",
    "metric_label",
]

KIND_COLORS = {
    "search": "#1f77b4",
    "suggestion": "#17becf",
    "ensemble": "#ff7f0e",
    "distillation": "#9467bd",
    "replay": "#2ca02c",
    "replica": "#8c564b",
}
"""One colour per trial kind (docs/ensembles.md), the same in every plot."""
OTHER_COLOR = "#7f7f7f"
PRUNED_COLOR = "#b0b0b0"
BEST_COLOR = "#d62728"


def kind_color(kind: str) -> str:
    """The colour of a trial kind (a plugin's own kind: grey)."""
    return KIND_COLORS.get(kind, OTHER_COLOR)


def metric_label(metric: str, direction: str) -> str:
    """``validation accuracy (higher is better)``."""
    better = "higher" if direction == "maximize" else "lower"
    return f"validation {metric} ({better} is better)"
