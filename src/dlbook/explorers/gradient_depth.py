"""Depth and activation: how large is the gradient that reaches each layer of a deep network?

The network: `depth` hidden layers of 64 units, each a `Linear` followed by an
activation, then a `Linear` to the 10 digit scores and softmax with
cross-entropy. With ``residual=True`` every hidden layer becomes a block with a
shortcut, ``h <- h + act(h W + b)``, so in the backward pass the gradient also
flows straight past the block.

One forward and one backward pass on a fixed batch of 50 standardized digits
give, for every hidden layer l, the gradient with respect to its weighted sum
z_l = h_{l-1} W_l + b_l. Both of the layer's parameter gradients are built from
it (dW_l = h_{l-1}^T dz_l, db_l = sum over the batch of dz_l), so its size says
how fast layer l can learn. Its Frobenius norm, layer by layer, is the profile
the explorer draws: with sigmoid it shrinks towards the input (vanishing
gradients); with weights that are too large it grows (exploding gradients).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

from dlbook import viz
from dlbook.data import load_digits, standardize
from dlbook.init import he, xavier
from dlbook.layers import Layer, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.widgets import Choice, Explorer, Slider, Toggle

__all__ = ["gradient_depth_explorer", "GradientProfile", "DeepNet", "build_network", "forward_backward",
           "gradient_profile", "digits_batch", "ACTIVATIONS", "WIDTH"]

# Each activation with the initialization made for it: Xavier keeps sigmoid/tanh
# inputs in their sensitive range, He keeps the scale through (Leaky) ReLU.
ACTIVATIONS = {"sigmoid": (Sigmoid, xavier), "tanh": (Tanh, xavier), "ReLU": (ReLU, he),
               "LeakyReLU": (LeakyReLU, he)}
WIDTH = 64  # units per hidden layer: the digits' 64 pixels, so a shortcut fits from the first layer on
BATCH = 50  # 50 x 64 x 64 matrix products: small enough that BLAS stays on one thread
MAX_DEPTH = 40
Y_RANGE = (1e-16, 1e8)  # the plot's fixed vertical range, so that settings compare at a glance


@lru_cache(maxsize=1)
def digits_batch() -> tuple[np.ndarray, np.ndarray]:
    """The first 50 training digits, standardized (float64): ``x: (50, 64)``, ``y: (50,)``."""
    digits = load_digits(dtype=np.float64)
    x_train, _mean, _std = standardize(digits.x_train)
    return x_train[:BATCH], digits.y_train[:BATCH]


@dataclass
class DeepNet:
    """The hidden layers (a `Linear` and an activation each), the output layer and the shortcut switch."""

    linears: list[Linear]
    activations: list[Layer]
    head: Linear
    residual: bool


def build_network(depth: int, activation: str, *, residual: bool = False, weight_scale: float = 1.0,
                  seed: int = 0) -> DeepNet:
    """`depth` hidden layers of `WIDTH` units; weights drawn with the activation's init times `weight_scale`.

    Args:
        depth: number of hidden layers, >= 1.
        activation: a key of `ACTIVATIONS`.
        residual: add a shortcut around every hidden layer.
        weight_scale: multiplies the standard deviation of every hidden layer's initial weights.
        seed: seeds the weights.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Invalid activation: {activation!r} (expected one of {list(ACTIVATIONS)})")
    if depth < 1:
        raise ValueError(f"Invalid depth: {depth}")
    Act, init = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    linears = [Linear(WIDTH, WIDTH, rng=rng, weight_init=init) for _ in range(depth)]
    for linear in linears:
        linear.params["W"] *= weight_scale  # the layer is ours and new: scaling in place is safe
    head = Linear(WIDTH, 10, rng=rng, weight_init=xavier)
    return DeepNet(linears, [Act() for _ in range(depth)], head, residual)


@dataclass(frozen=True)
class GradientProfile:
    """The settings, the loss and ``norms[l - 1] = ||dL/dz_l||`` for hidden layers l = 1..depth."""

    depth: int
    activation: str
    residual: bool
    weight_scale: float
    loss: float
    norms: np.ndarray  # (depth,)

    @property
    def ratio(self) -> float:
        """Gradient size at the first hidden layer over that at the last: < 1 vanishing, > 1 exploding."""
        return float(self.norms[0] / self.norms[-1]) if self.norms[-1] > 0 else math.inf


