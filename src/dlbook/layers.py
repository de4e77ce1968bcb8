"""Layers: each one a `forward` and, directly beneath it, its mirror `backward`.

The contract every layer keeps:

* ``forward(x, *, train=False) -> y`` caches what ``backward`` needs in one
  attribute, ``self.cache``. It never modifies ``x`` in place.
* ``backward(dout) -> dx`` fills ``self.grads`` (same keys, shapes and dtypes
  as ``self.params``) and returns the gradient with respect to the input.
  It never modifies ``dout`` in place. A layer with parameters also accepts
  ``backward(dout, input_grad=False)``: it fills ``self.grads`` only and
  returns None, for a first layer whose input is data (see `Sequential.backward`).
* ``backward`` checks that ``forward`` ran (``self.cached()``) and that ``dout``
  has the output's shape (``self.check_dout``), and says which layer complained.
* ``params`` and ``grads`` are dicts of arrays; optimizers update ``params``
  in place. ``buffers`` holds state that is not learned (BatchNorm's running
  statistics): saved with the model, never touched by an optimizer.
* dtype is preserved: float32 in, float32 out. Integer (or bool) input is
  computed in float64; input that is not real numbers (complex, text) is refused.
* Hyperparameters (Dropout's ``p``, BatchNorm's ``momentum``...) are checked
  whenever they are assigned, also between steps.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, Callable

import numpy as np

from dlbook import functional as F
from dlbook import init
from dlbook.validation import Hyperparameters, as_float, check_float_dtype, check_real, number_check

__all__ = ["Layer", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Dropout", "BatchNorm", "Flatten"]


class Layer(Hyperparameters, ABC):
    """Base class: a layer without parameters unless a subclass adds some.

    A subclass lists its hyperparameters' checks in ``hyperparameter_checks``
    (see `dlbook.validation.Hyperparameters`): they run on every assignment.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.cache = None

    @abstractmethod
    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        """Compute the output; cache what `backward` needs."""

    @abstractmethod
    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Given dL/dout, fill `self.grads` and return dL/dx."""

    def __call__(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        return self.forward(x, train=train)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def check_input_shape(self, x: np.ndarray, *patterns: tuple[int | str, ...]) -> None:
        """Raise a ValueError naming this layer unless x's shape matches one of `patterns`.

        A pattern lists the expected sizes; a string stands for any size, e.g.
        ``("N", 784)`` or ``("N", 3, "H", "W")``. x must hold real numbers (integers
        are computed in float64; complex numbers or text are refused).
        """
        if not isinstance(x, np.ndarray):
            raise ValueError(f"{self!r} expected a NumPy array, got {type(x).__name__} (use np.asarray)")
        check_real(x, who=repr(self))
        for pattern in patterns:
            if len(pattern) == x.ndim and all(isinstance(d, str) or d == s for d, s in zip(pattern, x.shape)):
                return
        wanted = " or ".join("(" + ", ".join(str(d) for d in p) + ")" for p in patterns)
        raise ValueError(f"{self!r} expected input of shape {wanted}, got {x.shape}")

    def cached(self) -> Any:
        """What `forward` cached for `backward`; a ValueError naming this layer if forward never ran."""
        if self.cache is None:
            raise ValueError(f"{self!r}: backward needs what forward caches; call forward first")
        return self.cache

    def check_dout(self, dout: np.ndarray, shape: tuple[int, ...]) -> None:
        """Raise a ValueError naming this layer unless dout has `shape`, the shape of forward's output."""
        if np.shape(dout) != tuple(shape):
            raise ValueError(f"{self!r}.backward expected dout of shape {tuple(shape)} (the shape of "
                             f"forward's output), got {np.shape(dout)}")


