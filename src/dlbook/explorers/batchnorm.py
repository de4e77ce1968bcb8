"""The batch-normalization explorer: how wide the first weights are, with and without batch normalization.

A network of four hidden layers of 50 ReLU units learns 300 of the 8x8 digits
with plain SGD, its weights drawn from N(0, scale²) for one `weight_scale`.
With ``batch_norm`` on, a `BatchNorm` sits between every hidden `Linear` and
its ReLU. The figure shows, for both networks at this scale (the chosen one
bold, the other thin):

* left, how spread out each hidden layer's outputs are before training (their
  standard deviation, on a log scale): without batch normalization the spread
  shrinks or grows by a constant factor per layer;
* right, the training accuracy after each epoch.

``run`` trains both networks once per scale (a cache keeps them), so switching
batch normalization on and off costs nothing.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from dlbook import viz
from dlbook.data import load_digits
from dlbook.layers import BatchNorm, Linear, ReLU
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import SGD
from dlbook.train import accuracy, train
from dlbook.widgets import LogSlider, Toggle, Explorer

__all__ = ["batchnorm_explorer", "BatchNormRun", "BatchNormResult", "build", "train_once", "run", "readout",
           "bn_input_variances"]

HIDDEN = (50, 50, 50, 50)
N_TRAIN = 300
LR, BATCH_SIZE, EPOCHS = 0.05, 32, 20
STD_LIMITS = (1e-12, 1e8)  # the left panel's y range
COLORS = {True: viz.PALETTE["blue"], False: viz.PALETTE["orange"]}


def build(weight_scale: float, batch_norm: bool, *, rng: np.random.Generator) -> Sequential:
    """Linear -> [BatchNorm ->] ReLU for each hidden layer, then Linear to 10 scores; W ~ N(0, weight_scale²)."""
    layers, d_in = [], 64
    for d_out in HIDDEN:
        layers.append(Linear(d_in, d_out, rng=rng, weight_init=weight_scale))
        if batch_norm:
            layers.append(BatchNorm(d_out))
        layers.append(ReLU())
        d_in = d_out
    return Sequential(*layers, Linear(d_in, 10, rng=rng, weight_init=weight_scale))


def activation_stds(model: Sequential, x: np.ndarray) -> list[float]:
    """Standard deviation of every ReLU's output on x, in training mode; BatchNorm's running statistics are kept."""
    saved = [{k: v.copy() for k, v in layer.buffers.items()} for layer in model.layers]
    stds = []
    for layer in model.layers:
        x = layer.forward(x, train=True)
        if isinstance(layer, ReLU):
            stds.append(float(x.std()))
    for layer, buffers in zip(model.layers, saved):
        for name, value in buffers.items():
            layer.buffers[name][...] = value
    return stds


def bn_input_variances(weight_scale: float, seed: int = 0) -> list[float]:
    """The batch variance of each BatchNorm's input, averaged over its features, before training.

    The network is the one `train_once(weight_scale, True, seed)` starts from, run on the 300
    training digits in training mode (its running statistics are left as they were). Compare
    the values with BatchNorm's eps = 1e-5: x_hat's spread is sqrt(var / (var + eps)), close to
    1 only while the variance is much larger than eps.
    """
    x_train = _digits()[0]
    model = build(weight_scale, True, rng=np.random.default_rng(seed))
    saved = [{k: v.copy() for k, v in layer.buffers.items()} for layer in model.layers]
    variances = []
    x = x_train
    for layer in model.layers:
        if isinstance(layer, BatchNorm):
            variances.append(float(x.var(axis=0).mean()))  # x: (N, D) -> one variance per feature
        x = layer.forward(x, train=True)
    for layer, buffers in zip(model.layers, saved):
        for name, value in buffers.items():
            layer.buffers[name][...] = value
    return variances


@dataclass(frozen=True)
class BatchNormRun:
    """One network trained at one setting.

    Attributes:
        weight_scale, batch_norm: the setting.
        layer_std: std of each hidden layer's output before training.
        train_acc: training accuracy before training (index 0) and after each epoch.
        val_acc: validation accuracy at the end (NaN if training diverged).
        diverged_at: the epoch whose loss became NaN or infinite, or None.
    """

    weight_scale: float
    batch_norm: bool
    layer_std: tuple[float, ...]
    train_acc: tuple[float, ...]
    val_acc: float
    diverged_at: int | None


@functools.lru_cache(maxsize=64)
def _digits() -> tuple[np.ndarray, ...]:
    digits = load_digits(seed=0, dtype=np.float64)
    x, y = digits.x_train, digits.y_train
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:800], y[N_TRAIN:800]


@functools.lru_cache(maxsize=64)
def train_once(weight_scale: float, batch_norm: bool, seed: int = 0) -> BatchNormRun:
    """Train one network for `EPOCHS` epochs on the 300 training digits (cached: same arguments, same run)."""
    x_train, y_train, x_val, y_val = _digits()
    rng = np.random.default_rng(seed)
    model = build(weight_scale, batch_norm, rng=rng)
    stds = activation_stds(model, x_train)
    first = accuracy(model, x_train, y_train)
    with np.errstate(all="ignore"):  # a diverging run is an outcome here, not an error
        history = train(model, SGD(lr=LR), (x_train, y_train), SoftmaxCrossEntropy(),
                        epochs=EPOCHS, batch_size=BATCH_SIZE, rng=rng)
    diverged_at = None
    if history["diverged_at"] is not None:
        diverged_at = len(history["train_acc"]) + 1
        val_acc = math.nan
    else:
        val_acc = accuracy(model, x_val, y_val)
    return BatchNormRun(float(weight_scale), bool(batch_norm), tuple(stds),
                        (first, *history["train_acc"]), val_acc, diverged_at)


@dataclass(frozen=True)
class BatchNormResult:
    """The chosen run and, for comparison, the same scale with batch normalization switched the other way."""

    chosen: BatchNormRun
    other: BatchNormRun


def run(weight_scale: float, batch_norm: bool) -> BatchNormResult:
    """Both networks at this weight scale; `batch_norm` says which one is chosen."""
    return BatchNormResult(train_once(weight_scale, batch_norm), train_once(weight_scale, not batch_norm))


def _describe(r: BatchNormRun) -> str:
    if r.diverged_at is not None:
        return f"diverged in epoch {r.diverged_at}"
    return f"training accuracy {r.train_acc[-1]:.0%} after {len(r.train_acc) - 1} epochs"


def readout(result: BatchNormResult) -> str:
    """The outcome for both networks, in words."""
    c, o = result.chosen, result.other
    on = "with" if c.batch_norm else "without"
    off = "without" if c.batch_norm else "with"
    return (f"Weight scale {c.weight_scale:g}, {on} batch normalization: {_describe(c)}; the last hidden "
            f"layer's outputs start with std {c.layer_std[-1]:.2g}. {off.capitalize()}: {_describe(o)}.")


class _Drawing:
    """One reusable figure; both panels' lines are updated in place."""

    def __init__(self) -> None:
        self.fig = None

    def _build(self) -> None:
        fig, (ax_std, ax_acc) = viz.new_figure(6.4, 2.7, ncols=2)
        layers = np.arange(1, len(HIDDEN) + 1)
        epochs = np.arange(EPOCHS + 1)
        self.lines = {}
        with viz.style():
            for bn in (True, False):
                label = "with batch norm" if bn else "without"
                self.lines["std", bn], = ax_std.plot(layers, np.ones(len(layers)), "o-", color=COLORS[bn],
                                                      label=label, markersize=4)
                self.lines["acc", bn], = ax_acc.plot(epochs, np.zeros(len(epochs)), color=COLORS[bn], label=label)
            ax_std.set_yscale("log")
            ax_std.set_ylim(*STD_LIMITS)
            ax_std.set_xticks(layers)
            ax_std.set_xlabel("hidden layer")
            ax_std.set_ylabel("std of its outputs")
            ax_std.set_title("before training")
            ax_acc.set_ylim(0, 1.02)
            ax_acc.set_xlim(0, EPOCHS)
            ax_acc.set_xlabel("epoch")
            ax_acc.set_ylabel("training accuracy")
            ax_acc.legend(loc="lower right")
            ax_acc.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(*self.lines.values(), ax_acc.title)
        self.fig, self.ax_acc = fig, ax_acc

    def __call__(self, result: BatchNormResult):
        if self.fig is None:
            self._build()
        for r in (result.chosen, result.other):
            chosen = r is result.chosen
            stds = np.clip(r.layer_std, *STD_LIMITS)  # a std of 0 (every unit dead) sits on the axis
            self.lines["std", r.batch_norm].set_ydata(stds)
            self.lines["acc", r.batch_norm].set_data(np.arange(len(r.train_acc)), r.train_acc)
            for kind in ("std", "acc"):
                line = self.lines[kind, r.batch_norm]
                line.set_linewidth(2.4 if chosen else 1.0)
                line.set_alpha(1.0 if chosen else 0.55)
                line.set_zorder(3 if chosen else 2)
        c = result.chosen
        state = "on" if c.batch_norm else "off"
        with viz.style():
            self.ax_acc.set_title(f"weight scale {c.weight_scale:g}, batch norm {state}")
        return self.fig


def batchnorm_explorer() -> Explorer:
    """The explorer: the initial weight scale and batch normalization on or off.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "weight_scale": LogSlider("initial weight scale", 1e-3, 10.0, default=0.01, steps_per_decade=2,
                                  static=(0.001, 0.01, 0.1, 0.3, 1.0, 3.0)),
        "batch_norm": Toggle("batch normalization", default=True),
    }
    return Explorer(
        controls, run, _Drawing(), readout=readout, title="Batch normalization and the initial weight scale",
        alt="Left: the standard deviation of each of the four hidden layers' outputs before training, on a "
            "logarithmic scale, with and without batch normalization. Right: the training accuracy after "
            "each epoch for both networks; the chosen one is drawn bold.",
        dpi=100, static_dpi=80)
