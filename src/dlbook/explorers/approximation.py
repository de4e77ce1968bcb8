"""The universal-approximation explorer: one hidden layer of H units fitting a curve.

The network is ``y_hat(x) = sum_i a_i f(s_i (x - c_i)) + a_0`` on ``x`` in
``[-1, 1]``: H hidden units, each a copy of the activation ``f`` switched on
around its own point ``c_i``, added up with output weights ``a_i``.

The hidden units are placed by hand (evenly spaced points ``c_i``, slopes
``s_i`` that grow with H so that neighboring units overlap, directions that
alternate) and only the output layer is fitted, by least squares: ``a`` is the
choice that makes the squared error on 200 points as small as possible. So a
setting costs one small linear solve, and the fit is the best any output layer
can do with these hidden units — no training run that might get stuck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlbook import functional as F
from dlbook import viz
from dlbook.widgets import Choice, Explorer, Slider

__all__ = ["approximation_explorer", "ApproximationFit", "fit", "hidden_layer", "TARGETS",
           "ACTIVATIONS", "X_RANGE"]

X_RANGE = (-1.0, 1.0)
N_POINTS = 200  # where the target is sampled and the fit is measured
SHARPNESS = 4.0  # slope of a hidden unit, in units of 1 / (spacing of the points c_i)


def _jump(x: np.ndarray) -> np.ndarray:
    return (x > 0.3).astype(np.float64)


TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": lambda x: np.sin(2 * np.pi * x),
    "|x|": np.abs,
    "jump": _jump,
}
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "relu": F.relu,
    "step": F.step,
    "linear": lambda z: np.asarray(z, dtype=np.float64),
}


def hidden_layer(units: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases of the hand-placed hidden layer: unit i computes f(w_i x + b_i).

    Unit i is centered on c_i, the i-th of `units` evenly spaced points inside
    ``X_RANGE``; its slope is ``±SHARPNESS / spacing`` (alternating sign), so
    w_i = ±s and b_i = -w_i c_i.

    Args:
        units: H, the number of hidden units (>= 1).
    Returns:
        ``(w, b)``, each of shape (H,).
    """
    if units < 1:
        raise ValueError(f"Invalid units: {units}")
    lo, hi = X_RANGE
    centers = np.linspace(lo, hi, units + 2)[1:-1]  # (H,) interior points
    spacing = (hi - lo) / (units + 1)
    signs = np.where(np.arange(units) % 2 == 0, 1.0, -1.0)  # (H,) +1, -1, +1, ...
    w = signs * SHARPNESS / spacing
    return w, -w * centers


@dataclass(frozen=True)
class ApproximationFit:
    """One fit: the settings, the curves and the error.

    x, target, y_hat: (M,) the sample points, the target there and the network's output.
    contributions: (H, M) unit i's share a_i f(w_i x + b_i); y_hat = contributions.sum(0) + a_0.
    w, b: (H,) the hidden layer; a: (H,) the output weights; a0: the output bias.
    """

    units: int
    activation: str
    target_name: str
    x: np.ndarray
    target: np.ndarray
    y_hat: np.ndarray
    contributions: np.ndarray
    w: np.ndarray
    b: np.ndarray
    a: np.ndarray
    a0: float

    @property
    def rms_error(self) -> float:
        """Root-mean-square distance between the fit and the target on the sample points."""
        return float(np.sqrt(np.mean((self.y_hat - self.target) ** 2)))


