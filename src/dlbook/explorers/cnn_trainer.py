"""The CNN trainer: a small convolutional network learns the handwritten digits while you watch.

The network is the chapter's: ``Conv2D(1, 16, 3x3, padding 1)``, ReLU,
``MaxPool2D(2)``, flatten, dropout, ``Linear(256, 256)``, ReLU, dropout,
``Linear(256, 10)``, softmax with cross-entropy, in float32. It trains on the
8x8 digits scaled by one mean and one standard deviation for all pixels (see
`cnn_digits`), with mini-batches of 32, Momentum (α 0.9) with weight decay
1e-3 and a cosine learning-rate schedule over the run. The reader changes the
learning rate and the dropout rate (of both dropout layers). The figure shows
the loss (left) and the accuracy (right) on the training images and on 300
validation images held out from the training set (never the test set), after
every epoch.

Both controls are hot: changed while it trains, they apply from the next batch
(the cosine schedule goes on scaled to the new starting learning rate), and the
change is marked on the curves (see `dlbook.hot`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.ticker import MaxNLocator

from dlbook import viz
from dlbook.conv import Conv2D, MaxPool2D
from dlbook.data import Dataset, load_digits
from dlbook.explorers.classifier_training import ClassifierRun, CurvesDrawing, adjust, hold_out, record, \
    train_epochs
from dlbook.hot import Scenario, diverged_after
from dlbook.layers import Dropout, Flatten, Linear, ReLU
from dlbook.model import Sequential
from dlbook.optim import Momentum
from dlbook.schedules import CosineAnnealingLR
from dlbook.widgets import LogSlider, Slider, TrainingExplorer

__all__ = ["cnn_trainer_explorer", "CNNState", "cnn", "cnn_digits", "init", "step", "readout"]

FILTERS, HIDDEN = 16, 256
MOMENTUM, WEIGHT_DECAY, BATCH_SIZE = 0.9, 1e-3, 32
VALIDATION = 300  # training digits held out to validate


@lru_cache(maxsize=1)
def cnn_digits() -> Dataset:
    """`load_digits(flatten=False)`: images (N, 1, 8, 8), float32, scaled as ``(x - mean) / std``.

    The mean and the standard deviation are two numbers, taken over every pixel
    of every training image: one scale for all positions, as a filter that
    slides over the image expects.
    """
    d = load_digits(flatten=False)  # float32 in [0, 1]
    mean, std = d.x_train.mean(), d.x_train.std()
    return Dataset((d.x_train - mean) / std, d.y_train, (d.x_test - mean) / std, d.y_test)


def cnn(dropout: float, rng: np.random.Generator, dtype=np.float32) -> Sequential:
    """The chapter's CNN for 8x8 digits: conv 3x3 (16 filters) -> ReLU -> 2x2 max-pool -> 256 -> 256 -> 10."""
    return Sequential(
        Conv2D(1, FILTERS, 3, padding=1, rng=rng, dtype=dtype),  # (N, 1, 8, 8) -> (N, 16, 8, 8)
        ReLU(),
        MaxPool2D(2),  # -> (N, 16, 4, 4)
        Flatten(),  # -> (N, 256)
        Dropout(dropout, rng=rng),
        Linear(FILTERS * 4 * 4, HIDDEN, rng=rng, dtype=dtype),
        ReLU(),
        Dropout(dropout, rng=rng),
        Linear(HIDDEN, 10, rng=rng, dtype=dtype),
    )


# A run and its train/validation history: the same record as the digits trainer's (see `classifier_training`).
CNNState = ClassifierRun


