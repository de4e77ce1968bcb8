"""The batch-size explorer: logistic regression on two Gaussian blobs, trained by mini-batch SGD.

Controls: the batch size (1 is stochastic gradient descent, 200 — the whole
training set — is batch gradient descent), the learning rate η and the number
of epochs. The figure shows the same run twice: the training and validation
loss after every epoch (left), and the training loss after every single update
(right, on a log scale of updates: one epoch is 200 updates with batch size
1 but a single update with batch size 200).

The model is ``Sequential(Linear(2, 1))`` with the loss `SigmoidBCE`, trained
with `dlbook.train.train` and plain `SGD` from all-zero weights, so every run
starts from the same loss, ln 2. The explorer is for trying settings, so it
measures on validation points; the chapter's test points are never touched here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dlbook import viz
from dlbook.data import gaussians, minibatches
from dlbook.layers import Linear
from dlbook.losses import SigmoidBCE
from dlbook.model import Sequential
from dlbook.optim import SGD
from dlbook.train import evaluate
from dlbook.widgets import Explorer, LogSlider, Slider

__all__ = ["logistic_batch_explorer", "toy_problem", "LogisticRun", "run", "readout", "N_TRAIN", "N_VAL", "N_TEST"]

N_TRAIN, N_VAL, N_TEST = 200, 100, 100  # the chapter's split of gaussians(400)
CURVE_POINTS = 200  # the per-update curve is measured at about this many update counts, log-spaced
NOISE = 0.3
BLOWUP_LOSS = 1e3  # a loss this large (or not a number) ends the run: the weights have blown up


def toy_problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The data set: ``dlbook.data.gaussians(400, noise=0.3)``: the first 200 points train, the next 100 validate.

    The last 100 are the chapter's test set, which the explorer leaves alone.

    Returns:
        ``(x_train, y_train, x_val, y_val)``: x ``(N, 2)`` and y ``(N, 1)`` float64 labels 0 or 1
        (the shape `SigmoidBCE` expects for one logit per sample).
    """
    x, y = gaussians(N_TRAIN + N_VAL + N_TEST, noise=NOISE, rng=np.random.default_rng(seed))
    y = y.astype(np.float64)[:, None]  # (N, 1)
    val = slice(N_TRAIN, N_TRAIN + N_VAL)
    return x[:N_TRAIN], y[:N_TRAIN], x[val], y[val]


@dataclass(frozen=True, eq=False)
class LogisticRun:
    """One training run: its settings and what was measured.

    Attributes:
        batch_size, lr, epochs: the settings.
        train_loss, val_loss (np.ndarray): (epochs + 1,) loss on the whole training / validation set
            before training (index 0) and after every epoch.
        updates (np.ndarray): (M,) update counts, log-spaced from 1 to the last update (every
            update while there are few; always the end of every epoch).
        update_loss (np.ndarray): (M,) the loss on the whole training set after that many updates.
        total_updates (int): how many updates the run made.
        val_acc (float): validation accuracy at the end.
        diverged_at (int | None): the epoch in which the loss blew up; None if it never did.
    """

    batch_size: int
    lr: float
    epochs: int
    train_loss: np.ndarray
    val_loss: np.ndarray
    updates: np.ndarray
    update_loss: np.ndarray
    total_updates: int
    val_acc: float
    diverged_at: int | None

    @property
    def updates_per_epoch(self) -> int:
        return math.ceil(N_TRAIN / self.batch_size)


def run(batch_size: int, lr: float, epochs: int, seed: int = 0) -> LogisticRun:
    """Train logistic regression with mini-batch SGD, measuring the training loss as it goes.

    The loop is `dlbook.train.train`'s (same batches, in the same order for the same rng), with
    one addition: the loss on the whole training set is measured after the updates listed in
    ``updates`` (log-spaced, as the figure's axis is: measuring after each of thousands of updates
    would take longer than the training).

    Args:
        batch_size: samples per update, 1 .. 200.
        lr: the learning rate.
        epochs: passes over the 200 training points.
        seed: seeds the data (`toy_problem`); the shuffling uses ``seed + 1``.
    """
    x_train, y_train, x_val, y_val = toy_problem(seed)
    model = Sequential(Linear(2, 1, rng=np.random.default_rng(seed), weight_init=0.0))  # all zeros
    optimizer, loss_fn, rng = SGD(lr=lr), SigmoidBCE(), np.random.default_rng(seed + 1)
    train_loss = [evaluate(model, x_train, y_train, loss_fn)[0]]
    val_loss = [evaluate(model, x_val, y_val, loss_fn)[0]]
    per_epoch = math.ceil(N_TRAIN / int(batch_size))
    total = per_epoch * int(epochs)
    measure = set(np.geomspace(1, max(total, 1), CURVE_POINTS).round().astype(int).tolist())
    measure |= set(range(per_epoch, total + 1, per_epoch))  # every epoch's end
    updates: list[int] = []
    update_loss: list[float] = []
    val_acc, diverged_at, k = 0.5, None, 0
    for epoch in range(1, int(epochs) + 1):
        for xb, yb in minibatches(x_train, y_train, int(batch_size), rng=rng):
            loss_fn.forward(model.forward(xb, train=True), yb)
            model.backward(loss_fn.backward())
            optimizer.step(model.params(), model.grads())
            k += 1
            if k in measure:
                updates.append(k)
                update_loss.append(evaluate(model, x_train, y_train, loss_fn)[0])
        val, val_acc = evaluate(model, x_val, y_val, loss_fn)
        if not (math.isfinite(update_loss[-1]) and update_loss[-1] < BLOWUP_LOSS):
            diverged_at = epoch
            break
        train_loss.append(update_loss[-1])
        val_loss.append(val)
    return LogisticRun(int(batch_size), float(lr), int(epochs), np.array(train_loss), np.array(val_loss),
                       np.array(updates), np.array(update_loss), k, float(val_acc), diverged_at)


