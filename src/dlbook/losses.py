"""Loss layers: the last layer of a network, the one that also sees the targets.

    loss = loss_fn.forward(scores, y)   # a Python float, the mean over the batch
    dscores = loss_fn.backward()        # dL/dscores, already divided by the count

The value comes from `dlbook.functional`; `backward` is the short closed form
of its derivative, which is why the pairs softmax + cross-entropy and
sigmoid + binary cross-entropy are fused into one layer: (p - y) / N.

Every loss refuses what would give a silently wrong number: an empty batch
(a mean over nothing), targets that are not class indices or probabilities,
complex numbers or text. Integer scores are computed in float64.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from dlbook import functional as F
from dlbook.validation import as_float, check_real

__all__ = ["Loss", "SoftmaxCrossEntropy", "SigmoidBCE", "MSELoss"]


class Loss(ABC):
    """Base class of the loss layers: `forward(scores, y) -> float`, `backward(dout=1.0) -> dscores`."""

    def __init__(self) -> None:
        self.cache = None

    @abstractmethod
    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        """Return the mean loss; cache what `backward` needs."""

    @abstractmethod
    def backward(self, dout: float = 1.0) -> np.ndarray:
        """Return dL/dscores, scaled by `dout` (dL_total/dL, 1 when this loss is the total)."""

    def __call__(self, scores: np.ndarray, y: np.ndarray) -> float:
        return self.forward(scores, y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _check_same_shape(self, scores: np.ndarray, y: np.ndarray) -> None:
        """Scores and targets: real numbers, the same shape, at least one sample."""
        check_real(scores, who=repr(self))
        check_real(y, who=repr(self))
        if scores.shape != y.shape:
            raise ValueError(f"{self!r} expected y of the scores' shape {scores.shape}, got {y.shape}")
        if scores.size == 0:
            raise ValueError(f"{self!r}: got an empty batch; a mean over no samples is undefined")

    def cached(self):
        """What `forward` cached for `backward`; a ValueError if forward never ran."""
        if self.cache is None:
            raise ValueError(f"{self!r}: backward needs what forward caches; call forward first")
        return self.cache

    def check_dout(self, dout: float) -> None:
        """dout = dL_total/dL scales the gradient: one number, never an array that would broadcast."""
        if np.ndim(dout) != 0 or np.asarray(dout).dtype.kind not in "biuf":
            raise ValueError(f"{self!r}.backward expected dout to be one number, got {dout!r}")


class SoftmaxCrossEntropy(Loss):
    """Softmax + cross-entropy: L = -(1/N) sum_n log softmax(s_n)_{y_n}; dL/ds = (softmax(s) - y) / N.

    Shapes:
        scores: (N, K) logits; y: (N,) integer class indices or (N, K) one-hot
        (or any rows of probabilities) -> dscores: (N, K).
    """

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        y = np.asarray(y)
        F.validate_class_targets(scores, y, who=repr(self))
        log_p = F.log_softmax(scores, axis=1)  # (N, K), finite even for logits of +-1e4
        if y.ndim == 2:
            y = y.astype(log_p.dtype, copy=False)  # one-hot rows in the scores' dtype: no upcast
        # One log-softmax serves both the loss and, exponentiated, the softmax backward needs:
        # on a small batch these few row reductions are a real share of a training step.
        self.cache = (np.exp(log_p), y)
        N = log_p.shape[0]
        if y.ndim == 1:
            return float(-np.mean(log_p[np.arange(N), y]))  # the same value as F.cross_entropy
        return float(-np.sum(y * log_p) / N)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        p, y = self.cached()  # p: (N, K)
        self.check_dout(dout)
        N = p.shape[0]
        if y.ndim == 1:
            dscores = p.copy()
            dscores[np.arange(N), y] -= 1  # p - one_hot(y), without building the one-hot
        else:
            dscores = p - y
        return dscores * p.dtype.type(dout / N)


class SigmoidBCE(Loss):
    """Sigmoid + binary cross-entropy from logits u: L = -mean(y log p + (1 - y) log(1 - p)), p = sigmoid(u).

    dL/du = (sigmoid(u) - y) / M, M the number of elements (the batch size N
    for the usual u: (N,) or (N, 1)). Computed from the logits, so it stays
    finite for any u.

    Shapes:
        scores: any shape, e.g. (N,) or (N, 1); y: the same shape, values in [0, 1].
    """

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        y = np.asarray(y)
        self._check_same_shape(scores, y)
        p = F.sigmoid(scores)
        self.cache = (p, y.astype(p.dtype, copy=False))  # targets in the scores' dtype: no upcast
        return float(F.binary_cross_entropy_with_logits(scores, y))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        p, y = self.cached()
        self.check_dout(dout)
        return (p - y) * p.dtype.type(dout / p.size)


class MSELoss(Loss):
    """Mean squared error: L = mean((y_hat - y)^2) over all M elements; dL/dy_hat = 2 (y_hat - y) / M.

    The mean is over every element, as in PyTorch (with y_hat: (N, 1) it is
    the mean over the batch).

    Shapes:
        scores: y_hat, any shape; y: the same shape.
    """

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        scores = as_float(scores, who=repr(self))  # integer scores: in float64, as every loss
        y = np.asarray(y)
        self._check_same_shape(scores, y)
        self.cache = scores - y.astype(scores.dtype, copy=False)
        return float(F.mse_loss(scores, y))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        diff = self.cached()
        self.check_dout(dout)
        return diff * diff.dtype.type(2 * dout / diff.size)
