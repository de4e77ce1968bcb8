"""Every figure the book draws: one style, one color-blind-safe palette.

The palette is Okabe and Ito's eight colors, distinguishable with every common
form of color blindness. Figures are small (a book column, ~100 dpi) and are
built on matplotlib's Agg canvas directly, without pyplot's global state, so
explorers can draw from a worker thread and reuse a figure between frames.

Every function returns or fills matplotlib objects; `fig_to_png` turns a
figure into the PNG bytes that explorers show.
"""

from __future__ import annotations

import io
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

__all__ = [
    "PALETTE",
    "CLASS_COLORS",
    "style",
    "new_figure",
    "freeze_layout",
    "animate",
    "fig_to_png",
    "plot_contours",
    "plot_path",
    "class_rgb",
    "plot_decision_surface",
    "plot_points",
    "plot_curves",
    "annotate_diverged",
]

# Okabe & Ito (2008), "Color Universal Design".
PALETTE: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
# Class 0 orange, class 1 blue (as in TensorFlow Playground), then the rest.
CLASS_COLORS: tuple[str, ...] = (
    PALETTE["orange"], PALETTE["blue"], PALETTE["green"], PALETTE["purple"], PALETTE["vermillion"],
)

BOOK_STYLE: dict[str, object] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=[
        PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["vermillion"],
        PALETTE["purple"], PALETTE["sky"], PALETTE["yellow"], PALETTE["black"],
    ]),
    "lines.linewidth": 1.5,
    "figure.dpi": 100,
    "savefig.dpi": 100,
}


def style() -> AbstractContextManager:
    """The book's matplotlib settings as a context manager: ``with style(): ...``."""
    return matplotlib.rc_context(BOOK_STYLE)


def new_figure(width: float = 5.0, height: float = 3.5, *, nrows: int = 1,
               ncols: int = 1) -> tuple[Figure, Axes | np.ndarray]:
    """A book-sized figure on an Agg canvas, with its axes.

    Args:
        width, height: size in inches (5 x 3.5 is one book column).
        nrows, ncols: grid of axes.

    Returns:
        ``(fig, ax)`` with one ``Axes``, or ``(fig, axes)`` with an array of them.
    """
    with style():
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def freeze_layout(fig: Figure) -> None:
    """Lay a figure out once and keep that layout: later redraws skip the layout engine.

    For a figure that is redrawn many times with new data but the same axes
    (an explorer's), this halves the time per image. Set titles and labels
    first, so the frozen layout leaves room for them.
    """
    with style():
        fig.canvas.draw()
    fig.set_layout_engine("none")


def animate(*artists) -> None:
    """Mark artists that change between frames (lines, images, titles of an explorer's figure).

    `fig_to_png` then draws everything else once, keeps that picture, and on
    later calls redraws only the marked artists over it: several times faster.
    Everything not marked must stay as it is (fixed axis limits, ticks, labels).
    """
    for artist in artists:
        artist.set_animated(True)


# The picture of each figure without its animated artists, keyed by (dpi, size in pixels).
_backgrounds: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _draw(fig: Figure) -> None:
    """Draw the figure on its Agg canvas, reusing the cached background when artists are animated."""
    canvas = fig.canvas
    animated = fig.findobj(lambda artist: artist.get_animated())
    if not animated:
        canvas.draw()
        return
    key = (fig.dpi, canvas.get_width_height())
    cached = _backgrounds.get(fig)
    if cached is not None and cached[0] == key:
        canvas.restore_region(cached[1])
    else:
        canvas.draw()  # matplotlib leaves animated artists out of a full draw
        _backgrounds[fig] = (key, canvas.copy_from_bbox(fig.bbox))
    for artist in sorted(animated, key=lambda a: a.get_zorder()):
        fig.draw_artist(artist)


