"""The digits trainer: a two-layer network learns the handwritten digits while you watch.

The network and its training follow the backpropagation chapter's recipe, in
a smaller and quicker version: standardised 8x8 digits, ``Linear(64, hidden)``,
an activation, ``Dropout(0.4)``, ``Linear(hidden, 10)``, softmax with
cross-entropy; mini-batches of 32, Momentum (α 0.9) with weight decay 1e-3 and
a cosine learning-rate schedule over the run. The reader changes the learning rate, the number of hidden
units and the activation. The figure shows the loss (left) and the accuracy
(right) on the training and the test images, measured after every epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from dlbook import viz
from dlbook.data import Dataset, load_digits, standardize
from dlbook.init import he, xavier
from dlbook.layers import Dropout, Linear, ReLU, Sigmoid, Tanh
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import Momentum
from dlbook.schedules import CosineAnnealingLR
from dlbook.train import train
from dlbook.widgets import Choice, LogSlider, Slider, TrainingExplorer

__all__ = ["digits_explorer", "DigitsState", "init", "step", "readout", "standardized_digits", "ACTIVATIONS"]

# He initialisation for ReLU, Xavier for the S-shaped activations (see the optimizers chapter).
ACTIVATIONS = {"ReLU": (ReLU, he), "sigmoid": (Sigmoid, xavier), "tanh": (Tanh, xavier)}
DROPOUT, MOMENTUM, WEIGHT_DECAY, BATCH_SIZE = 0.4, 0.9, 1e-3, 32
# A cross-entropy above this (guessing scores ln 10 = 2.3) means the weights have blown up.
BLOWUP_LOSS = 50.0


@lru_cache(maxsize=1)
def standardized_digits() -> Dataset:
    """`load_digits()` in float64, every pixel standardised with the training set's mean and std."""
    digits = load_digits(dtype=np.float64)
    x_train, x_test, _mean, _std = standardize(digits.x_train, digits.x_test)
    return Dataset(x_train, digits.y_train, x_test, digits.y_test)


@dataclass
class DigitsState:
    """One training run and its history, measured after every epoch (index 0: before training).

    The training loss of an epoch is the mean over its mini-batches (dropout on), as `train` reports
    it; the test loss and both accuracies are measured after the epoch, in inference mode.
    """

    settings: dict
    model: Sequential
    optimizer: Momentum
    scheduler: CosineAnnealingLR
    rng: np.random.Generator
    epoch: int = 0
    diverged_at: int | None = None
    history: dict[str, list[float]] = field(default_factory=lambda: {
        "train_loss": [], "test_loss": [], "train_acc": [], "test_acc": []})


def _measure(model: Sequential, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) in inference mode, from one forward pass."""
    scores = model.predict(x)
    return SoftmaxCrossEntropy().forward(scores, y), float(np.mean(scores.argmax(axis=1) == y))


def _record(state: DigitsState, train_loss: float | None = None, train_acc: float | None = None) -> None:
    """Append this epoch's losses and accuracies; a loss that blew up ends the run.

    After an epoch of training, `train` has already measured the training set:
    its mean mini-batch loss and its accuracy are passed in rather than computed again.
    """
    d = standardized_digits()
    if train_loss is None:
        train_loss, train_acc = _measure(state.model, d.x_train, d.y_train)
    test_loss, test_acc = _measure(state.model, d.x_test, d.y_test)
    for name, value in (("train_loss", train_loss), ("train_acc", train_acc), ("test_loss", test_loss),
                        ("test_acc", test_acc)):
        state.history[name].append(value)
    if not (math.isfinite(train_loss) and train_loss <= BLOWUP_LOSS):
        state.diverged_at = state.epoch


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
    _record(state)
    return state


def step(state: DigitsState, n: int) -> DigitsState:
    """Train `n` more epochs (in place), measuring both sets after each."""
    d = standardized_digits()
    for _ in range(n):
        history = train(state.model, state.optimizer, (d.x_train, d.y_train), SoftmaxCrossEntropy(),
                        epochs=1, batch_size=BATCH_SIZE, rng=state.rng, scheduler=state.scheduler)
        state.epoch += 1
        if history["diverged_at"] is not None:
            state.diverged_at = state.epoch
            break
        _record(state, history["loss"][-1], history["train_acc"][-1])
        if state.diverged_at is not None:
            break
    return state


def readout(state: DigitsState) -> str:
    """Test accuracy and both losses after the latest epoch, or where training diverged."""
    if state.diverged_at is not None:
        return f"Diverged at epoch {state.diverged_at} (the loss blew up): try a smaller learning rate."
    h = state.history
    return (f"Epoch {state.epoch}: test accuracy {h['test_acc'][-1]:.1%} (train {h['train_acc'][-1]:.1%}), "
            f"test loss {h['test_loss'][-1]:.3f}.")


class _Drawing:
    """One reusable figure; the four curves and the titles are updated in place."""

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs = max_epochs
        self.fig = None
        self.note = None

    def _build(self) -> None:
        fig, (ax_loss, ax_acc) = viz.new_figure(6.4, 2.7, ncols=2)
        empty = ([], [])
        self.loss = viz.plot_curves(ax_loss, {"train": empty, "test": empty}, ylabel="loss",
                                    logy=True, ylim=(1e-3, 10.0), xmax=self.max_epochs)
        self.acc = viz.plot_curves(ax_acc, {"train": empty, "test": empty}, ylabel="accuracy",
                                   ylim=(0.5, 1.005), xmax=self.max_epochs)
        ax_acc.legend(loc="lower right")
        ax_loss.set_title(" ")
        ax_acc.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(*self.acc.values(), *self.loss.values(), ax_acc.title, ax_loss.title)
        self.fig, self.ax_loss, self.ax_acc = fig, ax_loss, ax_acc

    def __call__(self, state: DigitsState):
        if self.fig is None:
            self._build()
        h = state.history
        epochs = np.arange(len(h["train_acc"]))
        for curves, kind in ((self.loss, "loss"), (self.acc, "acc")):
            curves["train"].set_data(epochs, h[f"train_{kind}"])
            curves["test"].set_data(epochs, h[f"test_{kind}"])
        if self.note is not None:
            self.note.remove()
            self.note = None
        if state.diverged_at is not None:
            self.note = viz.annotate_diverged(self.ax_loss, state.diverged_at, what="epoch")
            viz.animate(self.note)
        s = state.settings
        self.ax_loss.set_title(f"{s['hidden']} {s['activation']} units, lr {s['lr']:g}")
        self.ax_acc.set_title(f"epoch {state.epoch}: test accuracy {h['test_acc'][-1]:.1%}")
        return self.fig


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
    return TrainingExplorer(
        controls, start, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        epochs_per_frame=1, frames=[f for f in frames if f <= max_epochs],
        title="Training a two-layer network on the digits",
        alt="Left: training and test loss against the epoch, on a logarithmic scale. Right: training "
            "and test accuracy against the epoch.",
        dpi=100, static_dpi=90)
