"""The playground explorer: a small network learns a 2-D data set while you watch (as TensorFlow Playground).

Controls: the data set (xor, circles, moons, spiral, gaussians) and its noise,
the network's depth, width and activation, and SGD's learning rate and batch
size. The figure shows the plane colored by the predicted class, with the
training points (filled) and validation points (hollow), next to the train and
validation loss curves. The validation points are drawn from the same data
set as the training points and never trained on.

The learning rate is hot: changed while it trains, it applies from the next
batch, and the change is marked on the loss curves (see `dlbook.hot`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from dlbook import data as toy, viz
from dlbook.explorers.classifier_training import adjust, mark_changes, mark_diverged, train_one_epoch
from dlbook.functional import softmax
from dlbook.hot import Change, Scenario, diverged_after
from dlbook.init import he, xavier
from dlbook.layers import Linear, ReLU, Sigmoid, Tanh
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import SGD
from dlbook.train import evaluate
from dlbook.widgets import Choice, LogSlider, Slider, TrainingExplorer

__all__ = ["playground_explorer", "PlaygroundState", "init", "step", "DATASETS"]

DATASETS = {"xor": toy.xor, "circles": toy.circles, "moons": toy.moons, "spiral": toy.spiral,
            "gaussians": toy.gaussians}
ACTIVATIONS = {"tanh": (Tanh, xavier), "relu": (ReLU, he), "sigmoid": (Sigmoid, xavier)}
N_TRAIN, N_VAL = 200, 100
# Guessing scores ln 2 = 0.69; an epoch's loss above this means the weights have blown up.
BLOWUP_LOSS = 10.0
LIMIT = 1.8  # the plotted window is [-LIMIT, LIMIT]^2; the toy sets lie within about 1.5
GRID = 48  # decision-surface resolution (GRID x GRID predictions per image)


@dataclass
class PlaygroundState:
    """Everything one training run needs, and its history so far."""

    settings: dict
    model: Sequential
    optimizer: SGD
    rng: np.random.Generator
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    epoch: int = 0
    diverged_at: int | None = None
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: float = 0.0
    changes: list[Change] = field(default_factory=list)


def _record(state: PlaygroundState) -> None:
    """Measure train and validation loss (and validation accuracy) now; a loss that blew up ends the run."""
    loss_fn = SoftmaxCrossEntropy()
    train_loss, _ = evaluate(state.model, state.x_train, state.y_train, loss_fn)
    val_loss, state.val_acc = evaluate(state.model, state.x_val, state.y_val, loss_fn)
    state.train_loss.append(train_loss)
    state.val_loss.append(val_loss)
    if _blew_up(train_loss):
        state.diverged_at = state.epoch


def _blew_up(loss: float) -> bool:
    return not (math.isfinite(loss) and loss <= BLOWUP_LOSS)


def init(dataset: str, noise: float, layers: int, units: int, activation: str, lr: float,
         batch_size: float, seed: int = 0) -> PlaygroundState:
    """A fresh network and data set: 200 training and 100 validation points, seeded.

    Args:
        dataset: a key of `DATASETS`. noise: the data's noise std.
        layers: hidden layers. units: units per hidden layer.
        activation: "tanh", "relu" or "sigmoid" (Xavier init for tanh/sigmoid, He for relu).
        lr: SGD's learning rate. batch_size: samples per update.
        seed: seeds the data, the initial weights and the shuffling.
    """
    x, y = DATASETS[dataset](N_TRAIN + N_VAL, noise=noise, rng=np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    Act, weight_init = ACTIVATIONS[activation]
    sizes = [2] + [int(units)] * int(layers)
    stack = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        stack += [Linear(d_in, d_out, rng=rng, weight_init=weight_init), Act()]
    model = Sequential(*stack, Linear(sizes[-1], 2, rng=rng, weight_init=xavier))
    settings = {"dataset": dataset, "noise": noise, "layers": layers, "units": units,
                "activation": activation, "lr": lr, "batch_size": int(batch_size)}
    state = PlaygroundState(settings, model, SGD(lr=lr), rng,
                            x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:])
    _record(state)
    return state


def step(state: PlaygroundState, n: int) -> PlaygroundState:
    """Train `n` more epochs of mini-batch SGD (in place), measuring the losses after each."""
    for _ in range(n):
        history = train_one_epoch(state, state.x_train, state.y_train, batch_size=state.settings["batch_size"])
        _record(state)
        # The loss can blow up during the epoch and settle on a dead network by its end.
        if history["diverged_at"] is not None or _blew_up(max(history["loss"], default=0.0)):
            state.diverged_at = state.epoch
        if state.diverged_at is not None:
            break
    return state


def readout(state: PlaygroundState) -> str:
    """The key numbers after the latest epoch, or where training diverged."""
    if state.diverged_at is not None:
        return (f"Diverged at epoch {state.diverged_at}{diverged_after(state)}: the training loss blew up "
                f"(above {BLOWUP_LOSS:g}, or not a number). Try a smaller learning rate.")
    return (f"Epoch {state.epoch}: train loss {state.train_loss[-1]:.3f}, "
            f"validation loss {state.val_loss[-1]:.3f}, validation accuracy {state.val_acc:.0%}.")


class _Drawing:
    """One reusable figure: the surface image, points and curves are updated in place."""

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs = max_epochs
        self.fig = None

    def _build(self) -> None:
        fig, (ax_plane, ax_loss) = viz.new_figure(7.0, 3.1, ncols=2)
        fig.get_layout_engine().set(w_pad=0.08)
        empty = np.full((GRID, GRID, 2), 0.5)
        self.surface = viz.plot_decision_surface(ax_plane, empty, (-LIMIT, LIMIT), (-LIMIT, LIMIT))
        ax_plane.set_aspect("equal")
        ax_plane.set_xticks([-1, 0, 1])
        ax_plane.set_yticks([-1, 0, 1])
        ax_plane.set_title(" ")
        self.lines = viz.plot_curves(ax_loss, {"train": ([], []), "validation": ([], [])}, logy=True,
                                     ylim=(1e-3, 3.0), xmax=self.max_epochs, ylabel="loss")
        viz.freeze_layout(fig)
        viz.animate(self.surface, *self.lines.values(), ax_plane.title, ax_loss.title)
        self.fig, self.ax_plane, self.ax_loss = fig, ax_plane, ax_loss
        self.points_key, self.points, self.note, self.marked = None, [], None, ()
        side = np.linspace(-LIMIT, LIMIT, GRID)
        X, Y = np.meshgrid(side, side)  # (GRID, GRID) each; row i is y = side[i]
        self.grid = np.column_stack([X.ravel(), Y.ravel()])  # (GRID * GRID, 2)

    def __call__(self, state: PlaygroundState):
        if self.fig is None:
            self._build()
        key = (state.settings["dataset"], state.settings["noise"])
        if key != self.points_key:
            for collection in self.points:
                collection.remove()
            before = set(self.ax_plane.collections)
            viz.plot_points(self.ax_plane, state.x_train, state.y_train)
            viz.plot_points(self.ax_plane, state.x_val, state.y_val, hollow=True, size=10)
            self.points = [c for c in self.ax_plane.collections if c not in before]
            viz.animate(*self.points)
            self.points_key = key
        if state.diverged_at is None:
            probs = softmax(state.model.predict(self.grid), axis=1)  # (GRID * GRID, 2)
            self.surface.set_data(viz.class_rgb(probs.reshape(GRID, GRID, 2)))
        epochs = np.arange(len(state.train_loss))
        self.lines["train"].set_data(epochs, state.train_loss)
        self.lines["validation"].set_data(epochs, state.val_loss)
        self.note = mark_diverged(self.ax_loss, self.note, state.diverged_at, diverged_after(state))
        self.marked = mark_changes((self.ax_loss,), self.marked, state.changes)
        s = state.settings
        self.ax_plane.set_title(f"{s['dataset']}, epoch {state.epoch}")
        self.ax_loss.set_title(f"{s['layers']} x {s['units']} {s['activation']}, lr {s['lr']:g}, "
                               f"batch {s['batch_size']}")
        return self.fig


def playground_explorer(*, max_epochs: int = 200) -> TrainingExplorer:
    """The explorer: data set, noise, hidden layers and units, activation, learning rate, batch size.

    Args:
        max_epochs: Play stops here.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "dataset": Choice("data set", tuple(DATASETS), "circles"),
        "noise": Slider("noise", 0.0, 0.5, 0.05, default=0.1, static=(0.1,)),
        "layers": Slider("hidden layers", 1, 4, 1, default=2, static=(2,)),
        "units": Slider("units per layer", 1, 16, 1, default=8, static=(8,)),
        "activation": Choice("activation", tuple(ACTIVATIONS), "tanh", static=("tanh",)),
        "lr": LogSlider("learning rate", 1e-3, 10.0, default=0.1, static=(0.01, 0.1, 1.0, 10.0)),
        "batch_size": LogSlider("batch size", 1, 100, default=10, static=(10,)),
    }
    frames = [0, 5, 10, 20, 50, 100, 200]  # the website shows these epochs (size budget)
    at = min(50, max_epochs - 1)
    scenarios = {f"lr 0.01 until epoch {at}, then 1": Scenario({"lr": 0.01}, {at: {"lr": 1.0}})}
    return TrainingExplorer(
        controls, init, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        epochs_per_frame=2, frames=[f for f in frames if f <= max_epochs], adjust=adjust, scenarios=scenarios,
        title="A neural network playground",
        alt="Left: the plane colored orange or blue by the class the network predicts, with the "
            "training points as filled and the validation points as hollow markers. Right: the train and "
            "validation loss against the epoch, on a logarithmic scale.",
        dpi=90, static_dpi=72)
