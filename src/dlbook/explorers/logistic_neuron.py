"""The logistic-neuron explorer: one sigmoid neuron, started badly wrong, trained with MSE and with cross-entropy.

The neuron sees one number x and says p = sigmoid(w x + b), the probability
that x belongs to class 1. The data are two small clusters on a line: class 0
(orange) on the left, class 1 (blue) on the right. Two copies of the neuron
start from the same weights and take full-batch gradient-descent steps with the
same learning rate; one minimizes the mean squared error (p - y)^2, the other
the binary cross-entropy. From a start that is confidently wrong, the sigmoid
is flat where the data lie, so the squared error's gradient (which carries the
factor sigmoid') nearly vanishes and that neuron learns slowly, while
cross-entropy's gradient, p - y, stays large (Nielsen's "learning slowdown").

The figure shows, for each loss, the data, the neuron's curve p(x) and its
decision boundary x = -b / w (top), and its loss against the epoch (bottom).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from matplotlib.ticker import MaxNLocator

from dlbook import viz
from dlbook.functional import sigmoid
from dlbook.layers import Linear, Sigmoid
from dlbook.losses import Loss, MSELoss, SigmoidBCE
from dlbook.model import Sequential
from dlbook.optim import SGD
from dlbook.widgets import Choice, LogSlider, TrainingExplorer

__all__ = ["logistic_neuron_explorer", "toy_data", "init", "step", "readout", "first_all_right",
           "NeuronRun", "NeuronState", "STARTS", "LOSSES"]

# (w, b) at the start. "badly wrong": p = sigmoid(3 - 3x) says class 1, with
# p > 0.99, for every orange point, and class 0 for most blue ones.
STARTS: dict[str, tuple[float, float]] = {"badly wrong": (-3.0, 3.0), "neutral": (0.0, 0.0)}
LOSSES = ("MSE", "cross-entropy")
N_PER_CLASS = 8
XLIM = (-3.0, 3.0)
YLIM = (-0.12, 1.12)


def toy_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two clusters on a line: x: (16, 1), class 0 around -1.25, class 1 around +1.25; y: (16,) int64.

    The clusters have std 0.4 and are cut to |x| >= 0.3 and |x| <= 2.5, so
    the classes are separable by the boundary x = 0 and stay inside the plot.
    """
    rng = np.random.default_rng(seed)
    center = np.repeat([-1.25, 1.25], N_PER_CLASS)  # (16,)
    sign = np.sign(center)
    x = np.clip(np.abs(center + rng.normal(0.0, 0.4, size=center.shape)), 0.3, 2.5) * sign
    y = np.repeat([0, 1], N_PER_CLASS)
    return x.reshape(-1, 1), y


@dataclass
class NeuronRun:
    """One neuron trained with one loss: its model, loss layer, optimizer and history."""

    loss_name: str
    model: Sequential  # outputs p (MSE) or the logit u (cross-entropy)
    loss_fn: Loss
    optimizer: SGD
    losses: list[float] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)

    @property
    def wb(self) -> tuple[float, float]:
        """The neuron's weight and bias now."""
        params = self.model.params()
        return float(params["0.W"][0, 0]), float(params["0.b"][0])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """p = sigmoid(w x + b) for x: (M,) -> (M,)."""
        w, b = self.wb
        return sigmoid(w * x + b)


@dataclass
class NeuronState:
    """Both runs on the same data, and how far they have trained."""

    settings: dict
    x: np.ndarray  # (N, 1)
    y: np.ndarray  # (N,) int
    runs: dict[str, NeuronRun]
    epoch: int = 0
    diverged_at: int | None = None


def _neuron(w: float, b: float, loss_name: str) -> Sequential:
    """Linear(1 -> 1), followed by a Sigmoid for MSE; for cross-entropy SigmoidBCE applies the sigmoid."""
    linear = Linear(1, 1, rng=np.random.default_rng(0))
    linear.params["W"][...] = w
    linear.params["b"][...] = b
    return Sequential(linear, Sigmoid()) if loss_name == "MSE" else Sequential(linear)


