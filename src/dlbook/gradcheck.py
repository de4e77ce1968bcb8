"""Gradient checking: compare backpropagation with central differences.

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)

The error of this estimate is O(h^2) plus round-off of order eps |f| / h, so
with h = 1e-5 it is only meaningful in float64 (eps = 2.2e-16). In float32
(eps = 1.2e-7) round-off alone is about 1e-2 |f|: every function here refuses
float32 arrays with a ValueError.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from dlbook.validation import check_real

__all__ = ["numerical_gradient", "relative_error", "gradient_check", "check_layer"]

# check_layer's default seed for R. Not 0, 1 or 42: if x came from the same
# seed, R would equal x and the check would probe a degenerate direction.
_DEFAULT_R_SEED = 31415


def _require_float64(x: np.ndarray, name: str) -> None:
    if np.asarray(x).dtype != np.float64:
        raise ValueError(
            f"Gradient checks need float64, but {name} has dtype {np.asarray(x).dtype}: "
            "finite differences in lower precision are dominated by round-off"
        )


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of the scalar f() with respect to the array x.

    x is perturbed IN PLACE, one element at a time, so that f (which reads x,
    directly or through a layer holding it) sees the change; each element is
    restored to its exact original value afterwards, even if f raises.

    Args:
        f: a function of no arguments returning a scalar (it reads x itself).
        x: np.ndarray, float64, any shape; writable.
        h: float, the step. Default 1e-5.
    Returns:
        np.ndarray of x's shape: the estimate of df/dx.
    """
    _require_float64(x, "x")
    if not h > 0:
        raise ValueError(f"Invalid step h: {h}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        original = x[i]
        try:
            x[i] = original + h
            f_plus = float(f())
            x[i] = original - h
            f_minus = float(f())
        finally:
            x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Relative error of two gradients: max |a - b| / max(|a| + |b|), guarded against 0 / 0.

    Scaling by the largest magnitude (rather than element by element) keeps
    entries that are tiny in both arrays from dominating the result through
    their round-off. 0 means identical; below 1e-7 a float64 check passes.

    Args:
        a, b: np.ndarray of the same shape, real numbers (anything else raises a ValueError).
    Returns:
        A float >= 0.
    """
    # Complex numbers would lose their imaginary part and text be parsed: both refused.
    check_real(a, who="relative_error")
    check_real(b, who="relative_error")
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a) + np.abs(b))), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(a - b))) / scale


def gradient_check(
    model: Any, x: np.ndarray, y: np.ndarray, loss_fn: Any, h: float = 1e-5
) -> dict[str, float]:
    """Max relative error between backprop's and the numerical gradient, for every parameter of a model.

    The model runs in inference mode (`train=False`), so dropout and batch
    statistics do not change between the perturbed evaluations.

    Args:
        model: has `forward(x, train=False)`, `backward(dout)`, and `params()` /
            `grads()` returning flat dicts of its own (float64) arrays.
        x: np.ndarray, float64, a small input batch.
        y: np.ndarray, the targets `loss_fn` expects.
        loss_fn: a loss layer, `forward(scores, y) -> float`, `backward() -> dscores`.
        h: float, the finite-difference step. Default 1e-5.
    Returns:
        dict mapping each parameter name to its relative error (see `relative_error`).
    """
    _require_float64(x, "x")
    params = model.params()
    for name, p in params.items():
        _require_float64(p, f"parameter {name!r}")

    loss_fn.forward(model.forward(x, train=False), y)
    model.backward(loss_fn.backward())
    analytic = {name: np.array(g, copy=True) for name, g in model.grads().items()}

    def loss() -> float:
        return loss_fn.forward(model.forward(x, train=False), y)

    return {
        name: relative_error(analytic[name], numerical_gradient(loss, p, h)) for name, p in params.items()
    }


def check_layer(
    layer: Any, x: np.ndarray, h: float = 1e-5, rng: np.random.Generator | None = None, *, train: bool = False
) -> dict[str, float]:
    """Check one layer's backward for the scalar L = sum(forward(x) * R), R a fixed random array.

    dL/dout = R, so backward(R) must return dL/dx and fill the parameter
    gradients. The layer's buffers (e.g. BatchNorm's running statistics) are
    restored afterwards; the caller's x is never modified.

    Args:
        layer: a `dlbook.layers.Layer` with float64 parameters.
        x: np.ndarray, float64, an input the layer accepts.
        h: float, the finite-difference step. Default 1e-5.
        rng: np.random.Generator for R. Default: a generator with a fixed seed.
        train: bool, forward in training mode (BatchNorm batch statistics,
            Dropout; give Dropout a mask that repeats). Default False.
    Returns:
        dict of relative errors: "x" for dL/dx, then one entry per parameter name.
    """
    _require_float64(x, "x")
    for name, p in layer.params.items():
        _require_float64(p, f"parameter {name!r}")
    rng = np.random.default_rng(_DEFAULT_R_SEED) if rng is None else rng
    saved_buffers = {name: b.copy() for name, b in getattr(layer, "buffers", {}).items()}
    x = x.copy()  # numerical_gradient perturbs this copy, not the caller's array
    try:
        out = layer.forward(x, train=train)
        R = rng.standard_normal(out.shape)
        analytic = {"x": layer.backward(R.copy())}
        analytic.update({name: g.copy() for name, g in layer.grads.items()})

        def loss() -> float:
            return float(np.sum(layer.forward(x, train=train) * R))

        errors = {"x": relative_error(analytic["x"], numerical_gradient(loss, x, h))}
        for name, p in layer.params.items():
            errors[name] = relative_error(analytic[name], numerical_gradient(loss, p, h))
    finally:
        for name, b in saved_buffers.items():
            layer.buffers[name][...] = b
    return errors
