"""What the classifier-training explorers share: an epoch of training, a run's record, its curves.

Four explorers watch a classifier train epoch by epoch: `digits_trainer`,
`cnn_trainer`, `overfitting` and `playground`. Each keeps in its own module
what makes it itself (its model, data, controls, readout and figure layout);
the logic that is the same in several of them lives here, written once:

* `train_one_epoch` (all four): one epoch of `dlbook.train.train`, counted in ``state.epoch``.
* `ClassifierRun`, `record` and `train_epochs` (the digits and the CNN trainer):
  a run with its train/test history, measuring it after an epoch, and the
  ``step(state, n)`` of their `TrainingExplorer`.
* `CurvesDrawing` (digits, CNN, overfitting): one reusable figure of loss and
  accuracy curves, updated in place; each explorer subclasses it to lay it out
  and title it.
* `mark_diverged` (all four figures): the "diverged at epoch k" label.

The overfitting explorer and the playground measure and stop differently
(every epoch is measured, even the one that diverged), so they keep their own
``_record`` and ``step``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlbook import viz
from dlbook.data import Dataset
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import Optimizer
from dlbook.train import train

__all__ = ["train_one_epoch", "ClassifierRun", "record", "train_epochs", "CurvesDrawing", "mark_diverged",
           "BLOWUP_LOSS"]

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


@dataclass
class ClassifierRun:
    """One training run and its history, measured after every epoch (index 0: before training).

    The training loss of an epoch is the mean over its mini-batches (dropout on), as `train` reports
    it; the test loss and both accuracies are measured after the epoch, in inference mode.
    """

    settings: dict
    model: Sequential
    optimizer: Optimizer
    scheduler: Any  # a learning-rate schedule from `dlbook.schedules`
    rng: np.random.Generator
    epoch: int = 0
    diverged_at: int | None = None
    history: dict[str, list[float]] = field(default_factory=lambda: {
        "train_loss": [], "test_loss": [], "train_acc": [], "test_acc": []})


def _measure(model: Sequential, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) in inference mode, from one forward pass."""
    scores = model.predict(x)
    return SoftmaxCrossEntropy().forward(scores, y), float(np.mean(scores.argmax(axis=1) == y))


def record(run: ClassifierRun, data: Dataset, train_loss: float | None = None,
           train_acc: float | None = None) -> None:
    """Append this epoch's losses and accuracies on `data`; a loss that blew up ends the run.

    After an epoch of training, `train` has already measured the training set:
    its mean mini-batch loss and its accuracy are passed in rather than computed again.
    """
    if train_loss is None:
        train_loss, train_acc = _measure(run.model, data.x_train, data.y_train)
    test_loss, test_acc = _measure(run.model, data.x_test, data.y_test)
    for name, value in (("train_loss", train_loss), ("train_acc", train_acc), ("test_loss", test_loss),
                        ("test_acc", test_acc)):
        run.history[name].append(value)
    if not (math.isfinite(train_loss) and train_loss <= BLOWUP_LOSS):
        run.diverged_at = run.epoch


def train_epochs(run: ClassifierRun, n: int, data: Dataset, *, batch_size: int) -> ClassifierRun:
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


def mark_diverged(ax, note, diverged_at: int | None):
    """Replace the "diverged at epoch k" label: remove `note` (if any), write a new one if the run diverged.

    Returns:
        The new label's ``Text`` (keep it to pass in next time), or ``None``.
    """
    if note is not None:
        note.remove()
    if diverged_at is None:
        return None
    note = viz.annotate_diverged(ax, diverged_at, what="epoch")
    viz.animate(note)
    return note


class CurvesDrawing(ABC):
    """One reusable figure of loss and accuracy curves against the epoch, updated in place.

    A subclass lays the figure out in ``_build`` (once, on the first call), setting
    ``fig``, ``ax_loss`` and ``loss`` and ``acc`` (the ``{label: Line2D}`` of
    `viz.plot_curves`), and writes the titles in ``_titles(state)``.
    `sets` maps each curve's label to its history key's prefix:
    ``{"test": "test"}`` draws ``history["test_loss"]`` and ``history["test_acc"]``.
    """

    sets = {"train": "train", "test": "test"}

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs = max_epochs
        self.fig = None
        self.note = None

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
        self.note = mark_diverged(self.ax_loss, self.note, state.diverged_at)
        self._titles(state)
        return self.fig
