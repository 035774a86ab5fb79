"""The search tree: which trial came from which, as edges and as a text tree.

A searched tower comes from its parent (``grow``, ``replace``; a replay or a student
retrained from its own weights too); an ensemble from its members; a distilled student
also from its teacher. The text tree hangs each trial under its parent; ensembles, and
trials whose parent is not shown, are roots, and a node names its members or teacher.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.tree import Tree

    from torchsearch.report._rows import LeaderboardRow
    from torchsearch.trials import CompletedTrial

__all__ = ["RELATIONS", "Edge", "search_edges", "search_tree", "tree_layout"]

RELATIONS = ("parent", "member", "teacher")
"""What an edge says: the target was derived from, combines, or was taught by its source."""


@dataclass(frozen=True)
class Edge:
    """``target`` came from ``source`` as its ``relation`` (one of :data:`RELATIONS`)."""

    source: int
    target: int
    relation: str


def search_edges(trials: Iterable[CompletedTrial]) -> tuple[Edge, ...]:
    """The edges of the trials' records, by target trial, then relation."""
    edges: list[Edge] = []
    for trial in sorted(trials, key=lambda t: t.number):
        if trial.parent is not None:
            edges.append(Edge(trial.parent, trial.number, "parent"))
        for member in trial.ensemble.members if trial.ensemble else ():
            edges.append(Edge(member, trial.number, "member"))
        if trial.teacher is not None:
            edges.append(Edge(trial.teacher.trial, trial.number, "teacher"))
    return tuple(edges)


def search_tree(
    rows: Sequence[LeaderboardRow], edges: Iterable[Edge], metric: str, title: str
) -> Tree:
    """The rows as a :class:`rich.tree.Tree` under ``title``: each trial under its
    parent, by trial number; the best trial marked."""
    from rich.markup import escape
    from rich.tree import Tree

    shown = {r.trial: r for r in rows}
    children: dict[int, list[int]] = defaultdict(list)
    for edge in edges:
        if edge.relation == "parent" and edge.source in shown and edge.target in shown:
            children[edge.source].append(edge.target)
    has_parent = {c for kids in children.values() for c in kids}
    best = min((r for r in rows if r.ranked), key=lambda r: r.rank or 0, default=None)
    root = Tree(escape(title), guide_style="dim")
    pending = [(root, n) for n in sorted(set(shown) - has_parent, reverse=True)]
    while pending:  # depth first without recursion: a long lineage is a deep tree
        branch, number = pending.pop()
        row = shown[number]
        orphan = row.parent is not None and row.parent not in shown
        node = branch.add(_label(row, metric, best=row is best, orphan=orphan))
        pending += [(node, c) for c in sorted(children.get(number, ()), reverse=True)]
    return root


def _label(row: LeaderboardRow, metric: str, *, best: bool, orphan: bool) -> str:
    """``trial 7  grow  accuracy 0.9025  23,710 params``, with members or teacher, and
    the parent when the node does not hang under it (``orphan``)."""
    from rich.markup import escape

    text = f"[bold]trial {row.trial}[/]  {escape(row.operation)}"
    if row.kind not in ("search", row.operation):
        text += f" ({escape(row.kind)})"
    if row.members:
        text += f" of trials {', '.join(map(str, row.members))}"
    if row.teacher is not None:
        text += f", teacher {row.teacher}"
    if orphan:
        text += f", from {row.parent}"
    text += f"  {escape(metric)} {row.value:.4f}  {row.parameters:,} params"
    return f"{text}  [bold green]<- best[/]" if best else text


def tree_layout(
    rows: Sequence[LeaderboardRow], edges: Iterable[Edge]
) -> dict[int, tuple[float, int]]:
    """Where each row's trial goes in a drawing of the tree: ``(x, depth)``.

    Each trial sits one level below its parent, leaves side by side in the order of a
    depth-first walk by trial number, a parent centred over its children. An ensemble
    (no parent of its own) hangs under its last member, so that it sits near the towers
    it combines.
    """
    shown = {r.trial for r in rows}
    edges = [e for e in edges if e.source in shown and e.target in shown]
    above = {e.target: e.source for e in edges if e.relation == "parent"}
    parented = set(above)
    for edge in edges:
        if edge.relation == "member" and edge.target not in parented:
            above[edge.target] = max(above.get(edge.target, edge.source), edge.source)
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in sorted(above.items()):
        children[parent].append(child)
    place: dict[int, tuple[float, int]] = {}
    leaves = 0
    # Depth first, children before their parent, without recursion: a lineage can be
    # as long as the search.
    stack = [(root, 0, False) for root in sorted(shown - set(above), reverse=True)]
    while stack:
        number, depth, expanded = stack.pop()
        kids = children.get(number, [])
        if not kids:
            place[number] = (float(leaves), depth)
            leaves += 1
        elif expanded:
            place[number] = ((place[kids[0]][0] + place[kids[-1]][0]) / 2, depth)
        else:
            stack.append((number, depth, True))
            stack += [(kid, depth + 1, False) for kid in reversed(kids)]
    return place
