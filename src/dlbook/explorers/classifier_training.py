"""What the classifier-training explorers share: an epoch of training, a run's record, its curves.

Four explorers watch a classifier train epoch by epoch: `digits_trainer`,
`cnn_trainer`, `overfitting` and `playground`. Each keeps in its own module
what makes it itself (its model, data, controls, readout and figure layout);
the logic that is the same in several of them lives here, written once:

* `train_one_epoch` (all four): one epoch of `dlbook.train.train`, counted in ``state.epoch``.
* `Split`, `hold_out` (digits, CNN): training data and a validation set taken
  from it; explorers monitor validation data, never the test set.
* `ClassifierRun`, `record` and `train_epochs` (the digits and the CNN trainer):
  a run with its train/validation history, measuring it after an epoch, and the
  ``step(state, n)`` of their `TrainingExplorer`.
* `adjust` (all four): a hot change of learning rate, momentum α, weight decay
  or dropout rate applied to a running training (see `dlbook.hot`), and
  `mark_changes`: the labelled vertical lines that show it on the curves.
* `CurvesDrawing` (digits, CNN, overfitting, momentum): one reusable figure of
  loss and accuracy curves, updated in place; each explorer subclasses it to lay
  it out and title it (`LossAccuracyDrawing`: the layout of the digits and the
  momentum explorers).
* `mark_diverged` (all four figures): the "diverged at epoch k" label.

The overfitting explorer and the playground measure and stop differently
(every epoch is measured, even the one that diverged), so they keep their own
``_record`` and ``step``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from dlbook import viz
from dlbook.data import Dataset
from dlbook.hot import Change, diverged_after
from dlbook.layers import Dropout
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import Optimizer
from dlbook.train import train

__all__ = ["train_one_epoch", "Split", "hold_out", "ClassifierRun", "record", "train_epochs", "adjust",
           "CurvesDrawing", "LossAccuracyDrawing", "mark_diverged", "mark_changes", "BLOWUP_LOSS"]

# A cross-entropy above this (guessing 10 classes scores ln 10 = 2.3) means the weights have blown up.
BLOWUP_LOSS = 50.0


def train_one_epoch(state: Any, x: np.ndarray, y: np.ndarray, *, batch_size: int, scheduler=None) -> dict:
    """One epoch of mini-batch training with softmax cross-entropy; updates ``state`` in place.

    Args:
        state: has ``model``, ``optimizer``, ``rng`` (shuffling, dropout masks) and ``epoch``, which grows by one.
        x: (N, ...) training inputs; y: (N,) class indices.
        batch_size: samples per update.
        scheduler: a learning-rate schedule stepped once per epoch, or ``None``.

    Returns:
        `dlbook.train.train`'s history of this epoch (``"loss"``, ``"train_acc"``, ``"diverged_at"``, ...).
    """
    history = train(state.model, state.optimizer, (x, y), SoftmaxCrossEntropy(),
                    epochs=1, batch_size=batch_size, rng=state.rng, scheduler=scheduler)
    state.epoch += 1
    return history


class Split(NamedTuple):
    """Training data and the validation set an explorer monitors: ``x: (N, ...)``, ``y: (N,)``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def hold_out(data: Dataset, n_val: int) -> Split:
    """The last `n_val` training examples validate; the rest train. The test set is left untouched.

    The test set is touched once per experiment (chapter "Regularization"), so an
    explorer, where the reader tunes settings while watching, monitors validation data.
    """
    N = len(data.x_train)
    if not 0 < n_val < N:
        raise ValueError(f"Invalid n_val: {n_val} (the training set has {N} examples)")
    return Split(data.x_train[:N - n_val], data.y_train[:N - n_val], data.x_train[N - n_val:],
                 data.y_train[N - n_val:])