def _record(state: NeuronState) -> None:
    """Append each run's loss and number of correctly classified points; a NaN loss ends the runs."""
    targets = state.y.reshape(-1, 1).astype(np.float64)  # (N, 1), the loss layers' shape
    for run in state.runs.values():
        loss = run.loss_fn.forward(run.model.forward(state.x), targets)
        run.losses.append(loss)
        p = run.probabilities(state.x[:, 0])
        run.correct.append(int(np.sum((p > 0.5) == (state.y == 1))))
        if not math.isfinite(loss) and state.diverged_at is None:
            state.diverged_at = state.epoch


def init(start: str, lr: float, seed: int = 0) -> NeuronState:
    """Two copies of the neuron at the chosen start, one per loss, with SGD at learning rate `lr`.

    Args:
        start: a key of `STARTS`. lr: the learning rate of both runs.
        seed: seeds the data.
    """
    w, b = STARTS[start]
    loss_fns = {"MSE": MSELoss(), "cross-entropy": SigmoidBCE()}
    runs = {name: NeuronRun(name, _neuron(w, b, name), loss_fns[name], SGD(lr=lr)) for name in LOSSES}
    x, y = toy_data(seed)
    state = NeuronState({"start": start, "lr": lr}, x, y, runs)
    _record(state)
    return state


def step(state: NeuronState, n: int) -> NeuronState:
    """Train both runs `n` more epochs (in place): each epoch is one full-batch gradient-descent step."""
    targets = state.y.reshape(-1, 1).astype(np.float64)  # (N, 1)
    for _ in range(n):
        for run in state.runs.values():
            run.loss_fn.forward(run.model.forward(state.x), targets)
            run.model.backward(run.loss_fn.backward())
            run.optimizer.step(run.model.params(), run.model.grads())
        state.epoch += 1
        _record(state)
        if state.diverged_at is not None:
            break
    return state


def first_all_right(run: NeuronRun) -> int | None:
    """The first epoch after which the run classifies every point correctly (None: not yet)."""
    total = N_PER_CLASS * 2
    return next((epoch for epoch, c in enumerate(run.correct) if c == total), None)


def readout(state: NeuronState) -> str:
    """Each run's loss and points right after the latest epoch."""
    if state.diverged_at is not None:
        return f"Diverged at epoch {state.diverged_at}: try a smaller learning rate."
    total = len(state.y)
    parts = []
    for name, run in state.runs.items():
        w, b = run.wb
        parts.append(f"{name}: loss {run.losses[-1]:.3f}, {run.correct[-1]} of {total} right "
                     f"(w = {w:.2f}, b = {b:.2f})")
    return f"Epoch {state.epoch}. " + "; ".join(parts) + "."


