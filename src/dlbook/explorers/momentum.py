"""The momentum explorer: SGD, Momentum, Nesterov and Adam train a network on the digits while you watch.

The network is the optimizers chapter's: four hidden layers of 100 ReLU units
with He initialization, in float32, on the 8x8 digits (300 training digits held
out to validate; the test set is never used), mini-batches of 32, no weight
decay and no schedule, so what the curves show is the optimizer alone.
The reader picks the optimizer, the learning rate and, for Momentum and
Nesterov, momentum α. The figure shows the loss (left) and the accuracy (right)
on the training and the validation images after every epoch.

The learning rate and α are hot: changed while it trains, they apply from the
next step, the optimizer keeps its velocities (or Adam its moments), and the
change is marked on the curves (see `dlbook.hot`). Lower the learning rate when
the loss levels off; raise α toward 0.99 and watch the curve speed up, then
start to swing.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dlbook.data import load_digits
from dlbook.explorers.classifier_training import ClassifierRun, LossAccuracyDrawing, Split, adjust, hold_out, record, \
    train_epochs
from dlbook.hot import Scenario, diverged_after
from dlbook.init import he
from dlbook.layers import Linear, ReLU
from dlbook.model import Sequential
from dlbook.optim import SGD, Adam, Momentum, Nesterov
from dlbook.widgets import Choice, LogSlider, Slider, TrainingExplorer

__all__ = ["momentum_explorer", "MomentumState", "OPTIMIZERS", "make_optimizer", "init", "step", "readout", "digits_split"]

OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "Adam")
HIDDEN, DEPTH, BATCH_SIZE = 100, 4, 32
VALIDATION = 300  # training digits held out to validate


@lru_cache(maxsize=1)
def digits_split() -> Split:
    """`load_digits()` (float32 pixels in [0, 1], as in the chapter): the last 300 training digits validate."""
    return hold_out(load_digits(), VALIDATION)

# A run and its train/validation history: the same record as the digits trainer's (see `classifier_training`).
MomentumState = ClassifierRun


def make_optimizer(optimizer: str, lr: float, momentum: float):
    """The optimizer named `optimizer` (a value of `OPTIMIZERS`); `momentum` is α of Momentum and Nesterov."""
    if optimizer == "SGD":
        return SGD(lr=lr)
    if optimizer == "Momentum":
        return Momentum(lr=lr, momentum=momentum)
    if optimizer == "Nesterov":
        return Nesterov(lr=lr, momentum=momentum)
    if optimizer == "Adam":
        return Adam(lr=lr)
    raise ValueError(f"Invalid optimizer: {optimizer!r} (expected one of {OPTIMIZERS})")


def init(optimizer: str, lr: float, momentum: float, seed: int = 0) -> MomentumState:
    """A fresh network (4 x 100 ReLU, He init, float32) and optimizer, seeded: the same settings give the same run.

    Args:
        optimizer: "SGD", "Momentum", "Nesterov" or "Adam".
        lr: the learning rate.
        momentum: α, for Momentum and Nesterov (ignored by SGD and Adam).
        seed: seeds the weights and the shuffling.
    """
    rng = np.random.default_rng(seed)
    layers, d_in = [], 64
    for _ in range(DEPTH):
        layers += [Linear(d_in, HIDDEN, rng=rng, weight_init=he, dtype=np.float32), ReLU()]
        d_in = HIDDEN
    model = Sequential(*layers, Linear(d_in, 10, rng=rng, weight_init=he, dtype=np.float32))
    settings = {"optimizer": optimizer, "lr": lr, "momentum": momentum}
    state = MomentumState(settings, model, make_optimizer(optimizer, lr, momentum), None, rng)
    record(state, digits_split())
    return state


def step(state: MomentumState, n: int) -> MomentumState:
    """Train `n` more epochs (in place), measuring both sets after each."""
    return train_epochs(state, n, digits_split(), batch_size=BATCH_SIZE)


def readout(state: MomentumState) -> str:
    """Training loss and validation accuracy after the latest epoch, or where training diverged."""
    if state.diverged_at is not None:
        return (f"Diverged at epoch {state.diverged_at}{diverged_after(state)} (the loss blew up): "
                "try a smaller learning rate or less momentum.")
    h = state.history
    return (f"Epoch {state.epoch}: training loss {h['train_loss'][-1]:.3f}, validation loss "
            f"{h['val_loss'][-1]:.3f}, validation accuracy {h['val_acc'][-1]:.1%}.")


class _Drawing(LossAccuracyDrawing):
    """Loss (left) and accuracy (right); the titles say the settings and the epoch."""

    def _titles(self, state: MomentumState) -> None:
        s, h = state.settings, state.history
        alpha = f", α {s['momentum']:g}" if s["optimizer"] in ("Momentum", "Nesterov") else ""
        self.ax_loss.set_title(f"{s['optimizer']}, lr {s['lr']:g}{alpha}")
        self.ax_acc.set_title(f"epoch {state.epoch}: validation accuracy {h['val_acc'][-1]:.1%}")


def momentum_explorer(*, max_epochs: int = 50) -> TrainingExplorer:
    """The explorer: optimizer, learning rate and momentum α on a network learning the digits.

    Args:
        max_epochs: Play stops here.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "optimizer": Choice("optimizer", OPTIMIZERS, "Momentum"),
        "lr": LogSlider("learning rate", 1e-4, 1.0, default=0.01, static=(0.001, 0.01, 0.1)),
        "momentum": Slider("momentum α", 0.0, 0.99, 0.01, default=0.9, static=(0.5, 0.9),
                           when={"optimizer": ("Momentum", "Nesterov")}),
    }
    at = min(10, max_epochs - 1)
    scenarios = {  # a learning-rate drop on a noisy plateau; momentum raised on a slow start
        f"lr 0.05 for {at} epochs, then 0.005": Scenario({"optimizer": "Momentum", "lr": 0.05, "momentum": 0.9},
                                                         {at: {"lr": 0.005}}),
        f"α 0.5, raised to 0.95 at epoch {at}": Scenario({"optimizer": "Momentum", "lr": 0.001, "momentum": 0.5},
                                                         {at: {"momentum": 0.95}}),
    }
    frames = [0, 2, 5, 10, 20, 30]  # the website's epochs: up to 30 keeps the chapter's build short
    return TrainingExplorer(
        controls, init, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        epochs_per_frame=1, frames=[f for f in frames if f <= max_epochs], adjust=adjust, scenarios=scenarios,
        title="Optimizers training a network on the digits",
        alt="Left: training and validation loss against the epoch, on a logarithmic scale. Right: training "
            "and validation accuracy against the epoch.",
        dpi=100, static_dpi=72)