@dataclass
class ClassifierRun:
    """One training run and its history, measured after every epoch (index 0: before training).

    The training loss of an epoch is the mean over its mini-batches (dropout on), as `train` reports
    it; the validation loss and both accuracies are measured after the epoch, in inference mode.
    ``changes`` lists the hot changes made while it trained (see `adjust`).
    """

    settings: dict
    model: Sequential
    optimizer: Optimizer
    scheduler: Any  # a learning-rate schedule from `dlbook.schedules`
    rng: np.random.Generator
    epoch: int = 0
    diverged_at: int | None = None
    history: dict[str, list[float]] = field(default_factory=lambda: {
        "train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []})
    changes: list[Change] = field(default_factory=list)


def _measure(model: Sequential, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) in inference mode, from one forward pass."""
    scores = model.predict(x)
    return SoftmaxCrossEntropy().forward(scores, y), float(np.mean(scores.argmax(axis=1) == y))


def record(run: ClassifierRun, data: Split, train_loss: float | None = None,
           train_acc: float | None = None) -> None:
    """Append this epoch's losses and accuracies on `data` (training and validation); a loss that blew up ends the run.

    After an epoch of training, `train` has already measured the training set:
    its mean mini-batch loss and its accuracy are passed in rather than computed again.
    """
    if train_loss is None:
        train_loss, train_acc = _measure(run.model, data.x_train, data.y_train)
    val_loss, val_acc = _measure(run.model, data.x_val, data.y_val)
    for name, value in (("train_loss", train_loss), ("train_acc", train_acc), ("val_loss", val_loss),
                        ("val_acc", val_acc)):
        run.history[name].append(value)
    if not (math.isfinite(train_loss) and train_loss <= BLOWUP_LOSS):
        run.diverged_at = run.epoch


def train_epochs(run: ClassifierRun, n: int, data: Split, *, batch_size: int) -> ClassifierRun:
    """Train `n` more epochs on `data` (in place), measuring both sets after each; stop where it diverges."""
    for _ in range(n):
        history = train_one_epoch(run, data.x_train, data.y_train, batch_size=batch_size,
                                  scheduler=run.scheduler)
        if history["diverged_at"] is not None:
            run.diverged_at = run.epoch
            break
        record(run, data, history["loss"][-1], history["train_acc"][-1])
        if run.diverged_at is not None:
            break
    return run


def adjust(state: Any, **changed: Any) -> Any:
    """Apply hot changes to a running training, in place; the optimizer keeps its state.

    Args:
        state: has ``optimizer`` and ``model`` (and ``scheduler``, which may be ``None`` or absent).
        **changed: any of ``lr``, ``momentum`` (α), ``weight_decay`` (λ), ``dropout`` (p of every
            `Dropout` layer, taken at the next batch). With a learning-rate schedule, ``lr`` is its
            starting value: the schedule goes on from the same epoch, scaled to the new start.

    Returns:
        `state`, changed in place.
    """
    optimizer = state.optimizer
    for name, value in changed.items():
        if name == "lr":
            scheduler = getattr(state, "scheduler", None)
            if scheduler is None:
                optimizer.lr = value
            else:
                scheduler.base_lr = float(value)
                optimizer.lr = scheduler.lr_at(scheduler.epoch)
        elif name == "momentum" and hasattr(optimizer, "momentum"):
            if not 0 <= value < 1:
                raise ValueError(f"Invalid momentum value: {value}")
            optimizer.momentum = float(value)
        elif name == "weight_decay":
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"Invalid weight_decay value: {value}")
            optimizer.weight_decay = float(value)
        elif name == "dropout":
            if not 0 <= value < 1:
                raise ValueError(f"Invalid dropout probability: {value} (expected 0 <= p < 1)")
            for layer in state.model.layers:
                if isinstance(layer, Dropout):
                    layer.p = float(value)
        else:
            raise ValueError(f"Cannot change {name!r} while training ({type(optimizer).__name__})")
    return state


def mark_diverged(ax, note, diverged_at: int | None, after: str = ""):
    """Replace the "diverged at epoch k" label: remove `note` (if any), write a new one if the run diverged.

    Args:
        after: e.g. " after lr → 2.0" (`dlbook.hot.diverged_after`), added under the label.

    Returns:
        The new label's ``Text`` (keep it to pass in next time), or ``None``.
    """
    if note is not None:
        note.remove()
    if diverged_at is None:
        return None
    note = viz.annotate_diverged(ax, diverged_at, what="epoch")
    if after:
        note.set_text(f"{note.get_text()}\n{after.strip()}")
    viz.animate(note)
    return note


def mark_changes(axes, marked: tuple, changes: list[Change]) -> tuple:
    """Draw each hot change as a thin vertical line at its epoch on each of `axes`, labelled "lr 0.5 → 0.05".

    Args:
        axes: the axes to mark (their x axis is the epoch).
        marked: what the previous call returned, ``()`` the first time.
        changes: the changes to show, e.g. ``state.changes``.

    Returns:
        ``(changes, artists)`` to pass in as `marked` next time: the lines are redrawn only when the changes differ.
    """
    if marked and marked[0] == tuple(changes):
        return marked
    for artist in marked[1] if marked else ():
        artist.remove()
    artists = []
    with viz.style():
        for change in changes:
            for ax in axes:
                artists.append(ax.axvline(change.epoch, color="0.35", linewidth=0.8, zorder=1.5))
                artists.append(ax.text(change.epoch, 0.97, change.label + " ", transform=ax.get_xaxis_transform(),
                                       rotation=90, ha="right", va="top", fontsize=7, color="0.2"))
    viz.animate(*artists)
    return tuple(changes), artists


class CurvesDrawing(ABC):
    """One reusable figure of loss and accuracy curves against the epoch, updated in place.

    A subclass lays the figure out in ``_build`` (once, on the first call), setting
    ``fig``, ``ax_loss`` and ``loss`` and ``acc`` (the ``{label: Line2D}`` of
    `viz.plot_curves`), and writes the titles in ``_titles(state)``.
    `sets` maps each curve's label to its history key's prefix:
    ``{"validation": "val"}`` draws ``history["val_loss"]`` and ``history["val_acc"]``.
    Hot changes (``state.changes``) are marked on both axes, and a divergence says what came before it.
    """

    sets = {"train": "train", "validation": "val"}

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs = max_epochs
        self.fig = None
        self.note = None
        self.marked: tuple = ()

    @abstractmethod
    def _build(self) -> None:
        """Lay the figure out (see the class docstring)."""

    @abstractmethod
    def _titles(self, state: Any) -> None:
        """Write the figure's titles for `state`."""

    def __call__(self, state: Any):
        if self.fig is None:
            self._build()
        h = state.history
        epochs = np.arange(len(h["train_acc"]))
        for curves, kind in ((self.loss, "loss"), (self.acc, "acc")):
            for label, prefix in self.sets.items():
                curves[label].set_data(epochs, h[f"{prefix}_{kind}"])
        self.note = mark_diverged(self.ax_loss, self.note, state.diverged_at, diverged_after(state))
        self.marked = mark_changes((self.ax_loss, self.ax_acc), self.marked, state.changes)
        self._titles(state)
        return self.fig


class LossAccuracyDrawing(CurvesDrawing):
    """Loss (left, logarithmic) and accuracy (right) on one reusable figure; a subclass writes the titles."""

    acc_ylim = (0.5, 1.005)

    def _build(self) -> None:
        fig, (ax_loss, ax_acc) = viz.new_figure(6.4, 2.7, ncols=2)
        empty = {label: ([], []) for label in self.sets}
        self.loss = viz.plot_curves(ax_loss, empty, ylabel="loss", logy=True, ylim=(1e-3, 10.0), xmax=self.max_epochs)
        self.acc = viz.plot_curves(ax_acc, empty, ylabel="accuracy", ylim=self.acc_ylim, xmax=self.max_epochs)
        ax_acc.legend(loc="lower right")
        ax_loss.set_title(" ")
        ax_acc.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(*self.acc.values(), *self.loss.values(), ax_acc.title, ax_loss.title)
        self.fig, self.ax_loss, self.ax_acc = fig, ax_loss, ax_acc
