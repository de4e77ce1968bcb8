"""The small problem of chapters 6 and 7: a network big enough to memorize 300 digits.

Chapter 6 (Regularization) builds it and chapter 7 (Data and normalization)
reuses it, so that every remedy in both chapters is measured on the same
problem:

* ``split()``: 300 training images, 500 validation images and the 359 test
  images of `dlbook.data.load_digits` (float64 pixels in [0, 1]);
* ``make_net(seed, dropout)``: 64 -> 100 -> 100 -> 10 with ReLU, optionally a
  Dropout layer after each hidden layer;
* ``fit(net, ...)``: ``EPOCHS`` epochs of Momentum SGD (learning rate 0.02,
  momentum 0.9) in mini-batches of 32 on the training images, recording the
  validation loss and accuracy after every epoch.

A ``seed`` fixes the initial weights, the dropout masks and the order of the
mini-batches, so every run can be repeated exactly on one computer.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np

from dlbook.data import load_digits
from dlbook.layers import Dropout, Linear, ReLU
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import Momentum
from dlbook.train import EarlyStopping, train

__all__ = ["EPOCHS", "Split", "split", "make_net", "fit"]

EPOCHS = 60


class Split(NamedTuple):
    x_train: np.ndarray  # (300, 64)
    y_train: np.ndarray  # (300,)
    x_val: np.ndarray    # (500, 64)
    y_val: np.ndarray    # (500,)
    x_test: np.ndarray   # (359, 64): used once, at the very end of chapter 6
    y_test: np.ndarray   # (359,)


@cache
def split() -> Split:
    """The digits of chapters 6 and 7: few training images, a validation set, the test set."""
    digits = load_digits(dtype=np.float64)  # pixels in [0, 1]; the book's usual split
    arrays = (digits.x_train[:300], digits.y_train[:300],
              digits.x_train[300:800], digits.y_train[300:800],
              digits.x_test, digits.y_test)
    for a in arrays:
        a.flags.writeable = False  # shared by every caller: nobody may change it
    return Split(*arrays)


def make_net(seed: int = 0, dropout: float = 0.0) -> Sequential:
    """64 -> 100 -> 100 -> 10 with ReLU.

    With dropout > 0, a Dropout layer follows each hidden layer.
    """
    rng = np.random.default_rng(seed)
    layers, d_in = [], 64
    for _ in range(2):
        layers += [Linear(d_in, 100, rng=rng), ReLU()]
        if dropout > 0:
            layers.append(Dropout(dropout, rng=rng))
        d_in = 100
    return Sequential(*layers, Linear(d_in, 10, rng=rng))


def fit(net: Sequential, *, weight_decay: float = 0.0, max_norm: float | None = None,
        epochs: int = EPOCHS, seed: int = 0,
        early_stopping: EarlyStopping | None = None) -> dict:
    """Train `net` on the 300 training images; return `dlbook.train.train`'s history.

    Momentum SGD (lr 0.02, momentum 0.9) with the given weight decay and
    max-norm bound, mini-batches of 32 in an order fixed by `seed`; the
    validation loss and accuracy are recorded after every epoch.
    """
    data = split()
    optimizer = Momentum(lr=0.02, momentum=0.9, weight_decay=weight_decay,
                         max_norm=max_norm)
    return train(net, optimizer, (data.x_train, data.y_train), SoftmaxCrossEntropy(),
                 epochs=epochs, batch_size=32,
                 rng=np.random.default_rng(seed + 100),
                 val_data=(data.x_val, data.y_val), early_stopping=early_stopping)
