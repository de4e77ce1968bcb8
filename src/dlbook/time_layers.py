"""Layers around a recurrent one, acting on every time step: Embedding, TimeLinear, TimeSoftmaxCrossEntropy.

A sequence model for tokens reads

    ids (N, T) -> Embedding -> (N, T, E) -> RNN/LSTM/GRU -> (N, T, H) -> TimeLinear -> (N, T, V)
        -> TimeSoftmaxCrossEntropy against the next tokens (N, T)

The time steps are just more rows: TimeLinear and the loss fold (N, T) into
N*T rows and reuse `Linear` and softmax cross-entropy unchanged.
"""

from __future__ import annotations

import numpy as np

from dlbook import functional as F
from dlbook.layers import Layer, Linear
from dlbook.losses import Loss

__all__ = ["Embedding", "TimeLinear", "TimeSoftmaxCrossEntropy"]


class Embedding(Layer):
    """A lookup table: y[n, t] = W[ids[n, t]], the same as one_hot(ids) @ W without building the one-hot.

    Args:
        num_embeddings: int, V, the vocabulary size. embedding_dim: int, E.
        rng: np.random.Generator; W starts standard normal, as in PyTorch.
        dtype: default np.float64.
    Shapes:
        ids: integer array of any shape, e.g. (N, T), values in [0, V) -> y: ids.shape + (E,); W: (V, E).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *, rng: np.random.Generator,
                 dtype: np.dtype | type = np.float64) -> None:
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Invalid {name}: {value}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.params = {"W": rng.standard_normal((self.num_embeddings, self.embedding_dim)).astype(dtype)}
        self.grads = {"W": np.zeros_like(self.params["W"])}

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def forward(self, ids: np.ndarray, *, train: bool = False) -> np.ndarray:
        ids = np.asarray(ids)
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"{self!r} expected integer ids, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            raise ValueError(f"{self!r} expected ids in [0, {self.num_embeddings}), "
                             f"got values from {ids.min()} to {ids.max()}")
        self.cache = ids
        return self.params["W"][ids]  # fancy indexing: a new array

    def backward(self, dout: np.ndarray, *, input_grad: bool = False) -> None:
        """dW[v] = the sum of dout over every position where ids == v (a repeated id adds up).

        The ids are integers, so there is no gradient to return: always None.
        """
        ids = self.cache
        W = self.params["W"]
        dW = np.zeros_like(W)
        np.add.at(dW, ids.reshape(-1), dout.reshape(-1, self.embedding_dim).astype(W.dtype, copy=False))
        self.grads["W"] = dW
        return None


class TimeLinear(Linear):
    """`Linear` at every time step with the same W and b: y[:, t] = x[:, t] W + b.

    Same arguments as `Linear`. Shapes: x: (N, T, D_in) -> y: (N, T, D_out).
    """

    def __repr__(self) -> str:
        return f"TimeLinear({self.in_features} -> {self.out_features})"

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        self.check_input_shape(x, ("N", "T", self.in_features))
        N, T, D = x.shape
        y = super().forward(x.reshape(N * T, D), train=train)  # (N*T, D_out)
        return y.reshape(N, T, -1)

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """As `Linear.backward` on the N*T rows: dW and db sum over the batch and the time steps."""
        N, T, K = dout.shape
        dx = super().backward(dout.reshape(N * T, K), input_grad=input_grad)
        return None if dx is None else dx.reshape(N, T, -1)


class TimeSoftmaxCrossEntropy(Loss):
    """Softmax cross-entropy at every time step, averaged over the counted steps.

        L = -(1/M) sum over (n, t) with y[n, t] != ignore_index of log softmax(s[n, t])[y[n, t]]

    M is the number of counted steps; dL/ds = (softmax(s) - one_hot(y)) / M on
    counted steps, 0 on ignored ones (PyTorch's ``ignore_index``, default -100).

    Shapes:
        scores: (N, T, K) logits; y: (N, T) integer classes -> dscores: (N, T, K).
    """

    def __init__(self, ignore_index: int = -100) -> None:
        super().__init__()
        self.ignore_index = ignore_index

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        y = np.asarray(y)
        if scores.ndim != 3 or y.shape != scores.shape[:2]:
            raise ValueError(f"{self!r} expected scores (N, T, K) and y (N, T), got {scores.shape} and {y.shape}")
        N, T, K = scores.shape
        y = y.reshape(N * T)
        counted = y != self.ignore_index
        M = int(counted.sum())
        if M == 0:
            raise ValueError(f"{self!r}: every target equals ignore_index={self.ignore_index}")
        F.validate_class_targets(scores.reshape(N * T, K)[counted], y[counted], who=repr(self))
        log_p = F.log_softmax(scores.reshape(N * T, K), axis=1)  # (N*T, K)
        rows = np.flatnonzero(counted)
        self.cache = (np.exp(log_p), y, rows, scores.shape)
        return float(-log_p[rows, y[rows]].sum() / M)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        p, y, rows, shape = self.cache
        dscores = np.zeros_like(p)
        dscores[rows] = p[rows]
        dscores[rows, y[rows]] -= 1
        return (dscores * p.dtype.type(dout / len(rows))).reshape(shape)
