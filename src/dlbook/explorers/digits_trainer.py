"""The digits trainer: a two-layer network learns the handwritten digits while you watch.

The network and its training follow the backpropagation chapter's recipe, in
a smaller and quicker version: standardized 8x8 digits, ``Linear(64, hidden)``,
an activation, ``Dropout(0.4)``, ``Linear(hidden, 10)``, softmax with
cross-entropy; mini-batches of 32, Momentum (α 0.9) with weight decay 1e-3 and
a cosine learning-rate schedule over the run. The reader changes the learning rate, the number of hidden
units and the activation. The figure shows the loss (left) and the accuracy
(right) on the training images and on 300 validation images held out from the
training set (never the test set), measured after every epoch.

The learning rate is hot: changed while it trains, the cosine schedule goes on
from the same epoch scaled to the new starting value, and the change is marked
on the curves (see `dlbook.hot`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dlbook.data import load_digits, standardize
from dlbook.explorers.classifier_training import ClassifierRun, LossAccuracyDrawing, Split, adjust, hold_out, record, \
    train_epochs
from dlbook.hot import Scenario, diverged_after
from dlbook.init import he, xavier
from dlbook.layers import Dropout, Linear, ReLU, Sigmoid, Tanh
from dlbook.model import Sequential
from dlbook.optim import Momentum
from dlbook.schedules import CosineAnnealingLR
from dlbook.widgets import Choice, LogSlider, Slider, TrainingExplorer

__all__ = ["digits_explorer", "DigitsState", "init", "step", "readout", "standardized_digits", "ACTIVATIONS",
           "VALIDATION"]

# He initialization for ReLU, Xavier for the S-shaped activations (see the optimizers chapter).
ACTIVATIONS = {"ReLU": (ReLU, he), "sigmoid": (Sigmoid, xavier), "tanh": (Tanh, xavier)}
DROPOUT, MOMENTUM, WEIGHT_DECAY, BATCH_SIZE = 0.4, 0.9, 1e-3, 32
VALIDATION = 300  # training digits held out to validate


@lru_cache(maxsize=1)
def standardized_digits() -> Split:
    """`load_digits()` in float64: the last 300 training digits validate, the rest train.

    Every pixel is standardized with the mean and std of the images that train.
    """
    x_train, y_train, x_val, y_val = hold_out(load_digits(dtype=np.float64), VALIDATION)
    x_train, x_val, _mean, _std = standardize(x_train, x_val)
    return Split(x_train, y_train, x_val, y_val)


# A run and its train/validation history: the same record as the CNN trainer's (see `classifier_training`).
DigitsState = ClassifierRun


def init(lr: float, hidden: int, activation: str, epochs: int = 40, seed: int = 0) -> DigitsState:
    """A fresh network, seeded: the same settings give the same weights, masks and shuffles.

    Args:
        lr: Momentum's starting learning rate (the cosine schedule lowers it to 0 over `epochs`).
        hidden: hidden units.
        activation: a key of `ACTIVATIONS`.
        epochs: length of the cosine schedule.
        seed: seeds the weights, the dropout masks and the shuffling.
    """
    Act, weight_init = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    hidden = int(hidden)
    model = Sequential(Linear(64, hidden, rng=rng, weight_init=weight_init), Act(), Dropout(DROPOUT, rng=rng),
                       Linear(hidden, 10, rng=rng))
    optimizer = Momentum(lr=lr, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    scheduler = CosineAnnealingLR(optimizer, T_max=int(epochs))
    settings = {"lr": lr, "hidden": hidden, "activation": activation}
    state = DigitsState(settings, model, optimizer, scheduler, rng)
    record(state, standardized_digits())
    return state


def step(state: DigitsState, n: int) -> DigitsState:
    """Train `n` more epochs (in place), measuring both sets after each."""
    return train_epochs(state, n, standardized_digits(), batch_size=BATCH_SIZE)


def readout(state: DigitsState) -> str:
    """Validation accuracy and loss after the latest epoch, or where training diverged."""
    if state.diverged_at is not None:
        return (f"Diverged at epoch {state.diverged_at}{diverged_after(state)} (the loss blew up): "
                "try a smaller learning rate.")
    h = state.history
    return (f"Epoch {state.epoch}: validation accuracy {h['val_acc'][-1]:.1%} (train {h['train_acc'][-1]:.1%}), "
            f"validation loss {h['val_loss'][-1]:.3f}.")


class _Drawing(LossAccuracyDrawing):
    """Loss (left) and accuracy (right); the titles say the settings and the epoch."""

    def _titles(self, state: DigitsState) -> None:
        s, h = state.settings, state.history
        self.ax_loss.set_title(f"{s['hidden']} {s['activation']} units, lr {s['lr']:g}")
        self.ax_acc.set_title(f"epoch {state.epoch}: validation accuracy {h['val_acc'][-1]:.1%}")


def digits_explorer(*, max_epochs: int = 20) -> TrainingExplorer:
    """The explorer: learning rate, hidden units and activation of the chapter's two-layer network.

    Args:
        max_epochs: Play stops here; the cosine schedule spans this many epochs.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """

    def start(lr: float, hidden: int, activation: str) -> DigitsState:
        return init(lr, hidden, activation, epochs=max_epochs)

    controls = {
        "lr": LogSlider("learning rate", 1e-3, 1.0, default=0.05, static=(0.005, 0.05, 0.5)),
        "hidden": Slider("hidden units", 10, 400, 10, default=100, static=(10, 100)),
        "activation": Choice("activation", tuple(ACTIVATIONS), "ReLU", static=("ReLU", "sigmoid")),
    }
    frames = [0, 2, 5, 10, 20, 30, 40]
    drop = min(5, max_epochs - 1)
    scenarios = {f"lr 0.1 for {drop} epochs, then 0.01": Scenario({"lr": 0.1}, {drop: {"lr": 0.01}})}
    return TrainingExplorer(
        controls, start, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        epochs_per_frame=1, frames=[f for f in frames if f <= max_epochs], adjust=adjust, scenarios=scenarios,
        title="Training a two-layer network on the digits",
        alt="Left: training and validation loss against the epoch, on a logarithmic scale. Right: training "
            "and validation accuracy against the epoch.",
        dpi=100, static_dpi=90)
