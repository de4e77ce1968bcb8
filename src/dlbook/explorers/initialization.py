"""The initialization explorer: pick a weight scale and an activation; watch the activations through 5 layers.

The experiment: 1,000 random inputs (each 100 standard-normal numbers) pass
through 5 fully connected layers of 100 units, with no bias, each followed by
the activation. The weights of every layer are drawn from N(0, std²), with std

* 1 or 0.01 (the same for every layer),
* Xavier: sqrt(2 / (fan_in + fan_out)) = 0.1 for 100 -> 100 units,
* He: sqrt(2 / fan_in) ≈ 0.141,
* or any std chosen with a slider.

``run`` computes the five layers' activations (`layer_activations`); ``draw``
shows one histogram per layer (`plot_histograms`). Every setting uses the same
random numbers, only scaled differently, so two settings differ in the scale
alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from dlbook import init, viz
from dlbook.functional import relu, sigmoid, tanh
from dlbook.widgets import Choice, Explorer, LogSlider

__all__ = ["initialization_explorer", "layer_activations", "weight_std", "run", "spreads", "saturated",
           "plot_histograms", "InitRun", "ACTIVATIONS", "SCALES", "SAMPLES", "UNITS", "LAYERS",
           "weight_gradient_norms", "unit_spread"]

SAMPLES, UNITS, LAYERS = 1000, 100, 5
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "ReLU": relu}
SCALES = ("std 1", "std 0.01", "Xavier", "He", "custom std")
# The x axis of every histogram: the activation's range (ReLU's is open above, so cut at 4).
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "ReLU": (0.0, 4.0)}
BINS = 30
SATURATED = 0.01  # an activation this close to sigmoid's or tanh's limits has a gradient near 0


def weight_std(scale: str, std: float = 0.1, units: int = UNITS) -> float:
    """The standard deviation of the weights for a scale in `SCALES` (`std` is used by "custom std")."""
    fan_in, fan_out = init.fan_in_out((units, units))
    stds = {"std 1": 1.0, "std 0.01": 0.01, "Xavier": math.sqrt(2.0 / (fan_in + fan_out)),
            "He": math.sqrt(2.0 / fan_in), "custom std": float(std)}
    if scale not in stds:
        raise ValueError(f"Invalid scale: {scale!r} (expected one of {SCALES})")
    return stds[scale]


def layer_activations(activation: str, std: float, *, samples: int = SAMPLES, units: int = UNITS,
                      layers: int = LAYERS, seed: int = 0) -> list[np.ndarray]:
    """The activations of each layer for random inputs: ``a_k = f(a_{k-1} @ W_k)``, ``a_0 = x``.

    Args:
        activation: a key of `ACTIVATIONS` ("sigmoid", "tanh", "ReLU").
        std: the standard deviation of every weight, W_k ~ N(0, std²).
        samples, units, layers: x: (samples, units); each W_k: (units, units).
        seed: seeds the inputs and the weights (drawn in that order, layer by layer).

    Returns:
        `layers` arrays, each (samples, units): the activations after layer 1, 2, ...
    """
    f = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((samples, units))  # (N, units)
    out = []
    for _ in range(layers):
        W = init.normal((units, units), rng, std=std)
        a = f(a @ W)  # (N, units)
        out.append(a)
    return out


def weight_gradient_norms(activation: str, std: float, *, samples: int = SAMPLES, units: int = UNITS,
                          layers: int = LAYERS, seed: int = 0) -> list[float]:
    """The size of dL/dW_k for each layer of the `layer_activations` stack (same inputs, same weights).

    The loss is L = sum(a_L * R) / samples with R a fixed standard-normal array (seeded with
    seed + 1): an arbitrary gradient arriving at the last layer, as a loss would send one. Going
    back, each layer multiplies it by the activation's slope f'(z) and by W_k^T.

    Returns:
        `layers` numbers: the Frobenius norm of dL/dW_1, ..., dL/dW_L. Their ratios, not their
        sizes, are the point: layer 1 / layer L near 1 means the gradient reaches the first layer.
    """
    f = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((samples, units))  # (N, units): drawn as in layer_activations
    inputs, outputs, weights = [], [], []
    for _ in range(layers):
        W = init.normal((units, units), rng, std=std)
        inputs.append(a)
        a = f(a @ W)  # (N, units)
        outputs.append(a)
        weights.append(W)
    dout = np.random.default_rng(seed + 1).standard_normal(a.shape) / samples  # dL/da_L
    norms = []
    for a_in, a_out, W in zip(reversed(inputs), reversed(outputs), reversed(weights)):
        slope = {"sigmoid": a_out * (1 - a_out), "tanh": 1 - a_out**2, "ReLU": (a_out > 0) * 1.0}[activation]
        dz = dout * slope  # dL/dz for z = a_in @ W
        norms.append(float(np.linalg.norm(a_in.T @ dz)))  # dL/dW = a_in^T dz
        dout = dz @ W.T  # dL/da_in
    return norms[::-1]


def unit_spread(acts: np.ndarray) -> tuple[float, float]:
    """``(per-unit, pooled)`` spread of one layer's activations ``acts: (samples, units)``.

    per-unit: each unit's standard deviation across the inputs, averaged over the units -- how
    much one unit's output tells the inputs apart. pooled: the standard deviation of all the
    numbers together, what a histogram of the layer shows. A layer can look spread out (pooled
    large) while every unit is nearly constant (per-unit tiny): then the spread is *between*
    units, and the layer no longer carries anything about the input.
    """
    return float(acts.std(axis=0).mean()), float(acts.std())


@dataclass(frozen=True, eq=False)  # == on arrays has no single truth value
class InitRun:
    """One setting and the activations it gives, layer by layer."""

    scale: str
    std: float
    activation: str
    activations: list[np.ndarray]

    @property
    def name(self) -> str:
        if self.scale in ("std 1", "std 0.01"):
            shown = self.scale
        elif self.scale == "custom std":
            shown = f"std {self.std:g}"
        else:
            shown = f"{self.scale} (std {self.std:.3g})"
        return f"{self.activation}, weights {shown}"


def spreads(result: InitRun) -> list[float]:
    """The standard deviation of each layer's activations."""
    return [float(a.std()) for a in result.activations]


