"""Scaling and masking: how √d, a temperature and a causal mask shape the attention weights.

Eight queries and eight keys with d random entries each (standard normal, fixed
seed) give the scores q·k. Their spread grows like √d, so without the 1/√d
scale a large d drives the softmax to put nearly all weight on one key (it
saturates, and its gradient vanishes); with it, the scores keep unit spread for
every d. A temperature τ divides the scores once more: τ < 1 sharpens, τ > 1
flattens. The causal mask removes the keys after each query.

Left: the 8 x 8 weights (a row per query, masked cells shaded; the outlined
row is query 6). Right: query 6's weights as bars, and its output (red line),
the weighted mean of the values v_j = j - 1 of keys j = 1..8, so the output
says where the weight sits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matplotlib.patches import Rectangle

from dlbook import viz
from dlbook.attention import causal_mask, scaled_dot_product_attention
from dlbook.widgets import Choice, Explorer, LogSlider, Toggle

__all__ = ["scaling_explorer", "ScalingResult", "run", "readout", "T", "QUERY"]

T = 8  # queries and keys
QUERY = 5  # the query shown as bars (the 6th: with the mask it sees 6 keys)
DIMS = (4, 16, 64, 256, 1024)


@dataclass(frozen=True)
class ScalingResult:
    d: int
    scaled: bool
    temperature: float
    masked: bool
    scores: np.ndarray  # (T, T), after scale and temperature, before the mask
    weights: np.ndarray  # (T, T)
    output: np.ndarray  # (T,), the weighted mean of v_j = j for each query


def run(d: int, scaled: bool, temperature: float, masked: bool) -> ScalingResult:
    """Weights of 8 random queries over 8 random keys of d dimensions (seeded by d)."""
    d = int(d)
    if d <= 0 or not temperature > 0:
        raise ValueError(f"Invalid d / temperature: {d} / {temperature}")
    rng = np.random.default_rng([7, d])
    q, k = rng.standard_normal((T, d)), rng.standard_normal((T, d))
    v = np.arange(T, dtype=float)[:, None]  # (T, 1): value j is the number j
    scale = (1 / np.sqrt(d) if scaled else 1.0) / temperature
    out, A = scaled_dot_product_attention(q, k, v, causal_mask(T) if masked else None, scale=scale)
    return ScalingResult(d, bool(scaled), float(temperature), bool(masked), q @ k.T * scale, A, out[:, 0])


def readout(r: ScalingResult) -> str:
    top = r.weights.max(axis=1).mean()
    how = "scores / √d" if r.scaled else "unscaled scores"
    mask = ", causal mask" if r.masked else ""
    return (f"d = {r.d}, {how}, temperature {r.temperature:g}{mask}: the scores' standard deviation is "
            f"{r.scores.std():.1f}; each query puts on average {top:.0%} of its weight on its top key; "
            f"query {QUERY + 1}'s output is {r.output[QUERY]:.2f}.")


class _Drawing:
    """Heatmap and bars, built once; the image, bars and titles change in place."""

    def __init__(self) -> None:
        self.fig = None

    def _build(self) -> None:
        fig, (ax_h, ax_b) = viz.new_figure(6.2, 2.7, ncols=2)
        with viz.style():
            self.im = ax_h.imshow(np.zeros((T, T)), cmap="Blues", vmin=0, vmax=1)
            ax_h.set_xticks(range(T), [str(j + 1) for j in range(T)])
            ax_h.set_yticks(range(T), [str(i + 1) for i in range(T)])
            ax_h.set_xlabel("key")
            ax_h.set_ylabel("query")
            # Hatching over the masked cells (upper triangle), shown only with the mask.
            self.hatch = ax_h.imshow(np.ma.masked_where(~np.triu(np.ones((T, T), bool), 1), np.ones((T, T))),
                                     cmap="Greys", vmin=0, vmax=4, alpha=0.6)
            self.row = ax_h.add_patch(Rectangle((-0.5, QUERY - 0.5), T, 1, fill=False, linewidth=1.5,
                                                edgecolor=viz.PALETTE["vermillion"]))  # drawn as bars, right
            fig.colorbar(self.im, ax=ax_h, shrink=0.8, label="weight")
            self.bars = ax_b.bar(np.arange(1, T + 1), np.zeros(T), color=viz.PALETTE["blue"])
            (self.out_line,) = ax_b.plot([1, 1], [0, 1.05], color=viz.PALETTE["vermillion"], linewidth=1.5)
            ax_b.set_ylim(0, 1.05)
            ax_b.set_xlim(0.4, T + 0.6)
            ax_b.set_xticks(range(1, T + 1))
            ax_b.set_xlabel("key (its value: key number − 1)")
            ax_b.set_ylabel(f"weight of query {QUERY + 1}")
            ax_h.set_title(" ")
            ax_b.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(self.im, self.hatch, self.row, self.out_line, *self.bars, ax_h.title, ax_b.title)
        self.fig, self.ax_h, self.ax_b = fig, ax_h, ax_b

    def __call__(self, r: ScalingResult):
        if self.fig is None:
            self._build()
        self.im.set_data(r.weights)
        self.hatch.set_visible(r.masked)
        for bar, w in zip(self.bars, r.weights[QUERY]):
            bar.set_height(w)
        x = r.output[QUERY] + 1  # value j sits at bar j + 1
        self.out_line.set_data([x, x], [0, 1.05])
        self.ax_h.set_title(f"d = {r.d}, {'÷√d' if r.scaled else 'no scale'}, τ = {r.temperature:g}")
        self.ax_b.set_title(f"query {QUERY + 1}: top {r.weights[QUERY].max():.2f}, output {r.output[QUERY]:.2f}")
        return self.fig


def scaling_explorer() -> Explorer:
    """The explorer: dimension d, the 1/√d scale on or off, temperature, causal mask.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "d": Choice("dimension d", DIMS, 256, static=(4, 64, 256, 1024)),
        "scaled": Toggle("divide by √d", default=False),
        "temperature": LogSlider("temperature τ", 0.2, 5.0, default=1.0, static=(0.5, 1.0, 2.0)),
        "masked": Toggle("causal mask", default=False),
    }
    return Explorer(controls, run, _Drawing(), readout=readout,
                    title="Scaled dot-product attention: √d, temperature and the causal mask",
                    alt="Left, a heatmap of eight queries' attention weights over eight keys, masked cells "
                        "hatched; right, one query's weights as bars with its output marked by a red line.",
                    dpi=100, static_dpi=72)