def forward_backward(net: DeepNet, x: np.ndarray,
                     y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """One forward and one backward pass: the loss and dL/dz_l, layer 1 first.

    Fills every layer's parameter gradients on the way, as any backward pass does.
    """
    loss_fn = SoftmaxCrossEntropy()
    h = x
    for linear, act in zip(net.linears, net.activations):
        a = act.forward(linear.forward(h))
        h = h + a if net.residual else a
    loss = loss_fn.forward(net.head.forward(h), y)
    dh = net.head.backward(loss_fn.backward())
    dz = []
    for linear, act in zip(reversed(net.linears), reversed(net.activations)):
        dz.append(act.backward(dh))  # (N, WIDTH): the gradient reaching this layer
        dx = linear.backward(dz[-1])
        # With a shortcut, dh also flows past the block unchanged: the two add up.
        dh = dh + dx if net.residual else dx
    return loss, dz[::-1]


def gradient_profile(depth: int, activation: str, *, residual: bool = False,
                     weight_scale: float = 1.0, seed: int = 0) -> GradientProfile:
    """The network of these settings, one pass on `digits_batch`; ||dL/dz_l|| for every layer l."""
    net = build_network(depth, activation, residual=residual, weight_scale=weight_scale, seed=seed)
    loss, dz = forward_backward(net, *digits_batch())
    norms = np.array([np.linalg.norm(g) for g in dz])
    return GradientProfile(depth, activation, residual, weight_scale, float(loss), norms)


def run(depth: int, activation: str, residual: bool, weight_scale: float) -> GradientProfile:
    return gradient_profile(int(depth), activation, residual=residual, weight_scale=weight_scale)


def describe(profile: GradientProfile) -> str:
    """The gradient at the first hidden layer over that at the last, in words, and the loss."""
    r = profile.ratio
    if not math.isfinite(profile.loss) or not np.all(np.isfinite(profile.norms)):
        return "The values overflowed: the gradients exploded beyond floating-point range."
    if r < 0.1:
        trend = "vanishing"
    elif r > 10:
        trend = "exploding"
    else:
        trend = "about steady"
    return (f"Layer 1 gets {r:.1e} times the gradient of layer {profile.depth} ({trend}); "
            f"loss {profile.loss:.3g}.")


class _Drawing:
    """One reusable figure: the line and the off-scale markers are replaced on every draw."""

    def __init__(self) -> None:
        self.fig = None

    def _build(self) -> None:
        fig, ax = viz.new_figure(5.6, 3.0)
        ax.set_yscale("log")
        ax.set_ylim(*Y_RANGE)
        # A tick every 4 decades and no minor ticks: 24 decades of labels would crowd (and slow) every frame.
        ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(-16, 9, 4)))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        ax.set_xlabel("hidden layer (1 = next to the input)")
        ax.set_ylabel("‖∂L/∂z‖ reaching the layer")
        ax.grid(True, axis="y", color="0.9", linewidth=0.6)
        ax.set_title(" ")
        ax.set_xlim(0.5, MAX_DEPTH + 0.5)  # fixed: the line's length shows the depth
        viz.freeze_layout(fig)
        viz.animate(ax.title)
        self.fig, self.ax, self.artists = fig, ax, []

    def __call__(self, profile: GradientProfile):
        if self.fig is None:
            self._build()
        ax = self.ax
        for artist in self.artists:
            artist.remove()
        self.artists = []
        layers = np.arange(1, profile.depth + 1)
        low, high = Y_RANGE
        shown = np.clip(np.nan_to_num(profile.norms, nan=high, posinf=high), low, high)
        color = viz.PALETTE["vermillion"] if profile.residual else viz.PALETTE["blue"]
        with viz.style():
            self.artists += ax.plot(layers, shown, "-o", color=color, markersize=3.5)
            below = profile.norms < low
            above = ~(profile.norms <= high)  # also catches NaN
            if below.any():
                self.artists += ax.plot(layers[below], np.full(below.sum(), low * 2), "v",
                                        color=viz.PALETTE["black"], markersize=5, linestyle="none")
            if above.any():
                self.artists += ax.plot(layers[above], np.full(above.sum(), high / 2), "^",
                                        color=viz.PALETTE["black"], markersize=5, linestyle="none")
        viz.animate(*self.artists)
        shortcut = "with shortcuts" if profile.residual else "no shortcuts"
        ax.set_title(f"{profile.depth} {profile.activation} layers, {shortcut}, "
                     f"weight scale {profile.weight_scale:g}")
        return self.fig


def gradient_depth_explorer() -> Explorer:
    """The explorer: hidden layers, activation, shortcuts and the scale of the initial weights.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "depth": Slider("hidden layers", 2, MAX_DEPTH, 1, default=10, static=(5, 10, 20)),
        "activation": Choice("activation", tuple(ACTIVATIONS), "sigmoid"),
        "residual": Toggle("shortcuts (residual)", default=False),
        "weight_scale": Slider("weight scale", 0.25, 2.0, 0.25, default=1.0, static=(0.5, 1.0, 2.0)),
    }
    return Explorer(
        controls, run, _Drawing(), readout=describe, title="Gradient size layer by layer",
        alt="Line plot on a logarithmic scale of the size of the gradient that reaches each hidden "
            "layer, from layer 1 next to the input on the left to the last hidden layer on the right.",
        dpi=100, static_dpi=90)