def fit(units: int, activation: str, target: str) -> ApproximationFit:
    """Place H hidden units by hand and fit the output layer by least squares.

    Args:
        units: H, the number of hidden units.
        activation: a key of `ACTIVATIONS` ("sigmoid", "tanh", "relu", "step", "linear").
        target: a key of `TARGETS` ("sine", "|x|", "jump").
    Returns:
        An `ApproximationFit`.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Invalid activation: {activation!r}; choose one of {list(ACTIVATIONS)}")
    if target not in TARGETS:
        raise ValueError(f"Invalid target: {target!r}; choose one of {list(TARGETS)}")
    units = int(units)
    x = np.linspace(*X_RANGE, N_POINTS)  # (M,)
    y = TARGETS[target](x)  # (M,)
    w, b = hidden_layer(units)
    h = ACTIVATIONS[activation](x[:, None] * w + b)  # (M, H) hidden outputs
    design = np.column_stack([h, np.ones_like(x)])  # (M, H + 1): the last column multiplies a_0
    # Least squares: the output weights with the smallest squared error (the smallest such weights if
    # several are equally good, e.g. for the linear activation).
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)  # (H + 1,)
    a, a0 = coef[:-1], float(coef[-1])
    contributions = (h * a).T  # (H, M)
    return ApproximationFit(units, activation, target, x, y, design @ coef, contributions, w, b, a, a0)


def readout(result: ApproximationFit) -> str:
    """The fit's error in words."""
    plural = "s" if result.units != 1 else ""
    return (f"{result.units} hidden {result.activation} unit{plural} fitting the {result.target_name} "
            f"target: RMS error {result.rms_error:.3f}.")


class _Drawing:
    """One reusable figure: target, fit and every unit's contribution are updated in place."""

    def __init__(self, max_units: int) -> None:
        self.max_units = max_units
        self.fig = None

    def _build(self) -> None:
        fig, ax = viz.new_figure(5.0, 3.0)
        with viz.style():
            self.parts = [ax.plot([], [], color="0.6", linewidth=0.7, alpha=0.7)[0]
                          for _ in range(self.max_units)]
            self.parts[0].set_label("one unit's share")
            self.target, = ax.plot([], [], color=viz.PALETTE["black"], linestyle="--", linewidth=1.5,
                                   label="target")
            self.net, = ax.plot([], [], color=viz.PALETTE["vermillion"], linewidth=2.0, label="network")
            ax.set_xlim(*X_RANGE)
            ax.set_ylim(-1.6, 1.6)
            # Few tick labels: text is most of the drawing time, and the website draws ~100 images.
            ax.set_xticks([-1, -0.5, 0, 0.5, 1])
            ax.set_yticks([-1, 0, 1])
            ax.set_xlabel("x")
            ax.set_ylabel("y")
            ax.legend(loc="lower right", ncols=3, fontsize=8)
            ax.set_title(" ")
        viz.freeze_layout(fig)
        self.fig, self.ax = fig, ax

    def __call__(self, result: ApproximationFit):
        if self.fig is None:
            self._build()
        for i, line in enumerate(self.parts):
            if i < result.units:
                line.set_data(result.x, result.contributions[i])
                line.set_visible(True)
            else:
                line.set_visible(False)
        self.target.set_data(result.x, result.target)
        self.net.set_data(result.x, result.y_hat)
        plural = "s" if result.units != 1 else ""
        self.ax.set_title(f"{result.units} {result.activation} unit{plural}: "
                          f"RMS error {result.rms_error:.3f}")
        return self.fig


def approximation_explorer(*, max_units: int = 40) -> Explorer:
    """The explorer: number of hidden units, activation and target function.

    Args:
        max_units: the largest number of hidden units on the slider.
    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "units": Slider("hidden units", 1, max_units, 1, default=5,
                        static=[n for n in (1, 2, 3, 5, 10, 20, 40) if n <= max_units]),
        # tanh looks much like sigmoid: the website leaves it out to stay light (live, it is there).
        "activation": Choice("activation", tuple(ACTIVATIONS), "sigmoid",
                             static=("sigmoid", "relu", "step", "linear")),
        "target": Choice("target", tuple(TARGETS), "sine"),
    }
    return Explorer(
        controls, fit, _Drawing(max_units), readout=readout, title="One hidden layer fitting a curve",
        alt="The target curve (black, dashed) and the network's output (vermillion), with each hidden "
            "unit's share of the output as thin gray curves.",
        dpi=100, static_dpi=90)