def init(lr: float, dropout: float, epochs: int = 30, seed: int = 0) -> CNNState:
    """A fresh CNN, seeded as the chapter's (the same weights for the same seed).

    Args:
        lr: Momentum's starting learning rate (the cosine schedule lowers it to 0 over `epochs`).
        dropout: the rate of both dropout layers, in [0, 1).
        epochs: length of the cosine schedule.
        seed: seeds the weights, the dropout masks and the shuffling.
    """
    rng = np.random.default_rng(seed)
    model = cnn(float(dropout), rng)
    optimizer = Momentum(lr=lr, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    scheduler = CosineAnnealingLR(optimizer, T_max=int(epochs))
    state = CNNState({"lr": lr, "dropout": float(dropout)}, model, optimizer, scheduler, rng)
    record(state, hold_out(cnn_digits(), VALIDATION))
    return state


def step(state: CNNState, n: int) -> CNNState:
    """Train `n` more epochs (in place), measuring both sets after each."""
    return train_epochs(state, n, hold_out(cnn_digits(), VALIDATION), batch_size=BATCH_SIZE)


def readout(state: CNNState) -> str:
    """Validation accuracy and both losses after the latest epoch, or where training diverged."""
    if state.diverged_at is not None:
        return (f"Diverged at epoch {state.diverged_at}{diverged_after(state)} (the loss blew up): "
                "try a smaller learning rate.")
    h = state.history
    return (f"Epoch {state.epoch}: validation accuracy {h['val_acc'][-1]:.1%} (train {h['train_acc'][-1]:.1%}); "
            f"loss: train {h['train_loss'][-1]:.3f}, validation {h['val_loss'][-1]:.3f}.")


class _Drawing(CurvesDrawing):
    """Loss (left) and accuracy (right) on one reusable figure, with a dotted line at 98 %."""

    def _build(self) -> None:
        fig, (ax_loss, ax_acc) = viz.new_figure(6.4, 2.7, ncols=2)
        empty = ([], [])
        with viz.style():
            self.loss = viz.plot_curves(ax_loss, {"train": empty, "validation": empty}, ylabel="loss",
                                        logy=True, ylim=(1e-3, 10.0), xmax=self.max_epochs)
            self.acc = viz.plot_curves(ax_acc, {"train": empty, "validation": empty}, ylabel="accuracy",
                                       ylim=(0.8, 1.005), xmax=self.max_epochs)
            ax_acc.axhline(0.98, color="0.6", linewidth=0.8, linestyle=":")
            ax_acc.legend(loc="lower right")
            for ax in (ax_loss, ax_acc):
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                ax.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(*self.acc.values(), *self.loss.values(), ax_acc.title, ax_loss.title)
        self.fig, self.ax_loss, self.ax_acc = fig, ax_loss, ax_acc

    def _titles(self, state: CNNState) -> None:
        s, h = state.settings, state.history
        self.ax_loss.title.set_text(f"lr {s['lr']:g}, dropout {s['dropout']:g}")
        self.ax_acc.title.set_text(f"epoch {state.epoch}: validation accuracy {h['val_acc'][-1]:.1%}")


def cnn_trainer_explorer(*, max_epochs: int = 15) -> TrainingExplorer:
    """The explorer: learning rate and dropout rate of the chapter's CNN, with Play / Pause / Step.

    Args:
        max_epochs: Play stops here; the cosine schedule spans this many epochs.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """

    def start(lr: float, dropout: float) -> CNNState:
        return init(lr, dropout, epochs=max_epochs)

    controls = {
        "lr": LogSlider("learning rate", 1e-3, 1.0, default=0.05, static=(0.005, 0.05, 0.5)),
        "dropout": Slider("dropout rate", 0.0, 0.75, 0.25, default=0.25, static=(0.0, 0.25, 0.5)),
    }
    frames = [0, 1, 2, 4, 7, 10, 15, 20, 30]
    at = min(4, max_epochs - 1)
    scenarios = {
        f"lr 0.1 for {at} epochs, then 0.01": Scenario({"lr": 0.1}, {at: {"lr": 0.01}}),
        f"dropout 0 until epoch {at}, then 0.5": Scenario({"dropout": 0.0}, {at: {"dropout": 0.5}}),
    }
    return TrainingExplorer(
        controls, start, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        epochs_per_frame=1, frames=[f for f in frames if f <= max_epochs], adjust=adjust, scenarios=scenarios,
        title="Training the CNN on the digits",
        alt="Left: training and validation loss against the epoch, on a logarithmic scale. Right: training "
            "and validation accuracy against the epoch, with a dotted line at 98 %.",
        dpi=100, static_dpi=90)
