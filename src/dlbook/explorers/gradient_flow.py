"""Gradient flow through time: how much does the last step's loss feel the input of step t?

A recurrent layer (RNN, LSTM or GRU; 4 inputs, 32 units, PyTorch's uniform
initialization, the recurrent weights W_h then multiplied by `weight_scale`)
reads a fixed random batch of 8 sequences. The loss depends on the last
hidden state only, L = sum(h_T ⊙ R) with a fixed random R, so backpropagation
through time carries the gradient from step T back to step 1. The profile is
the norm of ∂L/∂x_t, the gradient reaching the input of each step: through a
plain RNN it is multiplied at every step by W_hᵀ and tanh's slope, so it
shrinks or grows geometrically; the LSTM's cell state gives it an additive path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import FixedLocator, NullLocator

from dlbook import viz
from dlbook.rnn import GRU, LSTM, RNN
from dlbook.widgets import Choice, Explorer, Slider

__all__ = ["gradient_flow_explorer", "FlowProfile", "gradient_through_time", "CELLS"]

CELLS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
N, D, H = 8, 4, 32
MAX_LENGTH = 100
Y_RANGE = (1e-12, 1e6)
COLORS = {"RNN": viz.PALETTE["vermillion"], "LSTM": viz.PALETTE["blue"], "GRU": viz.PALETTE["green"]}


@dataclass(frozen=True)
class FlowProfile:
    """The settings and ``norms[t - 1] = ||∂L/∂x_t||`` for t = 1..length."""

    cell: str
    length: int
    weight_scale: float
    gate_bias: float
    norms: np.ndarray

    @property
    def ratio(self) -> float:
        """Gradient at step 1 over that at step T: < 1 vanishing, > 1 exploding."""
        return float(self.norms[0] / self.norms[-1]) if self.norms[-1] > 0 else math.inf


def gradient_through_time(cell: str, length: int, weight_scale: float = 1.0, gate_bias: float = 0.0,
                          seed: int = 0) -> FlowProfile:
    """One forward and backward pass (float64); the gradient norm reaching each step's input.

    Args:
        cell: a key of `CELLS`. length: T, the number of steps.
        weight_scale: multiplies the recurrent weights W_h.
        gate_bias: added to the bias of the gate that keeps the state (the LSTM's forget gate,
            the GRU's update gate); ignored for the RNN, which has none.
        seed: seeds weights, inputs and R.
    """
    if cell not in CELLS:
        raise ValueError(f"Invalid cell: {cell!r} (expected one of {list(CELLS)})")
    if not 1 <= length <= MAX_LENGTH:
        raise ValueError(f"Invalid length: {length} (expected 1..{MAX_LENGTH})")
    rng = np.random.default_rng(seed)
    layer = CELLS[cell](D, H, rng=rng)
    layer.params["W_h"] *= weight_scale  # our own new layer: scaling in place is safe
    if cell != "RNN":
        layer.params["b"][H : 2 * H] += gate_bias  # f (LSTM: i, f, g, o) or z (GRU: r, z, n)
    x = rng.standard_normal((N, int(length), D))
    h = layer.forward(x)
    dh = np.zeros_like(h)
    dh[:, -1] = rng.standard_normal((N, H))  # L = sum(h_T * R): only the last step is judged
    with np.errstate(over="ignore", invalid="ignore"):
        dx = layer.backward(dh)  # (N, T, D)
        norms = np.sqrt(np.sum(dx * dx, axis=(0, 2)))
    return FlowProfile(cell, int(length), float(weight_scale), float(gate_bias), norms)


def run(cell: str, length: int, weight_scale: float, gate_bias: float) -> FlowProfile:
    return gradient_through_time(cell, int(length), weight_scale, gate_bias)


def describe(profile: FlowProfile) -> str:
    """The gradient at step 1 over that at step T, in words."""
    if not np.all(np.isfinite(profile.norms)):
        return "The gradient overflowed: it exploded beyond floating-point range."
    r = profile.ratio
    trend = "vanishing" if r < 0.01 else "exploding" if r > 100 else "about steady"
    return (f"{profile.cell}, {profile.length} steps, weight scale {profile.weight_scale:g}: step 1 gets "
            f"{r:.1e} times the gradient of step {profile.length} ({trend}).")


class _Drawing:
    """One reusable figure: the line is replaced on every draw."""

    def __init__(self) -> None:
        self.fig = None

    def _build(self) -> None:
        fig, ax = viz.new_figure(5.4, 2.8)
        with viz.style():
            ax.set_yscale("log")
            ax.set_ylim(*Y_RANGE)
            ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(-12, 7, 3)))
            ax.yaxis.set_minor_locator(NullLocator())
            ax.set_xlim(0, MAX_LENGTH + 1)
            ax.set_xlabel("time step t (T = the last, where the loss is)")
            ax.set_ylabel("‖∂L/∂x_t‖")
            ax.grid(True, axis="y", color="0.9", linewidth=0.6)
            (self.line,) = ax.plot([], [], "-", linewidth=1.8)
            ax.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(self.line, ax.title)
        self.fig, self.ax = fig, ax

    def __call__(self, profile: FlowProfile):
        if self.fig is None:
            self._build()
        low, high = Y_RANGE
        shown = np.clip(np.nan_to_num(profile.norms, nan=high, posinf=high), low, high)
        self.line.set_data(np.arange(1, profile.length + 1), shown)
        self.line.set_color(COLORS[profile.cell])
        gate = f", gate bias {profile.gate_bias:+g}" if profile.cell != "RNN" else ""
        self.ax.set_title(f"{profile.cell}, {profile.length} steps, W_h × {profile.weight_scale:g}{gate}")
        return self.fig


def gradient_flow_explorer() -> Explorer:
    """The explorer: cell type, sequence length, the scale of the recurrent weights and the keeping gate's bias.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "cell": Choice("cell", tuple(CELLS), "RNN"),
        "length": Slider("sequence length T", 10, MAX_LENGTH, 10, default=50, static=(20, 50, 100)),
        "weight_scale": Slider("recurrent weight scale", 0.5, 4.0, 0.5, default=1.0, static=(1.0, 2.0, 4.0)),
        "gate_bias": Slider("forget/update gate bias", 0.0, 5.0, 1.0, default=0.0, static=(0.0, 5.0),
                            when={"cell": ("LSTM", "GRU")}),
    }
    return Explorer(
        controls, run, _Drawing(), readout=describe, title="Gradient flow through time",
        alt="Line plot on a logarithmic scale of the size of the gradient that reaches the input of each "
            "time step, from step 1 on the left to the last step, where the loss is, on the right.",
        dpi=100, static_dpi=100)
