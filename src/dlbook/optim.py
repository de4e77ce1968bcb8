"""Optimizers: rules that turn gradients into parameter updates.

Every optimizer has one method a training loop calls::

    opt = Momentum(lr=0.01, momentum=0.9)
    opt.step(params, grads)   # updates the arrays in `params` IN PLACE

``params`` and ``grads`` are dicts of arrays with the same keys and shapes: a
model's ``params()`` / ``grads()`` (whose values are the layers' own arrays, so
updating them in place is what trains the model) or a plain
``{"x": np.array(-7.0), "y": np.array(2.0)}`` on a 2-D surface. ``grads`` is
never modified. Optimizer state (velocities, squared-gradient sums) is kept per
key, created on first use with the parameter's shape and dtype: float32
parameters are updated in float32, float64 in float64.

Two options every optimizer shares:

* ``weight_decay`` (coupled L2, as in PyTorch's SGD and Adam): the gradient used
  is ``g + weight_decay * w``, the gradient of ``L + weight_decay / 2 * ||w||^2``.
* ``max_norm``: after the update, the incoming weights of every unit are
  rescaled so their L2 norm is at most ``max_norm``. Only parameters with
  ``ndim >= 2`` are touched (biases never are). For a matrix ``W: (in, out)``
  the incoming weights of unit ``j`` are the column ``W[:, j]`` (norms over
  axis 0); for convolution filters ``W: (F, C, kh, kw)`` they are ``W[f]``
  (norms over axes 1, 2, 3).

Learning-rate schedules, which change ``optimizer.lr`` as training goes on,
live in `dlbook.schedules`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]


def _check_nonnegative(name: str, value: float) -> float:
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"Invalid {name} value: {value}")
    return float(value)


def _check_fraction(name: str, value: float) -> float:
    """A coefficient in [0, 1): momentum, alpha, a beta. NaN fails the comparison too."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"Invalid {name} value: {value}")
    return float(value)


