"""Checkers for the exercises of the chapter "Backpropagation".

    check_linear_backward(fn)      fn(x, W, b, dout) -> (dx, dW, db) for y = x W + b, where x may
                                   have any number of leading axes: (N, D), (N, T, D), ...
    check_sigmoid_backward(fn)     fn(x, dout) -> dx for y = sigmoid(x), x of any shape
    check_two_layer_gradients(fn)  fn(params, x, y) -> {"W1", "b1", "W2", "b2"}: the gradients of
                                   `two_layer_loss` (the find-the-bug exercise)

Every checker compares the reader's gradients with central differences
(`dlbook.gradcheck.numerical_gradient`) in float64 and reports the relative
error of each one that disagrees, where it disagrees most, and — for the usual
mistakes — what the mistake looks like. `buggy_two_layer_gradients` is the
backward pass with a deliberate mistake that the last exercise asks the reader
to find by gradient checking.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook import functional as F
from dlbook.exercises import (GRADCHECK_TOLERANCE, GRADCHECK_TOLERANCE_TEXT, CheckResult, Mismatch, as_numbers,
                              call_on_copies, distinct_numbers, run_checks)
from dlbook.gradcheck import numerical_gradient, relative_error

__all__ = ["check_linear_backward", "check_sigmoid_backward", "check_two_layer_gradients",
           "two_layer_loss", "buggy_two_layer_gradients", "two_layer_problem", "TOLERANCE"]

# The largest relative error accepted: the chapter calls about 1e-7 or less right, 1e-7 to 1e-4
# suspicious. A correct float64 backward pass gives about 1e-10 on these checks.
TOLERANCE = GRADCHECK_TOLERANCE


def _compare(got, numerical: np.ndarray, what: str, hints: dict[str, np.ndarray] | None = None, *,
             shape_hint: str = "") -> None:
    """Raise `Mismatch` unless `got` has the numerical gradient's shape and a relative error below TOLERANCE.

    `hints` maps a description of a usual mistake to the array that mistake gives;
    `shape_hint` is added to the report of a wrong shape.
    """
    got = as_numbers(got, what)
    if got.shape != numerical.shape:
        if got.ndim == 2 and got.shape == numerical.shape[::-1]:
            shape_hint = " (it is transposed)"
        raise Mismatch(f"{what} should have shape {numerical.shape}, like the array it is the gradient of; "
                       f"got {got.shape}{shape_hint}")
    if not np.all(np.isfinite(got)):
        raise Mismatch(f"{what} contains {'nan' if np.isnan(got).any() else 'inf'}")
    error = relative_error(got, numerical)
    if error < TOLERANCE:
        return
    for mistake, wrong in (hints or {}).items():
        if wrong.shape == got.shape and relative_error(got, wrong) < TOLERANCE:
            raise Mismatch(f"{what} has relative error {error:.1e} against the numerical gradient: {mistake}")
    i = np.unravel_index(np.argmax(np.abs(got - numerical)), got.shape) if got.ndim else ()
    at = ""
    if got.ndim:
        should, have = distinct_numbers(numerical[i], got[i])
        at = f"; at index {tuple(int(k) for k in i)} it should be {should}, got {have}"
    raise Mismatch(f"{what} has relative error {error:.1e} against the numerical gradient "
                   f"(should be below {GRADCHECK_TOLERANCE_TEXT}){at}")


# ------------------------------------------------------------ Linear --

def check_linear_backward(fn: Callable) -> CheckResult:
    """Check ``fn(x, W, b, dout) -> (dx, dW, db)``, the backward pass of y = x W + b.

    ``x: (..., D)`` with any number of leading axes (a batch ``(N, D)``, or a
    batch of sequences ``(N, T, D)``), ``W: (D, M)``, ``b: (M,)``, ``dout: (..., M)``
    = dL/dy. The three results must be dL/dx, dL/dW and dL/db, each of the
    shape of the array it is the gradient of.
    """
    rng = np.random.default_rng(4)

    def attempt(x_shape: tuple[int, ...]) -> None:
        D, M = x_shape[-1], 3
        x = rng.standard_normal(x_shape)
        W = rng.standard_normal((D, M))
        b = rng.standard_normal(M)
        dout = rng.standard_normal((*x_shape[:-1], M))
        leading = ""
        if len(x_shape) > 2:
            leading = " (sum over every leading axis: flatten them first, x.reshape(-1, D))"
        try:
            out = call_on_copies(fn, x, W, b, dout)
        except Mismatch:
            raise
        except Exception as error:  # the reader's code: reported, with the likely cause
            raise Mismatch(f"your code raised {type(error).__name__}: {error}{leading}") from None
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise Mismatch(f"return the three gradients as a tuple (dx, dW, db), got {type(out).__name__}")
        dx, dW, db = out
        x, W, b = x.copy(), W.copy(), b.copy()

        def loss() -> float:
            return float(np.sum((x @ W + b) * dout))  # dL/dy = dout

        rows = int(np.prod(x_shape[:-1]))  # N, or N * T
        x2, d2 = x.reshape(rows, D), dout.reshape(rows, M)  # (rows, D), (rows, M)
        _compare(dx, numerical_gradient(loss, x), "dx")
        _compare(dW, numerical_gradient(loss, W), "dW", {
            "it is the mean over the rows; every row uses W, so their contributions add up (x.T @ dout)":
                x2.T @ d2 / rows}, shape_hint=leading)
        _compare(db, numerical_gradient(loss, b), "db", {
            "it is the mean over the rows; b is added to every row, so its gradient is the sum":
                d2.mean(axis=0)}, shape_hint=leading)

    return run_checks("linear_backward", {
        "a batch x: (4, 5), W: (5, 3)": lambda: attempt((4, 5)),
        "a batch of sequences x: (2, 4, 5), W: (5, 3)": lambda: attempt((2, 4, 5)),
    })


# ------------------------------------------------------------ Sigmoid --

def check_sigmoid_backward(fn: Callable) -> CheckResult:
    """Check ``fn(x, dout) -> dx``, the backward pass of y = sigmoid(x) for x of any shape.

    dx must be dL/dx = dout * sigmoid(x) * (1 - sigmoid(x)), however it is
    computed; it is compared with central differences.
    """
    rng = np.random.default_rng(5)

    def attempt(x: np.ndarray, dout: np.ndarray, what: str) -> None:
        dx = call_on_copies(fn, x, dout)
        x = x.copy()
        y = F.sigmoid(x)

        def loss() -> float:
            return float(np.sum(F.sigmoid(x) * dout))

        _compare(dx, numerical_gradient(loss, x), what, {
            "you returned the local slope sigmoid'(x) alone; multiply it by dout (the chain rule)":
                y * (1 - y),
            "this is dout * x * (1 - x): use y = sigmoid(x), not x itself": dout * x * (1 - x)})

    def at_zero() -> None:
        dx = as_numbers(call_on_copies(fn, np.zeros(3), np.ones(3)), "dx at x = 0")
        if dx.shape != (3,) or not np.allclose(dx, 0.25):
            raise Mismatch(f"at x = 0 with dout = 1 the gradient is sigmoid'(0) = 0.25, "
                           f"got {np.round(dx, 6)}")

    def large() -> None:
        x = np.array([-40.0, -20.0, 20.0, 40.0])
        dx = as_numbers(call_on_copies(fn, x, np.ones(4)), "dx for x = [-40, -20, 20, 40]")
        if dx.shape != (4,) or not np.all(np.isfinite(dx)) or np.max(np.abs(dx)) > 1e-8:
            raise Mismatch(f"for x = [-40, -20, 20, 40] the gradient is practically 0 (below 3e-9), "
                           f"got {dx}")

    return run_checks("sigmoid_backward", {
        "x = 0, dout = 1": at_zero,
        "a batch x: (4, 5) with random dout": lambda: attempt(
            rng.uniform(-4, 4, (4, 5)), rng.standard_normal((4, 5)), "dx for x: (4, 5)"),
        "any shape, x: (2, 3, 4)": lambda: attempt(
            rng.uniform(-4, 4, (2, 3, 4)), rng.standard_normal((2, 3, 4)), "dx for x: (2, 3, 4)"),
        "large inputs stay finite": large,
    })


# ------------------------------------------------------------ find the bug --

def two_layer_loss(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """L = cross-entropy of softmax(relu(x W1 + b1) W2 + b2), averaged over the batch.

    Args:
        params: {"W1": (D, H), "b1": (H,), "W2": (H, K), "b2": (K,)}.
        x: (N, D) inputs. y: (N,) class indices in 0..K-1.
    """
    h = np.maximum(x @ params["W1"] + params["b1"], 0)  # (N, H)
    scores = h @ params["W2"] + params["b2"]  # (N, K)
    return float(F.cross_entropy(scores, y))


def buggy_two_layer_gradients(params: dict[str, np.ndarray], x: np.ndarray,
                              y: np.ndarray) -> dict[str, np.ndarray]:
    """Backpropagation through `two_layer_loss`: the gradient of every parameter.

    Args:
        params: {"W1": (D, H), "b1": (H,), "W2": (H, K), "b2": (K,)}.
        x: (N, D) inputs. y: (N,) class indices.
    Returns:
        {"W1": dL/dW1, "b1": dL/db1, "W2": dL/dW2, "b2": dL/db2}, each of its parameter's shape.
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = x.shape[0]
    # forward
    z1 = x @ W1 + b1  # (N, H)
    h = np.maximum(z1, 0)  # (N, H)
    scores = h @ W2 + b2  # (N, K)
    # backward
    dscores = F.softmax(scores, axis=1)  # (N, K)
    dscores[np.arange(N), y] -= 1
    dscores /= N  # dL/dscores = (softmax - one_hot(y)) / N
    dW2 = h.T @ dscores  # (H, K)
    db2 = dscores.sum(axis=0)  # (K,)
    dh = dscores @ W2.T  # (N, H)
    dz1 = dh * (z1 > 0)  # (N, H)
    dW1 = x.T @ dz1  # (D, H)
    db1 = dh.sum(axis=0)  # (H,)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_problem(seed: int = 0, *, N: int = 8, D: int = 5, H: int = 6, K: int = 3
                      ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Small float64 parameters, inputs and labels for gradient-checking `two_layer_loss`.

    Returns:
        (params, x: (N, D), y: (N,)). The biases are random too, so that a mistake
        in a bias gradient cannot hide behind zeros.
    """
    rng = np.random.default_rng(seed)
    params = {"W1": rng.standard_normal((D, H)), "b1": rng.standard_normal(H),
              "W2": rng.standard_normal((H, K)), "b2": rng.standard_normal(K)}
    return params, rng.standard_normal((N, D)), rng.integers(0, K, N)


def check_two_layer_gradients(fn: Callable) -> CheckResult:
    """Check ``fn(params, x, y) -> grads``, the gradients of `two_layer_loss`, parameter by parameter."""
    params, x, y = two_layer_problem(seed=6)

    def returns_all() -> None:
        grads = call_on_copies(fn, params, x, y)
        if not isinstance(grads, dict) or set(grads) != set(params):
            got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
            raise Mismatch(f"return a dict with the keys {sorted(params)}, got {got}")

    def one(name: str) -> Callable[[], None]:
        def check() -> None:
            grads = call_on_copies(fn, params, x, y)
            if not isinstance(grads, dict) or name not in grads:
                raise Mismatch(f"no gradient for {name!r} in what your function returned")
            p = {k: v.copy() for k, v in params.items()}
            numerical = numerical_gradient(lambda: two_layer_loss(p, x, y), p[name])
            _compare(grads[name], numerical, f"d{name}")
        return check

    checks = {"returns a gradient for each of W1, b1, W2, b2": returns_all}
    checks.update({f"d{name} by gradient checking": one(name) for name in params})
    return run_checks("two_layer_gradients", checks)