def fig_to_png(fig: Figure, dpi: float = 100, *, colors: int | None = None) -> bytes:
    """Render a figure to PNG bytes.

    Args:
        fig: a figure from `new_figure` (any Agg-backed figure works).
        dpi: dots per inch; the image is ``width * dpi`` pixels wide.
        colors: if given, reduce the image to this many colors: a smaller file
            for the static website (flat figures barely change); ``None`` keeps
            every color and encodes fast, for live explorers.

    Returns:
        The PNG file's bytes.
    """
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    with style():
        _draw(fig)
    rgba = np.asarray(fig.canvas.buffer_rgba())  # (H, W, 4) uint8, a view of the canvas
    image = Image.fromarray(rgba[..., :3])  # (H, W, 3): figures are opaque
    buffer = io.BytesIO()
    if colors is None:
        # Level 1: nearly as small as the default, several times faster to encode.
        image.save(buffer, format="png", compress_level=1)
    else:
        # Octree keeps small areas' colors (a thin path) true; dithering would only add noise to compress.
        palette = image.quantize(colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        palette.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def plot_contours(ax: Axes, f: Callable[[np.ndarray, np.ndarray], np.ndarray],
                  xlim: tuple[float, float], ylim: tuple[float, float], *,
                  levels: int = 12, n: int = 160, minimum: Sequence[float] | None = None) -> None:
    """Contour lines of a surface z = f(x, y), spaced geometrically above its minimum.

    Args:
        ax: where to draw.
        f: vectorized surface, ``f(X, Y) -> Z`` for arrays of one shape.
        xlim, ylim: the plotted window.
        levels: number of contour lines.
        n: grid points per axis.
        minimum: ``(x, y)`` of the minimum, marked with a star if given.
    """
    x = np.linspace(*xlim, n)
    y = np.linspace(*ylim, n)
    X, Y = np.meshgrid(x, y)  # (n, n) each
    Z = f(X, Y)
    # Geometric spacing shows the valley floor and the steep walls equally well.
    z_min, z_max = float(Z.min()), float(np.percentile(Z, 95))
    offset = 1e-3 * (z_max - z_min) + 1e-12
    heights = z_min + np.geomspace(offset, z_max - z_min + offset, levels)
    with style():
        ax.contour(X, Y, Z, levels=heights, colors="0.65", linewidths=0.7)
        if minimum is not None:
            ax.plot(*minimum, marker="*", markersize=10, color=PALETTE["black"], linestyle="none")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel("x")
        ax.set_ylabel("y")


def plot_path(ax: Axes, path: np.ndarray, *, color: str = PALETTE["vermillion"],
              label: str | None = None) -> list:
    """An optimizer's path: points joined by lines, start hollow, end filled.

    Args:
        ax: where to draw.
        path: ``(T, 2)`` positions, the first row is the start.
        color: line color.
        label: legend entry.

    Returns:
        The artists drawn (line, start marker, end marker), to update or remove.
    """
    path = np.asarray(path)
    with style():
        line, = ax.plot(path[:, 0], path[:, 1], "-o", color=color, markersize=2.5,
                        linewidth=1.2, label=label, clip_on=True)
        start, = ax.plot(path[:1, 0], path[:1, 1], "o", markersize=7, markerfacecolor="white",
                         markeredgecolor=color, markeredgewidth=1.5)
        end, = ax.plot(path[-1:, 0], path[-1:, 1], "o", markersize=6, color=color)
    return [line, start, end]


def class_rgb(probs: np.ndarray) -> np.ndarray:
    """Blend the class colors by predicted probability, lightened to sit behind points.

    Args:
        probs: ``(..., K)`` class probabilities, each row summing to 1.

    Returns:
        ``(..., 3)`` RGB values in [0, 1].
    """
    K = probs.shape[-1]
    colors = np.array([matplotlib.colors.to_rgb(c) for c in CLASS_COLORS[:K]])  # (K, 3)
    rgb = probs @ colors  # (..., 3)
    # Confident regions keep their color; uncertain ones fade towards white.
    confidence = (probs.max(axis=-1, keepdims=True) - 1 / K) / (1 - 1 / K)
    lightness = 0.5 + 0.3 * (1 - confidence)
    return np.clip(rgb * (1 - lightness) + lightness, 0, 1)


def plot_decision_surface(ax: Axes, probs: np.ndarray, xlim: tuple[float, float],
                          ylim: tuple[float, float]):
    """Color the plane by a classifier's predicted class.

    Args:
        ax: where to draw.
        probs: ``(n, n, K)`` probabilities on a grid whose row i is ``y[i]``
            and column j is ``x[j]`` (as from ``np.meshgrid``).
        xlim, ylim: the window the grid covers.

    Returns:
        The ``AxesImage``; update it cheaply with ``image.set_data(class_rgb(new_probs))``.
    """
    with style():
        image = ax.imshow(class_rgb(probs), origin="lower", extent=(*xlim, *ylim),
                          interpolation="bilinear", aspect="auto")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
    return image


def plot_points(ax: Axes, x: np.ndarray, y: np.ndarray, *, hollow: bool = False,
                size: float = 14) -> None:
    """A 2-D data set, one color (and marker) per class.

    Args:
        ax: where to draw.
        x: ``(N, 2)`` points.
        y: ``(N,)`` integer class labels.
        hollow: draw rings instead of discs (e.g. for test points).
        size: marker area in points².
    """
    markers = "o^sDv"
    with style():
        for k in np.unique(y):
            pts = x[y == k]
            color = CLASS_COLORS[int(k) % len(CLASS_COLORS)]
            ax.scatter(pts[:, 0], pts[:, 1], s=size, marker=markers[int(k) % len(markers)],
                       facecolors="white" if hollow else color,
                       edgecolors=color if hollow else "white", linewidths=0.8 if hollow else 0.5)


def plot_curves(ax: Axes, curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], *,
                xlabel: str = "epoch", ylabel: str = "loss", logy: bool = False,
                ylim: tuple[float, float] | None = None, xmax: float | None = None) -> dict:
    """Training curves (loss or accuracy against epoch), one line per entry.

    Args:
        ax: where to draw.
        curves: ``{label: (xs, ys)}``, e.g. ``{"train": (epochs, losses)}``.
        xlabel, ylabel: axis labels.
        logy: logarithmic y axis (losses).
        ylim: fixed y range; ``None`` lets matplotlib choose.
        xmax: fixed right end of the x axis, so a growing curve does not rescale it.

    Returns:
        ``{label: Line2D}`` to update with ``line.set_data(xs, ys)``.
    """
    lines = {}
    with style():
        for label, (xs, ys) in curves.items():
            dashed = label.lower().startswith(("test", "val"))
            lines[label], = ax.plot(xs, ys, label=label, linestyle="--" if dashed else "-")
        if logy:
            ax.set_yscale("log")
        if ylim is not None:
            ax.set_ylim(*ylim)
        if xmax is not None:
            ax.set_xlim(0, xmax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="best")
    return lines


def annotate_diverged(ax: Axes, step: int, *, what: str = "step"):
    """Write "diverged at step k" across the middle of the axes.

    Args:
        ax: the axes to mark.
        step: where the loss first became NaN or infinite.
        what: the counter's name ("step", "epoch").

    Returns:
        The ``Text`` artist (remove it with ``text.remove()``).
    """
    with style():
        return ax.text(0.5, 0.5, f"diverged at {what} {step}", transform=ax.transAxes,
                       ha="center", va="center", fontsize=12, fontweight="bold",
                       color=PALETTE["vermillion"], zorder=10,
                       bbox={"boxstyle": "round,pad=0.4", "facecolor": "white",
                             "edgecolor": PALETTE["vermillion"], "alpha": 0.92})