def _check_matching(params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
    """Check every key and shape before any update, so a bad call changes nothing."""
    if params.keys() != grads.keys():
        only_params = sorted(params.keys() - grads.keys())
        only_grads = sorted(grads.keys() - params.keys())
        raise ValueError(f"params and grads must have the same keys; only in params: {only_params}, "
                         f"only in grads: {only_grads}")
    for key, w in params.items():
        if not (isinstance(w, np.ndarray) and np.issubdtype(w.dtype, np.floating)):
            raise TypeError(f"params[{key!r}] must be a floating-point np.ndarray (it is updated in "
                            f"place), got {type(w).__name__} {getattr(w, 'dtype', '')}")
        g_shape = np.shape(grads[key])
        if g_shape != w.shape:
            raise ValueError(f"grads[{key!r}] has shape {g_shape}, but params[{key!r}] has shape {w.shape}")


def _state(store: dict[str, np.ndarray], key: str, w: np.ndarray) -> np.ndarray:
    """`store[key]`, created as zeros with `w`'s shape and dtype on first use."""
    if key not in store:
        store[key] = np.zeros_like(w)
    return store[key]


def _renorm_incoming(w: np.ndarray, max_norm: np.floating) -> None:
    """Shrink, in place, every unit's incoming weights whose L2 norm exceeds `max_norm`."""
    # W: (in, out) -> reduce over `in`; W: (F, C, kh, kw) -> reduce over everything but F.
    axes = (0,) if w.ndim == 2 else tuple(range(1, w.ndim))
    norms = np.sqrt(np.sum(w * w, axis=axes, keepdims=True))  # (1, out) or (F, 1, 1, 1)
    # The factor is 1 where the norm is already small; max_norm > 0, so no division by zero.
    w *= max_norm / np.maximum(norms, max_norm)


class Optimizer(ABC):
    """Base class: validates, applies weight decay and max-norm, and calls `_update` per key.

    Args:
        lr (float): learning rate, finite and >= 0. It may be reassigned between
            steps (checked on every assignment); the schedules do exactly that.
        weight_decay (float, default 0.0): coupled L2 coefficient, >= 0.
        max_norm (float | None, default None): bound, > 0, on the L2 norm of each
            unit's incoming weights (parameters with ndim >= 2 only); None: no bound.
    """

    def __init__(self, lr: float, *, weight_decay: float = 0.0, max_norm: float | None = None) -> None:
        self.lr = lr
        self.weight_decay = _check_nonnegative("weight_decay", weight_decay)
        if max_norm is not None and not (math.isfinite(max_norm) and max_norm > 0.0):
            raise ValueError(f"Invalid max_norm value: {max_norm}")
        self.max_norm = None if max_norm is None else float(max_norm)

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        if not (math.isfinite(value) and value >= 0.0):
            raise ValueError(f"Invalid learning rate: {value}")
        self._lr = float(value)

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Take one step: update every array in `params` IN PLACE; `grads` is left unchanged.

        Args:
            params (dict[str, np.ndarray]): the parameters, floating-point arrays of any shape.
            grads (dict[str, np.ndarray]): dL/dparam for each key, same shapes.
        """
        _check_matching(params, grads)
        for key, w in params.items():
            g = np.asarray(grads[key], dtype=w.dtype)  # may be the caller's array: read only
            if self.weight_decay:
                g = g + w.dtype.type(self.weight_decay) * w  # a new array
            self._update(key, w, g)
            if self.max_norm is not None and w.ndim >= 2:
                _renorm_incoming(w, w.dtype.type(self.max_norm))

    @abstractmethod
    def _update(self, key: str, w: np.ndarray, g: np.ndarray) -> None:
        """Apply the rule to one parameter `w` in place, never writing to `g`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Stochastic gradient descent: ``w <- w - lr * g``.

    Args:
        lr (float, default 0.01): learning rate.
        weight_decay (float, default 0.0), max_norm (float | None, default None): see `Optimizer`.
    """

    def __init__(self, lr: float = 0.01, *, weight_decay: float = 0.0,
                 max_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay=weight_decay, max_norm=max_norm)

    def _update(self, key: str, w: np.ndarray, g: np.ndarray) -> None:
        w -= w.dtype.type(self.lr) * g


class Momentum(Optimizer):
    """SGD with momentum, in the form the book teaches::

        v <- momentum * v - lr * g
        w <- w + v

    The velocity ``v`` starts at 0. PyTorch writes the same method as
    ``b <- momentum * b + g ; w <- w - lr * b``; with ``v = -lr * b`` the two are
    identical while lr is constant (after a schedule changes lr, here the old
    velocity keeps the old step size, there it is rescaled).

    Args:
        lr (float, default 0.01): learning rate.
        momentum (float, default 0.9): in [0, 1); 0 gives plain SGD.
        weight_decay (float, default 0.0), max_norm (float | None, default None): see `Optimizer`.
    """

    def __init__(self, lr: float = 0.01, *, momentum: float = 0.9,
                 weight_decay: float = 0.0, max_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay=weight_decay, max_norm=max_norm)
        self.momentum = _check_fraction("momentum", momentum)
        self.v: dict[str, np.ndarray] = {}

    def _update(self, key: str, w: np.ndarray, g: np.ndarray) -> None:
        v = _state(self.v, key, w)
        v *= w.dtype.type(self.momentum)
        v -= w.dtype.type(self.lr) * g
        w += v


class Nesterov(Momentum):
    """Nesterov momentum: the velocity step, then a look-ahead along the new velocity::

        v <- momentum * v - lr * g
        w <- w + momentum * v - lr * g

    This is ``Momentum`` with the update taken from where the velocity is about to
    carry ``w``. It is PyTorch's ``SGD(nesterov=True)`` (``b <- momentum * b + g ;
    w <- w - lr * (g + momentum * b)``) with ``v = -lr * b``, identical while lr is constant.

    Args:
        lr (float, default 0.01): learning rate.
        momentum (float, default 0.9): in [0, 1).
        weight_decay (float, default 0.0), max_norm (float | None, default None): see `Optimizer`.
    """

    def _update(self, key: str, w: np.ndarray, g: np.ndarray) -> None:
        v = _state(self.v, key, w)
        mu, lr = w.dtype.type(self.momentum), w.dtype.type(self.lr)
        v *= mu
        v -= lr * g
        w += mu * v - lr * g


class AdaGrad(Optimizer):
    """AdaGrad: each weight's step shrinks with the sum of its squared gradients::

        h <- h + g * g
        w <- w - lr * g / (sqrt(h) + eps)

    Args:
        lr (float, default 0.01): learning rate.
        eps (float, default 1e-10): >= 0, keeps the division finite where h = 0.
        weight_decay (float, default 0.0), max_norm (float | None, default None): see `Optimizer`.
    """

    def __init__(self, lr: float = 0.01, *, eps: float = 1e-10,
                 weight_decay: float = 0.0, max_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay=weight_decay, max_norm=max_norm)
        self.eps = _check_nonnegative("epsilon", eps)
        self.h: dict[str, np.ndarray] = {}

    def _update(self, key: str, w: np.ndarray, g: np.ndarray) -> None:
        h = _state(self.h, key, w)
        h += g * g
        w -= w.dtype.type(self.lr) * g / (np.sqrt(h) + w.dtype.type(self.eps))


class RMSProp(Optimizer):
    """RMSProp: AdaGrad with a moving average of squared gradients, which forgets::

        h <- alpha * h + (1 - alpha) * g * g
        w <- w - lr * g / (sqrt(h) + eps)

    Args:
        lr (float, default 0.01): learning rate.
        alpha (float, default 0.99): decay of the average, in [0, 1).
        eps (float, default 1e-8): >= 0, added to sqrt(h).
        weight_decay (float, default 0.0), max_norm (float | None, default None): see `Optimizer`.
    """

    def __init__(self, lr: float = 0.01, *, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, max_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay=weight_decay, max_norm=max_norm)
        self.alpha = _check_fraction("alpha", alpha)
        self.eps = _check_nonnegative("epsilon", eps)
        self.h: dict[str, np.ndarray] = {}

    def _update(self, key: str, w: np.ndarray, g: np.ndarray) -> None:
        h = _state(self.h, key, w)
        alpha = w.dtype.type(self.alpha)
        h *= alpha
        h += (1 - alpha) * g * g
        w -= w.dtype.type(self.lr) * g / (np.sqrt(h) + w.dtype.type(self.eps))


class Adam(Optimizer):
    """Adam: momentum (m) and RMSProp (v) together, both bias-corrected; t counts steps::

        t <- t + 1
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t) ;  v_hat = v / (1 - beta2**t)
        w <- w - lr * m_hat / (sqrt(v_hat) + eps)

    eps is added to sqrt(v_hat), as in the Adam paper (Kingma & Ba, 2015).

    Args:
        lr (float, default 0.001): learning rate.
        betas (tuple[float, float], default (0.9, 0.999)): decays of m and v, each in [0, 1).
        eps (float, default 1e-8): >= 0.
        weight_decay (float, default 0.0), max_norm (float | None, default None): see `Optimizer`.
    """

    def __init__(self, lr: float = 0.001, *, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, max_norm: float | None = None) -> None:
        super().__init__(lr, weight_decay=weight_decay, max_norm=max_norm)
        if len(betas) != 2:
            raise ValueError(f"Invalid betas value: {betas} (expected two numbers)")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _check_nonnegative("epsilon", eps)
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.t: dict[str, int] = {}

    def _update(self, key: str, w: np.ndarray, g: np.ndarray) -> None:
        m, v = _state(self.m, key, w), _state(self.v, key, w)
        t = self.t[key] = self.t.get(key, 0) + 1
        beta1, beta2 = self.betas
        dtype = w.dtype.type
        m *= dtype(beta1)
        m += dtype(1 - beta1) * g
        v *= dtype(beta2)
        v += dtype(1 - beta2) * g * g
        m_hat = m / dtype(1 - beta1**t)
        v_hat = v / dtype(1 - beta2**t)
        w -= dtype(self.lr) * m_hat / (np.sqrt(v_hat) + dtype(self.eps))