def saturated(a: np.ndarray, activation: str) -> float:
    """The fraction of activations at a flat end: within 0.01 of sigmoid's 0 or 1 or tanh's ±1; ReLU's zeros."""
    if activation == "ReLU":
        return float(np.mean(a == 0))
    low, high = RANGES[activation]
    return float(np.mean((a < low + SATURATED) | (a > high - SATURATED)))


def run(scale: str, std: float, activation: str) -> InitRun:
    """The five layers' activations for this weight scale and activation."""
    sigma = weight_std(scale, std)
    return InitRun(scale, sigma, activation, layer_activations(activation, sigma))


def readout(result: InitRun) -> str:
    """The spread per layer in words, and how many activations sit where the gradient vanishes."""
    spread = ", ".join(_format_std(s) for s in spreads(result))
    last = saturated(result.activations[-1], result.activation)
    where = "exactly 0" if result.activation == "ReLU" else "at a flat end (gradient ≈ 0)"
    return (f"{result.name}: std of the activations, layers 1 to {len(result.activations)}: {spread}. "
            f"Layer {len(result.activations)}: {last:.0%} {where}.")


def _format_std(s: float) -> str:
    """Two significant digits, written out in full when large (18,000 rather than 1.8e+04)."""
    return f"{float(f'{s:.2g}'):,.0f}" if s >= 100 else f"{s:.2g}"


def plot_histograms(axes: Sequence[Axes], activations: Sequence[np.ndarray], activation: str, *,
                    color: str = viz.PALETTE["blue"]) -> list:
    """One histogram per layer, on the activation's range, into a row of axes.

    ReLU's exact zeros (about half of its outputs) are left out, so the rest stays visible.
    Values beyond the range (a ReLU network blowing up) are drawn as one vermillion bar at the
    right edge. Each panel is scaled to its own tallest bar: what matters is where the values lie.
    Each panel's title gives the layer and the standard deviation of its activations.

    Returns:
        The artists drawn, to remove before the next draw.
    """
    low, high = RANGES[activation]
    artists = []
    with viz.style():
        for k, (ax, a) in enumerate(zip(axes, activations), start=1):
            values = a.ravel()
            if activation == "ReLU":
                values = values[values > 0]
            beyond = int(np.sum(values > high))
            counts, edges = np.histogram(values, bins=BINS, range=(low, high))
            width = edges[1] - edges[0]
            # One filled outline per panel: far cheaper to draw than a rectangle per bar.
            artists.append(ax.stairs(counts, edges, fill=True, color=color, linewidth=0))
            if beyond:
                artists.append(ax.stairs([beyond], [high - width, high], fill=True,
                                         color=viz.PALETTE["vermillion"], linewidth=0))
            ax.set_xlim(low, high)
            ax.set_ylim(0, max(int(counts.max()), beyond, 1) * 1.05)
            ax.set_yticks([])
            ax.spines["left"].set_visible(False)
            ax.set_title(f"layer {k}\nstd {_format_std(float(a.std()))}", fontsize=8.5)
    return artists


class _Drawing:
    """One reusable figure per activation: the axes are kept, the bars replaced on every draw."""

    def __init__(self) -> None:
        self.figures: dict[str, tuple] = {}

    def __call__(self, result: InitRun):
        if result.activation not in self.figures:
            fig, axes = viz.new_figure(6.4, 1.9, ncols=LAYERS)
            low, high = RANGES[result.activation]
            for ax in axes:
                ax.set_xticks([low, (low + high) / 2, high])
                ax.set_title(" \n ", fontsize=8.5)
            fig.suptitle(" ", fontsize=10)
            viz.freeze_layout(fig)
            self.figures[result.activation] = (fig, axes, [])
        fig, axes, artists = self.figures[result.activation]
        for artist in artists:
            artist.remove()
        artists.clear()
        artists += plot_histograms(axes, result.activations, result.activation)
        fig.suptitle(f"{result.name}: activations after each layer", fontsize=10)
        return fig


def initialization_explorer() -> Explorer:
    """The explorer: weight scale (std 1, std 0.01, Xavier, He or a chosen std) and activation.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "scale": Choice("weights", SCALES, "Xavier"),
        "std": LogSlider("std", 1e-3, 10.0, default=0.2, static=(0.05, 0.2, 0.5),
                         when={"scale": ("custom std",)}),
        "activation": Choice("activation", tuple(ACTIVATIONS), "sigmoid"),
    }
    return Explorer(
        controls, run, _Drawing(), readout=readout, title="Activations through five layers",
        alt="Five histograms side by side, one per layer, of the activations of 1,000 random inputs "
            "passing through five layers of 100 units.",
        dpi=100, static_dpi=80)
