"""The training loop: forward, loss, backward, optimizer step — over mini-batches, for some epochs.

Everything a chapter trains goes through `train`, so every chapter measures
loss and accuracy the same way.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from .data import minibatches
from .model import Sequential

__all__ = ["train", "evaluate", "accuracy", "EarlyStopping"]


def accuracy(model: Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of samples whose predicted class equals the label.

    Multi-class scores ``(N, K)`` predict ``argmax``; a single logit ``(N,)``
    or ``(N, 1)`` predicts class 1 when it is positive. ``y`` holds class
    indices ``(N,)`` or one-hot rows ``(N, K)``.
    """
    if len(x) == 0:
        raise ValueError("accuracy: got no samples; the fraction correct of nothing is undefined")
    scores = model.predict(x)
    if scores.ndim == 2 and scores.shape[1] > 1:
        predicted = scores.argmax(axis=1)
    else:
        predicted = (scores.reshape(-1) > 0).astype(np.int64)
    labels = y.argmax(axis=1) if (y.ndim == 2 and y.shape[1] > 1) else y.reshape(-1)
    if predicted.shape != labels.shape:
        raise ValueError(f"accuracy: {predicted.shape[0]} predictions but labels of shape {y.shape}")
    return float(np.mean(predicted == labels))


def evaluate(model: Sequential, x: np.ndarray, y: np.ndarray, loss_fn) -> tuple[float, float]:
    """(loss, accuracy) of the network on ``(x, y)``, in inference mode."""
    loss = loss_fn.forward(model.predict(x), y)
    return float(loss), accuracy(model, x, y)


@dataclass
class EarlyStopping:
    """Stop when the validation loss has not improved for ``patience`` epochs.

    Args:
        patience: epochs without improvement to wait before stopping.
        min_delta: how much lower a loss must be to count as an improvement.
        restore_best: put the best epoch's network back at the end: its weights and
            its buffers (BatchNorm's running statistics), everything ``state_dict()`` holds.
    """

    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True
    best_loss: float = math.inf
    best_epoch: int = -1
    _best_state: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        patience, min_delta = self.patience, self.min_delta
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 1:
            raise ValueError(f"Invalid patience: {patience!r} (expected an integer >= 1)")
        if not (isinstance(min_delta, numbers.Real) and 0 <= min_delta < math.inf):  # NaN fails too
            raise ValueError(f"Invalid min_delta: {min_delta!r} (expected a finite number >= 0)")

    def should_stop(self, epoch: int, val_loss: float, model: Sequential) -> bool:
        """Record this epoch's validation loss; True once patience has run out (a NaN loss never improves)."""
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = val_loss, epoch
            if self.restore_best:
                self._best_state = {k: v.copy() for k, v in model.state_dict().items()}
            return False
        return epoch - self.best_epoch >= self.patience

    def restore(self, model: Sequential) -> None:
        """Copy the best epoch's weights and buffers back into the network (in place)."""
        for name, array in model.state_dict().items():
            if name in self._best_state:
                array[...] = self._best_state[name]


def _forward_train(model: Sequential, xb: np.ndarray, N: int, batch_size: int) -> np.ndarray:
    """``model.forward(xb, train=True)``; a short last batch that a layer refuses gets a hint."""
    try:
        return model.forward(xb, train=True)
    except ValueError as err:
        if len(xb) < batch_size:
            raise ValueError(f"{err} -- in the last mini-batch of the epoch, which has only {len(xb)} "
                             f"sample(s) (N = {N}, batch_size = {batch_size}); train(..., drop_last=True) "
                             "skips it") from err
        raise


def train(
    model: Sequential,
    optimizer,
    data: tuple[np.ndarray, np.ndarray],
    loss_fn,
    *,
    epochs: int = 10,
    batch_size: int = 100,
    rng: np.random.Generator,
    val_data: tuple[np.ndarray, np.ndarray] | None = None,
    early_stopping: EarlyStopping | None = None,
    scheduler=None,
    verbose: int = 0,
    drop_last: bool = False,
) -> dict[str, list]:
    """Train ``model`` on ``data = (x, y)`` with mini-batch gradient descent.

    Each update: ``scores = model.forward(xb, train=True)``, ``loss =
    loss_fn.forward(scores, yb)``, ``model.backward(loss_fn.backward())``,
    ``optimizer.step(model.params(), model.grads())``.

    Args:
        model: the network; its parameters are updated in place.
        optimizer: any `dlbook.optim` optimizer.
        data: training inputs ``(N, ...)`` and labels ``(N,)`` or ``(N, K)``.
        loss_fn: a loss layer from `dlbook.losses`.
        epochs: passes over the training data.
        batch_size: samples per update (the last batch of an epoch may be smaller).
        drop_last: skip an epoch's last batch when it is smaller than ``batch_size``
            (BatchNorm cannot train on a batch of one sample). Default False: every
            sample is used every epoch.
        rng: shuffles the training data each epoch.
        val_data: optional ``(x, y)`` evaluated after every epoch.
        early_stopping: optional `EarlyStopping` (needs ``val_data``).
        scheduler: optional learning-rate schedule; its ``step()`` runs after every epoch.
        verbose: print a line every ``verbose`` epochs (0: silent).

    Returns:
        A history dict of lists: ``batch_loss`` (every update), and per epoch
        ``loss``, ``train_acc`` and, with ``val_data``, ``val_loss``,
        ``val_acc``; plus ``diverged_at``: the update at which the loss became
        NaN or infinite (training stops there), or None.
    """
    for name, value, minimum in (("epochs", epochs, 0), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
            raise ValueError(f"Invalid {name}: {value!r} (expected an integer >= {minimum})")
    if early_stopping is not None and val_data is None:
        raise ValueError("early_stopping needs val_data to watch")
    x, y = data
    N = len(x)
    if N == 0:
        raise ValueError("train: got no samples to train on")
    if drop_last and N < batch_size:
        raise ValueError(f"train: with drop_last=True and N = {N} < batch_size = {batch_size} "
                         "there is no full batch to train on")
    history: dict[str, list] = {"batch_loss": [], "loss": [], "train_acc": [], "diverged_at": None}
    if val_data is not None:
        history.update(val_loss=[], val_acc=[])

    for epoch in range(epochs):
        epoch_losses = []
        for xb, yb in minibatches(x, y, batch_size, rng=rng):
            if drop_last and len(xb) < batch_size:
                continue  # the epoch's last, short batch
            loss = loss_fn.forward(_forward_train(model, xb, N, batch_size), yb)
            if not math.isfinite(loss):
                history["diverged_at"] = len(history["batch_loss"])
                return history
            model.backward(loss_fn.backward(), input_grad=False)
            optimizer.step(model.params(), model.grads())
            history["batch_loss"].append(loss)
            epoch_losses.append(loss)

        history["loss"].append(float(np.mean(epoch_losses)))
        history["train_acc"].append(accuracy(model, x, y))
        line = f"epoch {epoch + 1:3d}  loss {history['loss'][-1]:.4f}  train acc {history['train_acc'][-1]:.3f}"
        if val_data is not None:
            val_loss, val_acc = evaluate(model, *val_data, loss_fn)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
            line += f"  val loss {val_loss:.4f}  val acc {val_acc:.3f}"
        if verbose and (epoch + 1) % verbose == 0:
            print(line)
        if scheduler is not None:
            scheduler.step()
        if early_stopping is not None and early_stopping.should_stop(epoch, history["val_loss"][-1], model):
            break

    if early_stopping is not None and early_stopping.restore_best:
        early_stopping.restore(model)
    return history
