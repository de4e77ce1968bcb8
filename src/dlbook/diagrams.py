"""Computational-graph diagrams: values flow forwards along the arrows, gradients flow backwards.

A graph is a few named nodes placed on a plane and the edges between them::

    nodes = {"a": Node(0, 1, "apple price"), "mul": Node(1, 0.5, "×", op=True), ...}
    edges = [Edge("a", "mul", forward="100", backward="2.2"), ...]
    draw_graph(ax, nodes, edges)

Each edge is an arrow from its source to its target; the value it carries in
the forward pass is written above it (blue), and the gradient of the output
with respect to that value, found in the backward pass, below it (vermillion).
Operation nodes (×, +, exp …) are circles; inputs and outputs are plain text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch

from dlbook.viz import PALETTE, style

__all__ = ["Node", "Edge", "draw_graph"]

FORWARD_COLOR = PALETTE["blue"]
BACKWARD_COLOR = PALETTE["vermillion"]
OP_RADIUS = 0.16  # radius of an operation's circle, in data units
CHAR_WIDTH = 0.04  # half the width of one character of a text node, in data units (about 1 unit per inch)
LABEL_OFFSET = 0.08  # distance of an edge's labels from its arrow, in data units


@dataclass(frozen=True)
class Node:
    """A node at (x, y): an operation (a circle with its symbol) or an input/output (plain text)."""

    x: float
    y: float
    label: str
    op: bool = False


@dataclass(frozen=True)
class Edge:
    """An arrow from node `source` to node `target`, labelled with its forward value and its gradient."""

    source: str
    target: str
    forward: str = ""
    backward: str = ""


def _endpoint(node: Node, toward: np.ndarray) -> np.ndarray:
    """Where an arrow leaves or enters `node`: on its circle, or beside its text."""
    center = np.array([node.x, node.y])
    direction = toward - center
    length = float(np.hypot(*direction))
    if length == 0:
        return center
    unit = direction / length
    if node.op:
        return center + OP_RADIUS * unit
    # Text is wide and flat: arrows leave from (or enter at) its left or right side.
    half_width = CHAR_WIDTH * len(node.label) + 0.06
    return center + np.array([np.sign(unit[0]) * half_width, 0.08 * unit[1]])


def draw_graph(ax: Axes, nodes: Mapping[str, Node], edges: Sequence[Edge], *,
               legend: bool = True) -> None:
    """Draw a computational graph with forward values above and gradients below each arrow.

    Args:
        ax: where to draw; its axis lines are hidden.
        nodes: ``{name: Node}``.
        edges: the arrows, from ``source`` to ``target`` (names in `nodes`).
        legend: add a key explaining the two colors below the graph.
    """
    for edge in edges:
        if edge.source not in nodes or edge.target not in nodes:
            raise ValueError(f"Edge {edge.source!r} -> {edge.target!r} names a node not in `nodes`")
    with style():
        for node in nodes.values():
            if node.op:
                ax.add_patch(Circle((node.x, node.y), OP_RADIUS, facecolor="white", edgecolor="0.25",
                                    linewidth=1.2))
                ax.text(node.x, node.y, node.label, ha="center", va="center", fontsize=13)
            else:
                ax.text(node.x, node.y, node.label, ha="center", va="center", fontsize=10)
        for edge in edges:
            a, b = nodes[edge.source], nodes[edge.target]
            start = _endpoint(a, np.array([b.x, b.y]))
            end = _endpoint(b, np.array([a.x, a.y]))
            ax.add_patch(FancyArrowPatch(tuple(start), tuple(end), arrowstyle="-|>", mutation_scale=12,
                                         color="0.25", linewidth=1.2, shrinkA=0, shrinkB=0))
            # A little before the middle, so that the labels of converging arrows stay apart.
            mid = start + 0.42 * (end - start)
            along = (end - start) / max(float(np.hypot(*(end - start))), 1e-12)
            normal = np.array([-along[1], along[0]])  # perpendicular to the arrow
            if normal[1] < 0:
                normal = -normal  # pointing up: the forward value goes above the arrow
            for text, sign, color in ((edge.forward, 1, FORWARD_COLOR), (edge.backward, -1, BACKWARD_COLOR)):
                if text:
                    at = mid + sign * LABEL_OFFSET * normal
                    ha = "center" if abs(normal[0]) < 0.3 else ("left" if sign * normal[0] > 0 else "right")
                    ax.text(at[0], at[1], text, ha=ha, va="bottom" if sign > 0 else "top",
                            color=color, fontsize=10, fontweight="bold")
        xs = [n.x for n in nodes.values()]
        ys = [n.y for n in nodes.values()]
        ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
        ax.set_ylim(min(ys) - (0.75 if legend else 0.4), max(ys) + 0.4)
        ax.set_aspect("equal")
        ax.axis("off")
        if legend:
            ax.text(0.5, 0.0, "forward value (above an arrow)", transform=ax.transAxes, ha="right",
                    va="bottom", color=FORWARD_COLOR, fontsize=9, fontweight="bold")
            ax.text(0.52, 0.0, "   gradient of the output (below)", transform=ax.transAxes, ha="left",
                    va="bottom", color=BACKWARD_COLOR, fontsize=9, fontweight="bold")