def readout(result: LogisticRun) -> str:
    """The key numbers: updates per epoch and in all, the final losses and validation accuracy."""
    where = f"Batch size {result.batch_size}, η = {result.lr:g}"
    if result.diverged_at is not None:
        return f"{where}: diverged in epoch {result.diverged_at}. Try a smaller learning rate."
    per_epoch = f"{result.updates_per_epoch} update{'s' if result.updates_per_epoch > 1 else ''} per epoch"
    return (f"{where}: {per_epoch}, {result.total_updates} in all. "
            f"After {result.epochs} epochs: train loss {result.train_loss[-1]:.3f}, "
            f"validation loss {result.val_loss[-1]:.3f}, validation accuracy {result.val_acc:.1%}.")


class _Drawing:
    """One reusable figure: both panels' lines are replaced on every draw."""

    def __init__(self) -> None:
        self.fig = None

    def _build(self) -> None:
        fig, (ax_epoch, ax_update) = viz.new_figure(6.4, 2.6, ncols=2)
        fig.get_layout_engine().set(w_pad=0.08)
        self.lines = viz.plot_curves(ax_epoch, {"train": ([], []), "validation": ([], [])}, ylim=(0.0, 0.8))
        ax_epoch.set_title(" ")
        self.update_line = viz.plot_curves(ax_update, {"train": ([], [])}, xlabel="update (log scale)",
                                           ylim=(0.0, 0.8))["train"]
        ax_update.set_xscale("log")
        ax_update.set_xlim(1, 20 * N_TRAIN)
        ax_update.get_legend().remove()
        ax_update.set_title(" ")
        viz.freeze_layout(fig)
        self.fig, self.ax_epoch, self.ax_update, self.note = fig, ax_epoch, ax_update, None

    def __call__(self, result: LogisticRun):
        if self.fig is None:
            self._build()
        epochs = np.arange(len(result.train_loss))
        self.lines["train"].set_data(epochs, result.train_loss)
        self.lines["validation"].set_data(epochs, result.val_loss)
        self.ax_epoch.set_xlim(0, result.epochs)
        self.update_line.set_data(result.updates, result.update_loss)
        self.ax_update.set_xlim(1, max(result.epochs * N_TRAIN, 10))
        if self.note is not None:
            self.note.remove()
            self.note = None
        if result.diverged_at is not None:
            self.note = viz.annotate_diverged(self.ax_epoch, result.diverged_at, what="epoch")
        self.ax_epoch.set_title(f"per epoch: batch {result.batch_size}, η {result.lr:g}")
        self.ax_update.set_title(f"per update: {result.updates_per_epoch} per epoch")
        return self.fig


def logistic_batch_explorer(*, epochs: int = 20) -> Explorer:
    """The explorer: batch size, learning rate η and epochs for logistic regression.

    Args:
        epochs: the default number of epochs.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "batch_size": LogSlider("batch size", 1, N_TRAIN, default=10, static=(1, 10, 100, N_TRAIN)),
        "lr": LogSlider("learning rate η", 1e-3, 10.0, default=0.1, static=(0.01, 0.1, 1.0, 10.0)),
        "epochs": Slider("epochs", 5, 100, 5, default=epochs, static=(epochs,)),
    }
    return Explorer(
        controls, run, _Drawing(), readout=readout,
        title="Logistic regression: batch size and learning rate",
        alt="Left: training loss (solid) and validation loss (dashed) against the epoch. Right: the training loss "
            "after every update against the number of updates, on a logarithmic axis.",
        dpi=100, static_dpi=100)
