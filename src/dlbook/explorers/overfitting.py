"""The overfitting explorer: dropout and weight decay against a network that memorizes a small training set.

A network with two hidden layers of 256 ReLU units learns 100 of scikit-learn's
8x8 digits — far more weights than examples, so it soon classifies every
training image correctly while the validation accuracy stalls. The figure
shows train and validation accuracy (left) and loss (right) as training goes.

Dropout rate and weight decay λ are hot: changed while it trains, they apply
from the next batch, and the change is marked on the curves (see `dlbook.hot`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from dlbook import viz
from dlbook.data import load_digits
from dlbook.explorers.classifier_training import CurvesDrawing, adjust, train_one_epoch
from dlbook.hot import Change, Scenario, diverged_after
from dlbook.layers import Dropout, Linear, ReLU
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import Momentum
from dlbook.train import evaluate
from dlbook.widgets import LogSlider, Slider, TrainingExplorer

__all__ = ["overfitting_explorer", "OverfittingState", "init", "step"]

HIDDEN = (256, 256)
LR, MOMENTUM, BATCH_SIZE = 0.01, 0.9, 20


@dataclass
class OverfittingState:
    """One training run and its per-epoch history (index 0 is before training)."""

    settings: dict
    model: Sequential
    optimizer: Momentum
    rng: np.random.Generator
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x_train, y_train, x_val, y_val
    epoch: int = 0
    diverged_at: int | None = None
    history: dict[str, list[float]] = field(default_factory=lambda: {
        "train_acc": [], "val_acc": [], "train_loss": [], "val_loss": []})
    changes: list[Change] = field(default_factory=list)


def _record(state: OverfittingState) -> None:
    """Measure accuracy and loss on both sets, in inference mode (dropout off)."""
    x_train, y_train, x_val, y_val = state.data
    loss_fn = SoftmaxCrossEntropy()
    for name, x, y in (("train", x_train, y_train), ("val", x_val, y_val)):
        loss, acc = evaluate(state.model, x, y, loss_fn)
        state.history[f"{name}_loss"].append(loss)
        state.history[f"{name}_acc"].append(acc)
    if not math.isfinite(state.history["train_loss"][-1]):
        state.diverged_at = state.epoch


VALIDATION = 400  # training digits held out to validate; disjoint from every n_train <= 1000


def init(dropout: float, weight_decay: float, n_train: int, seed: int = 0) -> OverfittingState:
    """A fresh network and the first `n_train` training digits; the last 400 training digits validate.

    Validation images come from the training split, never from the test set,
    which the book touches only once per experiment (chapter "Regularization").

    Args:
        dropout: probability of zeroing each hidden unit in training (0: no dropout).
        weight_decay: λ, the L2 penalty's coefficient (0: none).
        n_train: how many training images to learn from.
        seed: seeds the weights, the dropout masks and the shuffling.
    """
    digits = load_digits(seed=seed)  # float32 images (N, 64), labels (N,)
    n_train = int(n_train)
    N = len(digits.x_train)
    if n_train > N - VALIDATION:
        raise ValueError(f"Invalid n_train: {n_train} (at most {N - VALIDATION}: the last {VALIDATION} validate)")
    data = (digits.x_train[:n_train], digits.y_train[:n_train],
            digits.x_train[N - VALIDATION:], digits.y_train[N - VALIDATION:])
    rng = np.random.default_rng(seed + 1)
    # Dropout layers are there even at rate 0, so the rate can be raised while training goes on.
    # At rate 0 their (all-ones) masks come from a generator of their own, leaving `rng`'s
    # draws, and so the run, exactly as without the layers.
    mask_rng = rng if dropout > 0 else np.random.default_rng(seed + 2)
    layers, d_in = [], data[0].shape[1]
    for d_out in HIDDEN:
        layers += [Linear(d_in, d_out, rng=rng, dtype=np.float32), ReLU(), Dropout(dropout, rng=mask_rng)]
        d_in = d_out
    model = Sequential(*layers, Linear(d_in, 10, rng=rng, dtype=np.float32))
    optimizer = Momentum(lr=LR, momentum=MOMENTUM, weight_decay=weight_decay)
    settings = {"dropout": dropout, "weight_decay": weight_decay, "n_train": n_train}
    state = OverfittingState(settings, model, optimizer, rng, data)
    _record(state)
    return state


def step(state: OverfittingState, n: int) -> OverfittingState:
    """Train `n` more epochs (in place), measuring both sets after each."""
    x_train, y_train = state.data[:2]
    for _ in range(n):
        history = train_one_epoch(state, x_train, y_train, batch_size=BATCH_SIZE)
        _record(state)
        if history["diverged_at"] is not None:
            state.diverged_at = state.epoch
        if state.diverged_at is not None:
            break
    return state


def readout(state: OverfittingState) -> str:
    """Accuracy on both sets, the gap between them, and the best validation loss so far."""
    if state.diverged_at is not None:
        return f"Diverged at epoch {state.diverged_at}{diverged_after(state)}: the loss became NaN or infinite."
    h = state.history
    gap = 100 * (h["train_acc"][-1] - h["val_acc"][-1])
    best = int(np.argmin(h["val_loss"]))
    return (f"Epoch {state.epoch}: train accuracy {h['train_acc'][-1]:.1%}, validation accuracy "
            f"{h['val_acc'][-1]:.1%} (gap {gap:.1f} points); validation loss {h['val_loss'][-1]:.3f}, "
            f"lowest {h['val_loss'][best]:.3f} at epoch {best}.")


class _Drawing(CurvesDrawing):
    """Accuracy (left) and loss (right) on one reusable figure."""

    sets = {"train": "train", "validation": "val"}  # curve label: history key prefix

    def _build(self) -> None:
        fig, (ax_acc, ax_loss) = viz.new_figure(7.0, 2.9, ncols=2)
        empty = ([], [])
        self.acc = viz.plot_curves(ax_acc, {"train": empty, "validation": empty}, ylabel="accuracy",
                                   ylim=(0.0, 1.02), xmax=self.max_epochs)
        self.loss = viz.plot_curves(ax_loss, {"train": empty, "validation": empty}, ylabel="loss",
                                    logy=True, ylim=(1e-3, 5.0), xmax=self.max_epochs)
        ax_acc.set_title(" ")
        ax_loss.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(*self.acc.values(), *self.loss.values(), ax_acc.title, ax_loss.title)
        self.fig, self.ax_acc, self.ax_loss = fig, ax_acc, ax_loss

    def _titles(self, state: OverfittingState) -> None:
        s, h = state.settings, state.history
        self.ax_acc.set_title(f"epoch {state.epoch}: gap {100 * (h['train_acc'][-1] - h['val_acc'][-1]):.0f} points")
        self.ax_loss.set_title(f"dropout {s['dropout']:g}, λ {s['weight_decay']:g}, {s['n_train']} examples")


def overfitting_explorer(*, max_epochs: int = 100) -> TrainingExplorer:
    """The explorer: dropout rate, weight decay λ and the number of training examples.

    Args:
        max_epochs: Play stops here.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "dropout": Slider("dropout rate", 0.0, 0.8, 0.1, default=0.0, static=(0.0, 0.3)),
        "weight_decay": LogSlider("weight decay λ", 1e-4, 0.1, default=0.0, zero=True, static=(0.0, 0.01)),
        # On the website too: more data is the remedy that closes the gap (12.5 points -> 1.7).
        "n_train": Slider("training examples", 50, 1000, 50, default=100, static=(100, 1000)),
    }
    frames = [0, 10, 20, 35, 50, 75, 100]  # 8 settings x 7 frames keep the explorers page under its weight budget
    switch_on = min(20, max_epochs - 1)
    scenarios = {
        f"dropout 0.5 switched on at epoch {switch_on}": Scenario({"dropout": 0.0}, {switch_on: {"dropout": 0.5}}),
        f"λ 0.01 switched on at epoch {switch_on}": Scenario({"weight_decay": 0.0},
                                                             {switch_on: {"weight_decay": 0.01}}),
    }
    return TrainingExplorer(
        controls, init, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        epochs_per_frame=1, frames=[f for f in frames if f <= max_epochs], adjust=adjust, scenarios=scenarios,
        title="Overfitting, dropout and weight decay",
        alt="Left: train and validation accuracy against the epoch. Right: train and validation loss "
            "against the epoch, on a logarithmic scale.",
        dpi=90, static_dpi=72)
