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
  `AdamW` alone decouples it: it shrinks ``w`` by ``1 - lr * weight_decay`` and
  leaves ``g`` as it is.
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

from .validation import Hyperparameters, number_check

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW"]


def _finite_nonnegative(value: float) -> bool:
    return 0.0 <= value < math.inf


def _fraction(value: float) -> bool:
    """A coefficient in [0, 1): momentum, alpha, a beta. NaN fails the comparison too."""
    return 0.0 <= value < 1.0


def _check_nonnegative(name: str, value: float) -> float:
    return number_check(_finite_nonnegative, f"{name} value")(value)


def _check_max_norm(value: float | None) -> float | None:
    return None if value is None else number_check(lambda v: 0.0 < v < math.inf, "max_norm value")(value)


def _check_betas(betas: tuple[float, float]) -> tuple[float, float]:
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise ValueError(f"Invalid betas value: {betas!r} (expected two numbers)")
    beta1, beta2 = (number_check(_fraction, f"beta parameter at index {i}")(beta)
                    for i, beta in enumerate(betas))
    return beta1, beta2


def _checked_grads(params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Check every key, array and gradient before any update, so a bad call changes nothing.

    Returns each gradient as an array of its parameter's dtype (the caller's own array when it
    already is one: read only).
    """
    if params.keys() != grads.keys():
        only_params = sorted(params.keys() - grads.keys())
        only_grads = sorted(grads.keys() - params.keys())
        raise ValueError(f"params and grads must have the same keys; only in params: {only_params}, "
                         f"only in grads: {only_grads}")
    checked = {}
    for key, w in params.items():
        if not (isinstance(w, np.ndarray) and np.issubdtype(w.dtype, np.floating)):
            raise TypeError(f"params[{key!r}] must be a floating-point np.ndarray (it is updated in "
                            f"place), got {type(w).__name__} {getattr(w, 'dtype', '')}")
        if not w.flags.writeable:
            raise ValueError(f"params[{key!r}] is read-only; the optimizer updates it in place")
        g = np.asarray(grads[key])
        if g.dtype.kind not in "biuf":  # text, complex or objects would fail, or lose a part, mid-step
            raise ValueError(f"grads[{key!r}] must hold real numbers, got dtype {g.dtype}")
        if g.shape != w.shape:
            raise ValueError(f"grads[{key!r}] has shape {g.shape}, but params[{key!r}] has shape {w.shape}")
        checked[key] = g.astype(w.dtype, copy=False)
    return checked


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


class Optimizer(Hyperparameters, ABC):
    """Base class: validates, applies weight decay and max-norm, and calls `_update` per key.

    Args:
        lr (float): learning rate, finite and >= 0. It may be reassigned between
            steps; the schedules do exactly that. Every hyperparameter (lr, weight_decay,
            max_norm, and momentum, alpha, eps, betas in the subclasses) is checked on
            every assignment, not only here.
        weight_decay (float, default 0.0): coupled L2 coefficient, >= 0.
        max_norm (float | None, default None): bound, > 0, on the L2 norm of each
            unit's incoming weights (parameters with ndim >= 2 only); None: no bound.
    """

    # Every hyperparameter name an optimizer here uses, checked on each assignment (see Hyperparameters).
    hyperparameter_checks = {
        "lr": number_check(_finite_nonnegative, "learning rate"),
        "weight_decay": number_check(_finite_nonnegative, "weight_decay value"),
        "max_norm": _check_max_norm,
        "momentum": number_check(_fraction, "momentum value"),
        "alpha": number_check(_fraction, "alpha value"),
        "eps": number_check(_finite_nonnegative, "epsilon value"),
        "betas": _check_betas,
    }

    # True where `_update` applies weight_decay itself, to the weights rather than the gradient (AdamW).
    decoupled_weight_decay = False

    def __init__(self, lr: float, *, weight_decay: float = 0.0, max_norm: float | None = None) -> None:
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_norm = max_norm

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Take one step: update every array in `params` IN PLACE; `grads` is left unchanged.

        Args:
            params (dict[str, np.ndarray]): the parameters, floating-point arrays of any shape.
            grads (dict[str, np.ndarray]): dL/dparam for each key, same shapes.
        """
        checked = _checked_grads(params, grads)  # every check first: a failed step changes nothing
        for key, w in params.items():
            g = checked[key]  # may be the caller's array: read only
            if self.weight_decay and not self.decoupled_weight_decay:
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
        self.momentum = momentum
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
        self.eps = eps
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
        self.alpha = alpha
        self.eps = eps
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
        self.betas = betas
        self.eps = eps
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


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)::

        w <- w - lr * weight_decay * w          (the decay: on the weights, not the gradient)
        then Adam's step with the plain gradient g (m, v, m_hat, v_hat as in `Adam`)

    With ``Adam(weight_decay=...)`` the decay term enters ``g`` and is then divided by
    ``sqrt(v_hat)``: weights with large gradients are barely decayed. Here every weight shrinks by
    the same factor ``1 - lr * weight_decay`` per step, as plain SGD's L2 does. Names, defaults
    and the order (decay first, then the Adam step) are PyTorch's ``torch.optim.AdamW``; like it,
    the decay applies to every parameter it is given, biases included.

    Args:
        lr (float, default 0.001): learning rate.
        betas (tuple[float, float], default (0.9, 0.999)): decays of m and v, each in [0, 1).
        eps (float, default 1e-8): >= 0.
        weight_decay (float, default 0.01): decoupled decay coefficient, >= 0.
        max_norm (float | None, default None): see `Optimizer`.
    """

    decoupled_weight_decay = True

    def __init__(self, lr: float = 0.001, *, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01, max_norm: float | None = None) -> None:
        super().__init__(lr, betas=betas, eps=eps, weight_decay=weight_decay, max_norm=max_norm)

    def _update(self, key: str, w: np.ndarray, g: np.ndarray) -> None:
        w *= w.dtype.type(1 - self.lr * self.weight_decay)
        super()._update(key, w, g)