class Linear(Layer):
    """Fully connected (affine) layer: y = x W + b.

    Args:
        in_features: int, D_in.
        out_features: int, D_out.
        rng: np.random.Generator, used once, to draw W.
        weight_init: a function ``(shape, rng, dtype=...) -> array`` from
            `dlbook.init` (default `init.he`), or a float: the std of a plain
            normal initialization. b starts at zero.
        dtype: dtype of W and b. Default np.float64.
    Shapes:
        x: (N, D_in) -> y: (N, D_out); W: (D_in, D_out), b: (D_out,).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        rng: np.random.Generator,
        weight_init: Callable[..., np.ndarray] | float = init.he,
        dtype: np.dtype | type = np.float64,
    ) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Invalid {name}: {value}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        shape = (self.in_features, self.out_features)
        W = init.initial_weights(weight_init, shape, rng, dtype)
        self.params = {"W": W, "b": np.zeros(self.out_features, dtype=dtype)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def __repr__(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        self.check_input_shape(x, ("N", self.in_features))
        self.cache = x
        y = x @ self.params["W"]  # (N, D_out)
        y += self.params["b"]  # in place on the fresh product: one (N, D_out) array, not two
        return y

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """dW = xᵀ dout, db = sum of dout over the batch, dx = dout Wᵀ (None if not input_grad)."""
        x = self.cached()
        self.check_dout(dout, (len(x), self.out_features))
        W = self.params["W"]
        # Each b_j is added to all N rows, so its gradient sums over the batch.
        self.grads["W"] = (x.T @ dout).astype(W.dtype, copy=False)  # (D_in, D_out)
        self.grads["b"] = dout.sum(axis=0).astype(W.dtype, copy=False)  # (D_out,)
        return dout @ W.T if input_grad else None  # (N, D_in)


class ReLU(Layer):
    """y = max(x, 0); dL/dx = dL/dy where x > 0, else 0.  x: any shape."""

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        y = F.relu(x)
        self.cache = y > 0  # the same as x > 0
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        positive = self.cached()
        self.check_dout(dout, positive.shape)
        # A new array (zeroing `dout[~positive]` would corrupt the caller's gradient). Multiplying
        # by the 0/1 mask is ~10x faster than np.where, which branches on every element.
        return dout * positive


class LeakyReLU(Layer):
    """y = x where x > 0, negative_slope * x elsewhere.  x: any shape.

    Args:
        negative_slope: float, the slope for x <= 0. Default 0.01.
    """

    hyperparameter_checks = {"negative_slope": number_check(math.isfinite, "negative_slope value")}

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        self.cache = x
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self.cached()
        self.check_dout(dout, x.shape)
        return dout * F.leaky_relu_grad(x, self.negative_slope)


class Sigmoid(Layer):
    """y = 1 / (1 + exp(-x)); dL/dx = dL/dy * y (1 - y).  x: any shape."""

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        y = F.sigmoid(x)
        self.cache = y
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self.cached()
        self.check_dout(dout, y.shape)
        return dout * y * (1 - y)


class Tanh(Layer):
    """y = tanh(x); dL/dx = dL/dy * (1 - y^2).  x: any shape."""

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        y = F.tanh(x)
        self.cache = y
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self.cached()
        self.check_dout(dout, y.shape)
        return dout * (1 - y * y)


class Dropout(Layer):
    """Inverted dropout: in training y = x * m / (1 - p) with m ~ Bernoulli(1 - p); at inference y = x.

    Dividing by the keep probability 1 - p during training keeps E[y] = x,
    so inference needs no rescaling.

    Args:
        p: float in [0, 1), the probability of zeroing each element. Default 0.5.
        rng: np.random.Generator, draws a fresh mask on every training forward.
    """

    # p is checked on every assignment: a live slider changes it between steps.
    hyperparameter_checks = {
        "p": number_check(lambda p: 0 <= p < 1, "dropout probability", " (expected 0 <= p < 1)"),
    }

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator) -> None:
        super().__init__()
        self.p = p
        self.rng = rng

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        x = as_float(x)  # integers too are scaled by 1 / (1 - p), in float64
        if not train:
            self.cache = (x.shape, None)  # no mask: backward passes dout through
            return x
        keep = self.rng.random(x.shape) < 1 - self.p  # (same shape as x), True with probability 1 - p
        mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - self.p))
        self.cache = (x.shape, mask)
        return x * mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x_shape, mask = self.cached()
        self.check_dout(dout, x_shape)
        if mask is None:
            return dout
        return dout * mask


class BatchNorm(Layer):
    """Batch normalization: y = gamma * (x - mean) / sqrt(var + eps) + beta, per feature / channel.

    Training uses the batch's mean and (biased) variance and updates the running
    estimates as PyTorch does, with the unbiased variance m / (m - 1) * var:
        running = (1 - momentum) * running + momentum * batch_statistic.
    Inference normalizes with the running estimates instead.

    Args:
        num_features: int, D for x: (N, D), or C for x: (N, C, H, W)
            (statistics per channel, over N, H and W).
        momentum: float in [0, 1], weight of the new batch in the running estimates. Default 0.1.
        eps: float > 0, added to the variance before the square root. Default 1e-5.
        dtype: dtype of gamma, beta and the running estimates. Default np.float64.
    """

    hyperparameter_checks = {
        "momentum": number_check(lambda a: 0 <= a <= 1, "momentum value"),
        "eps": number_check(lambda eps: 0 < eps < math.inf, "epsilon value"),
    }

    def __init__(
        self,
        num_features: int,
        *,
        momentum: float = 0.1,
        eps: float = 1e-5,
        dtype: np.dtype | type = np.float64,
    ) -> None:
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(f"Invalid num_features: {num_features}")
        self.num_features, self.momentum, self.eps = int(num_features), momentum, eps  # checked on assignment
        dtype = check_float_dtype(dtype, who=repr(self))
        self.params = {
            "gamma": np.ones(num_features, dtype=dtype),
            "beta": np.zeros(num_features, dtype=dtype),
        }
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.buffers = {
            "running_mean": np.zeros(num_features, dtype=dtype),
            "running_var": np.ones(num_features, dtype=dtype),
        }

    @property
    def running_mean(self) -> np.ndarray:
        return self.buffers["running_mean"]

    @property
    def running_var(self) -> np.ndarray:
        return self.buffers["running_var"]

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        C = self.num_features
        self.check_input_shape(x, ("N", C), ("N", C, "H", "W"))
        # Statistics over every axis except the feature/channel axis 1.
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        bshape = (1, C) if x.ndim == 2 else (1, C, 1, 1)  # broadcasts a (C,) vector against x
        if train:
            m = x.size // C  # values per feature: N, or N * H * W
            if m < 2:
                raise ValueError(
                    f"{self!r} needs more than 1 value per feature in training, got input {x.shape}"
                )
            mean = x.mean(axis=axes, keepdims=True)  # bshape
            xc = x - mean
            var = (xc * xc).mean(axis=axes, keepdims=True)  # bshape, biased: divides by m
            # Running estimates are state, not arguments: updated in place.
            # PyTorch tracks the unbiased variance, m / (m - 1) times the biased one.
            a = self.momentum
            self.running_mean[...] = (1 - a) * self.running_mean + a * mean.reshape(C)
            self.running_var[...] = (1 - a) * self.running_var + a * (m / (m - 1)) * var.reshape(C)
        else:
            xc = x - self.running_mean.reshape(bshape)
            var = self.running_var.reshape(bshape)
        inv_std = 1 / np.sqrt(var + self.eps)  # bshape
        x_hat = xc * inv_std
        self.cache = (x_hat, inv_std, axes, bshape, train)
        return self.params["gamma"].reshape(bshape) * x_hat + self.params["beta"].reshape(bshape)

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        x_hat, inv_std, axes, bshape, train = self.cached()
        self.check_dout(dout, x_hat.shape)
        gamma = self.params["gamma"]
        self.grads["beta"] = dout.sum(axis=axes).astype(gamma.dtype, copy=False)  # (C,)
        self.grads["gamma"] = (dout * x_hat).sum(axis=axes).astype(gamma.dtype, copy=False)  # (C,)
        if not input_grad:
            return None
        dx_hat = dout * gamma.reshape(bshape)
        if not train:
            # The running statistics are constants: only the scaling remains.
            return dx_hat * inv_std
        # The batch mean and variance depend on every x too; their two paths give
        # dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)).
        mean_dx_hat = dx_hat.mean(axis=axes, keepdims=True)  # bshape
        mean_dx_hat_x_hat = (dx_hat * x_hat).mean(axis=axes, keepdims=True)  # bshape
        return inv_std * (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat)


class Flatten(Layer):
    """Flatten every axis but the batch: x: (N, d1, d2, ...) -> y: (N, d1 * d2 * ...)."""

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        x = as_float(x)  # like every layer: integers become float64
        self.cache = x.shape
        N = x.shape[0]
        return x.reshape(N, -1)  # (N, d1 * d2 * ...)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x_shape = self.cached()
        self.check_dout(dout, (x_shape[0], math.prod(x_shape[1:])))
        return dout.reshape(x_shape)  # (N, d1, d2, ...)
