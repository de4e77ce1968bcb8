"""Checkers for the exercises of the chapter "Gradient descent".

* `check_numerical_gradient(fn)`: the reader's central-difference gradient
  ``fn(f, x, h=1e-4) -> grad``, on functions whose gradient is known exactly.
* `check_sgd_epoch(fn)`: the reader's one epoch of mini-batch SGD
  ``fn(w, grad_fn, x, y, *, lr, batch_size, order) -> new w``, on a small
  linear-regression problem whose data, start and sample order are fixed, so
  there is exactly one right answer.
* `check_fastest_lr(fn)`: the reader's ``fn(a, c) -> lr``, the single learning
  rate with which gradient descent on f(x, y) = a x² + c y² converges fastest.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from dlbook.exercises import CheckResult, Mismatch, as_numbers, distinct_arrays, expect_close, run_checks

__all__ = ["check_numerical_gradient", "check_sgd_epoch", "check_fastest_lr", "reference_sgd_epoch",
           "sgd_problem"]


# ------------------------------------------------------------ numerical gradient --

def _first_change(before: np.ndarray, after: np.ndarray) -> str:
    """Where x was changed, with both values in full precision (a last-digit change matters)."""
    i = tuple(int(k) for k in np.argwhere(before != after)[0])
    index = i if len(i) != 1 else i[0]
    return f"x[{index}] was {float(before[i])!r} before the call and {float(after[i])!r} after it"


def check_numerical_gradient(fn: Callable) -> CheckResult:
    """Check a central-difference gradient ``fn(f, x, h=1e-4) -> grad``.

    ``f(x)`` returns a number; ``grad`` must have x's shape, with
    ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``. As the exercise asks, x
    itself is changed one element at a time (f must be called with x, not with a
    copy: a network's weights are too many to copy for every element), and
    afterwards x must hold exactly its original values.

    Checks: a vector and a matrix, against gradients known exactly; a cubic,
    where a forward difference is visibly wrong; that the given h is used; and
    that x is left exactly as it was.
    """

    def call(f, x, **kwargs) -> np.ndarray:
        before = x.copy()
        others = []  # how often f was called with an array that is not x (a copy)

        def watched(v):
            if not (isinstance(v, np.ndarray) and np.shares_memory(v, x)):
                others.append(v)
            return f(v)

        got = fn(watched, x, **kwargs)
        if others:
            raise Mismatch(f"f was called {len(others)} time(s) with a copy of x, not with x itself: "
                           "do not copy x for every element; change x[i] in place, call f(x), and put "
                           "x[i] back")
        if not np.array_equal(x, before):
            raise Mismatch(f"x changed: {_first_change(before, x)}. Save x[i] before changing it and "
                           "put that saved value back (x[i] + h - h can round to a different number)")
        return as_numbers(got, "the gradient")

    def sum_of_squares() -> None:
        x = np.array([3.0, -4.0, 0.5])
        got = call(lambda v: float(np.sum(v**2)), x)
        expect_close(got, 2 * x, what="the gradient at x = [3, -4, 0.5]", rtol=1e-6)

    def matrix() -> None:
        W = np.array([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]])
        A = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 4.0]])
        got = call(lambda M: float(np.sum(np.sin(M) * A)), W)
        try:
            expect_close(got, np.cos(W) * A, what="the gradient for a (2, 3) matrix W", rtol=1e-6, atol=1e-7)
        except Mismatch as mismatch:
            raise Mismatch(f"{mismatch} (perturb one element x[i, j] at a time: "
                           "`for i in np.ndindex(x.shape)` visits every index)") from None

    def central_not_forward() -> None:
        x = np.array([0.5, 1.0, 2.0])
        h = 1e-3
        got = call(lambda v: float(np.sum(v**3)), x, h=h)
        # ((x + h)^3 - (x - h)^3) / (2h) = 3 x^2 + h^2 exactly; a forward difference gives 3 x^2 + 3 x h + h^2.
        forward = 3 * x**2 + 3 * x * h + h**2
        if got.shape == x.shape and np.allclose(got, forward, rtol=1e-6):
            raise Mismatch("these are forward differences (f(x + h) - f(x)) / h; "
                           "use (f(x + h) - f(x - h)) / (2 h)")
        expect_close(got, 3 * x**2 + h**2, what="with h = 1e-3, the gradient", rtol=1e-7)

    def uses_h() -> None:
        x = np.array([1.0, -2.0])
        h = 0.1
        got = call(lambda v: float(np.sum(v**3)), x, h=h)
        if got.shape == x.shape and np.allclose(got, 3 * x**2, rtol=1e-6):
            raise Mismatch("with h = 0.1 it gave the answer for a tiny h: use the h it is given")
        expect_close(got, 3 * x**2 + h**2, what="with h = 0.1, the gradient", rtol=1e-9)

    def leaves_x_alone() -> None:
        # Values where x + h - 2h + h rounds to a different number than x.
        x = np.array([0.1, 0.3, 0.7, 1.1, 2.3, 5.9, 1e-3, 17.3])
        call(lambda v: float(np.sum(v**2)), x)

    return run_checks("numerical_gradient", {
        "sum(x**2), x a vector": sum_of_squares,
        "sum(sin(W) * A), W a matrix": matrix,
        "sum(x**3): central, not forward": central_not_forward,
        "sum(x**3): the h passed in is used": uses_h,
        "x is left exactly as it was": leaves_x_alone,
    })


# ------------------------------------------------------------------ SGD epoch --

def sgd_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray, Callable, np.ndarray]:
    """The fixed problem `check_sgd_epoch` uses: linear regression on 10 points.

    Returns:
        ``(w0, x, y, grad_fn, order)``: start ``w0: (2,)``; data ``x: (10, 2)`` (a feature and a
        column of ones), ``y: (10,)``; ``grad_fn(w, xb, yb) = 2 xb^T (xb w - yb) / B``, the gradient
        of the mean squared error over a batch of B rows; ``order``: a fixed shuffle of 0..9.
    """
    rng = np.random.default_rng(2024)
    feature = rng.uniform(-1.0, 1.0, size=10)
    x = np.column_stack([feature, np.ones(10)])  # (10, 2)
    y = 3.0 * feature - 1.0 + 0.1 * rng.standard_normal(10)  # (10,)
    order = rng.permutation(10)
    w0 = np.array([0.5, 0.5])

    def grad_fn(w: np.ndarray, xb: np.ndarray, yb: np.ndarray) -> np.ndarray:
        B = len(xb)
        return 2.0 * xb.T @ (xb @ w - yb) / B  # (2,)

    return w0, x, y, grad_fn, order


def reference_sgd_epoch(w: np.ndarray, grad_fn: Callable, x: np.ndarray, y: np.ndarray, *, lr: float,
                        batch_size: int, order: np.ndarray) -> np.ndarray:
    """One epoch of mini-batch SGD, as the exercise asks: the batches are consecutive slices of `order`.

    Batch j holds the samples ``order[j * batch_size : (j + 1) * batch_size]`` (the last one may be
    smaller); after each, ``w <- w - lr * grad_fn(w, x[batch], y[batch])``. `w` is not modified.
    """
    w = np.array(w, dtype=np.float64)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        w = w - lr * grad_fn(w, x[idx], y[idx])
    return w


def _samples(xb: np.ndarray, x: np.ndarray) -> list[int] | None:
    """Which rows of x the batch xb holds, in xb's order (None if some row of xb is not a row of x)."""
    if xb.ndim != 2 or xb.shape[1] != x.shape[1]:
        return None
    found = []
    for row in xb:
        matches = np.flatnonzero((x == row).all(axis=1))
        if len(matches) == 0:
            return None
        found.append(int(matches[0]))  # the rows of the problem's x are distinct
    return found


def check_sgd_epoch(fn: Callable) -> CheckResult:
    """Check one epoch of mini-batch SGD ``fn(w, grad_fn, x, y, *, lr, batch_size, order) -> new w``.

    The problem is fixed (`sgd_problem`): the data, the start ``w0``, ``grad_fn`` and the sample
    order, so there is one right answer. The checker watches every call the reader's function makes
    to ``grad_fn`` (which samples, which w) and compares the result with `reference_sgd_epoch`, for
    batches of 4 (so the last batch has 2 samples), 1 (stochastic) and 10 (the full batch: one step
    of gradient descent). The rows within a batch may come in any order (the mean gradient does not
    depend on it), but each batch must hold the right samples with their own targets. It also
    checks that the caller's ``w`` is left unchanged.
    """
    w0, x, y, grad_fn, order = sgd_problem()
    lr = 0.1
    N = len(x)

    def attempt(batch_size: int) -> None:
        calls: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

        def watched(w, xb, yb):
            seen = tuple(as_numbers(a, f"the {name} passed to grad_fn").copy()
                         for a, name in ((w, "w"), (xb, "x"), (yb, "y")))
            calls.append(seen)
            return grad_fn(*seen)

        w = w0.copy()
        got = fn(w, watched, x.copy(), y.copy(), lr=lr, batch_size=batch_size, order=order.copy())
        if not np.array_equal(w, w0):
            before, after = distinct_arrays(w0, w)
            raise Mismatch(f"the w passed in changed from {before} to {after}: return a new array "
                           "(w = w - lr * g), do not update it in place")
        got = as_numbers(got, "the returned parameters")
        expected_batches = [order[s:s + batch_size] for s in range(0, N, batch_size)]
        if len(calls) != len(expected_batches):
            last = f", the last of {N % batch_size}" if N % batch_size else ""
            raise Mismatch(f"grad_fn was called {len(calls)} time(s), not {len(expected_batches)} "
                           f"({N} samples, batches of {batch_size}{last})")
        w_expected = w0.copy()
        for k, ((w_seen, xb, yb), idx) in enumerate(zip(calls, expected_batches), start=1):
            # A batch is a set of samples: the order of its rows does not change the mean gradient.
            seen = _samples(xb, x)
            if seen is None or sorted(seen) != sorted(idx.tolist()):
                start = (k - 1) * batch_size
                unshuffled = list(range(start, min(start + batch_size, N)))
                hint = (" (in their stored order: take them in the order given by `order`)"
                        if seen is not None and sorted(seen) == unshuffled else "")
                raise Mismatch(f"update {k}: grad_fn got the wrong samples{hint}; expected "
                               f"order[{start}:{start + len(idx)}] = {idx.tolist()}")
            if yb.shape != (len(seen),) or not np.array_equal(yb, y[seen]):
                raise Mismatch(f"update {k}: the targets passed to grad_fn are not y of the samples "
                               f"{seen}, in the same order as their rows of x")
            if not np.allclose(w_seen, w_expected, rtol=1e-12, atol=1e-12):
                seen, wanted = distinct_arrays(w_seen, w_expected)
                raise Mismatch(f"update {k}: grad_fn got w = {seen}, expected the w after the previous "
                               f"updates, {wanted}")
            w_expected = w_expected - lr * grad_fn(w_expected, x[idx], y[idx])
        expected = reference_sgd_epoch(w0, grad_fn, x, y, lr=lr, batch_size=batch_size, order=order)
        if got.shape == expected.shape:
            uphill = reference_sgd_epoch(w0, lambda *a: -grad_fn(*a), x, y, lr=lr, batch_size=batch_size,
                                         order=order)
            if np.allclose(got, uphill, rtol=1e-9):
                raise Mismatch("the parameters moved uphill: step against the gradient, w - lr * g")
        expect_close(got, expected, what="w after the epoch", rtol=1e-9, atol=1e-12)

    return run_checks("sgd_epoch", {
        "batch_size 4 (the last batch has 2)": lambda: attempt(4),
        "batch_size 1 (stochastic)": lambda: attempt(1),
        "batch_size 10 (the full batch)": lambda: attempt(10),
    })


# ------------------------------------------------------------ fastest lr --

def _factors(a: float, c: float, lr: float) -> tuple[float, float]:
    """What one step of gradient descent on f(x, y) = a x² + c y² multiplies x and y by."""
    return 1 - 2 * a * lr, 1 - 2 * c * lr


def _descend(a: float, c: float, lr: float, steps: int = 50) -> float:
    """max(|x|, |y|) after `steps` steps of gradient descent from (1, 1), run step by step."""
    x = y = 1.0
    for _ in range(steps):
        x, y = x - lr * 2 * a * x, y - lr * 2 * c * y
    return max(abs(x), abs(y))


def check_fastest_lr(fn: Callable) -> CheckResult:
    """Check ``fn(a, c) -> lr``: the one learning rate that brings f(x, y) = a x² + c y² down fastest.

    One step multiplies x by 1 - 2aη and y by 1 - 2cη; the slower direction sets the pace, so the
    best η makes the larger of |1 - 2aη| and |1 - 2cη| as small as possible: η = 1 / (a + c), where
    both have the size (c - a) / (c + a). Checked to within 0.1 % for several (a, c), either one the
    larger; a wrong η is answered with its two factors, or with how far 50 steps of descent get with it
    and with the best η.
    """

    def at(a: float, c: float) -> Callable[[], None]:
        def check() -> None:
            got = as_numbers(fn(a, c), "the learning rate")
            if got.size != 1:
                raise Mismatch(f"should return one number, got an array of shape {got.shape}")
            lr = float(got.reshape(()))
            if not (math.isfinite(lr) and lr > 0):
                raise Mismatch(f"should return a positive learning rate, got {lr!r}")
            best = 1 / (a + c)
            if abs(lr - best) <= 1e-3 * best:
                return
            fx, fy = _factors(a, c, lr)
            slowest = max(abs(fx), abs(fy))
            factors = f"each step multiplies x by {fx:.4g} and y by {fy:.4g}"
            if slowest >= 1:
                raise Mismatch(f"η = {lr:.4g} does not converge: {factors}")
            raise Mismatch(f"η = {lr:.4g} converges, but not fastest: {factors}, so after 50 steps the "
                           f"point is still {_descend(a, c, lr):.3g} from the minimum, and another η gets "
                           f"to {_descend(a, c, best):.3g}; the slower direction sets the pace")
        return check

    cases = {f"a = {a:g}, c = {c:g}": at(a, c) for a, c in ((1.0, 1.0), (0.05, 1.0), (1.0, 4.0), (4.0, 1.0))}
    return run_checks("fastest_lr", cases)