class _Drawing:
    """One reusable 2 x 2 figure: per loss, the neuron on the data (top) and its loss curve (bottom)."""

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs = max_epochs
        self.fig = None
        self.xs = np.linspace(*XLIM, 241)  # where the curve p(x) is drawn

    def _build(self, state: NeuronState) -> None:
        fig, axes = viz.new_figure(6.4, 4.0, nrows=2, ncols=2)
        fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06)
        self.panels = {}
        x, y = state.x[:, 0], state.y
        with viz.style():
            for col, name in enumerate(LOSSES):
                ax_fit, ax_loss = axes[0, col], axes[1, col]
                strip = np.full((1, self.xs.size, 2), 0.5)
                shade = viz.plot_decision_surface(ax_fit, strip, XLIM, YLIM)
                # A black edge keeps each point visible on the background of its own color.
                points = [ax_fit.scatter(x[y == k], y[y == k], s=26, marker=marker, color=viz.CLASS_COLORS[k],
                                         edgecolors=viz.PALETTE["black"], linewidths=0.6, zorder=3,
                                         clip_on=False)
                          for k, marker in ((0, "o"), (1, "^"))]
                curve, = ax_fit.plot([], [], color=viz.PALETTE["black"], linewidth=1.6, label="p(x)")
                boundary = ax_fit.axvline(0.0, color=viz.PALETTE["black"], linestyle="--", linewidth=1.0)
                ax_fit.set_yticks([0, 0.5, 1])
                ax_fit.set_xticks([-3, -2, -1, 0, 1, 2, 3])
                ax_fit.set_xlabel("x", labelpad=1)
                ax_fit.set_title(" ")
                if col == 0:
                    ax_fit.set_ylabel("p(class 1)")
                line, = ax_loss.plot([], [], color=viz.PALETTE["black"])
                dot, = ax_loss.plot([], [], "o", color=viz.PALETTE["vermillion"], markersize=4)
                # The same start gives the same first loss for every learning rate: a fixed y range.
                ax_loss.set_ylim(0, 1.08 * state.runs[name].losses[0])
                ax_loss.set_xlim(0, self.max_epochs)
                ax_loss.set_xlabel("epoch", labelpad=1)
                ax_loss.set_ylabel("MSE" if name == "MSE" else "cross-entropy")
                ax_loss.xaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
                ax_loss.set_title(" ")
                self.panels[name] = (ax_fit, ax_loss, shade, curve, boundary, line, dot)
                # Everything that changes between frames (the points sit on top of the shading, so they too)
                # is redrawn over a cached picture of the axes.
                viz.animate(shade, *points, curve, boundary, line, dot, ax_fit.title, ax_loss.title)
        viz.freeze_layout(fig)
        self.fig, self.start = fig, state.settings["start"]

    def __call__(self, state: NeuronState):
        if self.fig is None or state.settings["start"] != self.start:
            self._build(state)
        total = len(state.y)
        for name, run in state.runs.items():
            ax_fit, ax_loss, shade, curve, boundary, line, dot = self.panels[name]
            p = run.probabilities(self.xs)  # (241,)
            shade.set_data(viz.class_rgb(np.stack([1 - p, p], axis=-1)[None]))  # (1, 241, 3)
            curve.set_data(self.xs, p)
            w, b = run.wb
            edge = -b / w if w != 0 else math.inf
            boundary.set_xdata([edge, edge])
            boundary.set_visible(XLIM[0] < edge < XLIM[1])
            epochs = np.arange(len(run.losses))
            line.set_data(epochs, run.losses)
            dot.set_data([epochs[-1]], [run.losses[-1]])
            ax_fit.set_title(f"{name}: {run.correct[-1]} of {total} right")
            ax_loss.set_title(f"epoch {state.epoch}: loss {run.losses[-1]:.3f}")
        return self.fig


def logistic_neuron_explorer(*, max_epochs: int = 300) -> TrainingExplorer:
    """The explorer: the start (badly wrong or neutral) and the learning rate, with Play / Pause / Step.

    Args:
        max_epochs: Play stops here.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "start": Choice("start", tuple(STARTS), "badly wrong"),
        "lr": LogSlider("learning rate", 0.01, 10.0, default=1.0, static=(0.2, 0.5, 1.0, 2.0, 5.0)),
    }
    frames = [0, 5, 10, 20, 40, 70, 100, 150, 200, 300]
    return TrainingExplorer(
        controls, init, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        epochs_per_frame=2, frames=[f for f in frames if f <= max_epochs],
        title="One neuron, two losses: mean squared error against cross-entropy",
        alt="Two columns, mean squared error on the left and cross-entropy on the right. Top: orange "
            "class-0 points at height 0 and blue class-1 points at height 1 on a line, the neuron's "
            "S-shaped curve p(x), its decision boundary as a dashed vertical line, and the background "
            "colored by the class it predicts. Bottom: that neuron's loss against the epoch.",
        dpi=100, static_dpi=90)
