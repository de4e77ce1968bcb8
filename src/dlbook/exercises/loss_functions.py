"""Checkers for chapter 2, Loss functions: log-softmax, cross-entropy and its gradient.

    check_log_softmax(fn)        fn(scores) -> log softmax over the last axis, same shape
    check_cross_entropy(fn)      fn(scores, y) -> the mean cross-entropy, a number
    check_cross_entropy_grad(fn) fn(scores, y) -> dL/dscores, shape (N, K)

``scores`` are logits of shape (N, K) (or (K,) for one example in
`check_log_softmax`); ``y`` holds N integer class indices. Each checker calls
the reader's function on inputs chosen to expose the usual mistakes and says
which input went wrong, what was expected and what came back. NumPy's overflow
warnings are silenced while the reader's code runs: an overflow shows up as
``inf`` or ``nan`` in the report instead.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook import functional as F
from dlbook.exercises import (GRADCHECK_TOLERANCE, GRADCHECK_TOLERANCE_TEXT, CheckResult, Mismatch, as_numbers,
                              call_on_copies, distinct_numbers, expect_close, run_checks)
from dlbook.gradcheck import numerical_gradient, relative_error

__all__ = ["check_log_softmax", "check_cross_entropy", "check_cross_entropy_grad"]

# Logits of four examples over three classes; distinct rows, so a mix-up of rows shows.
_SCORES = np.array([[2.0, 1.0, 0.1],
                    [0.5, -1.0, 3.0],
                    [-2.0, 0.0, 2.0],
                    [1.0, 1.0, 1.0]])  # (4, 3)
_LABELS = np.array([0, 2, 1, 1])  # (4,)
_HUGE = np.array([[1000.0, 1001.0, 1002.0],
                  [-1000.0, 0.0, 1000.0]])  # (2, 3): exp overflows (or gives 0) without the max shift
_HUGE_LABELS = np.array([2, 0])  # the second row's true class has score 2000 below the best
# (2, 3): rows of very different scale. Shifting by the maximum of the whole array (1000) instead
# of each row's own leaves the second row at -2000 and below: exp gives 0 there, and log 0 = -inf.
_SCALES = np.array([[1000.0, 999.0, 998.0],
                    [-1000.0, -1001.0, -1002.0]])
_SCALES_LABELS = np.array([0, 1])
_PER_ROW = ("subtract EACH ROW's maximum (max over axis=-1, keepdims=True), not the maximum of the "
            "whole array")


def _call(fn: Callable, *args: np.ndarray):
    """The reader's function on copies of scores (and y), NumPy's warnings off; it must leave them alone."""
    return call_on_copies(fn, *args, names=("scores", "y"))


def _scalar(value, what: str) -> float:
    """The reader's loss as a float: a Python or NumPy number, or an array holding one number."""
    array = as_numbers(value, what)
    if array.size != 1:
        raise Mismatch(f"{what} should be one number (the mean over the batch), got an array of shape "
                       f"{array.shape}")
    return float(array.reshape(()))


def _not_finite(got, what: str, hint: str) -> None:
    """Raise `Mismatch` with `hint` if the reader's result holds inf or nan (or is not numbers at all)."""
    got = as_numbers(got, what)
    if not np.all(np.isfinite(got)):
        raise Mismatch(f"{what} contains {'nan' if np.isnan(got).any() else 'inf'}: {hint}")


# ------------------------------------------------------------ log-softmax --

def check_log_softmax(fn: Callable[[np.ndarray], np.ndarray]) -> CheckResult:
    """Check a log-softmax over the last axis: values, one row and many, huge logits, shape.

    Args:
        fn: the reader's ``log_softmax(scores)`` for scores (K,) or (N, K).

    Returns:
        A `CheckResult`; it shows as a report in Jupyter.
    """
    def one_row() -> None:
        s = _SCORES[0]
        expect_close(_call(fn, s), F.log_softmax(s), what="log_softmax([2.0, 1.0, 0.1])")

    def rows() -> None:
        got = as_numbers(_call(fn, _SCORES), "log_softmax of a (4, 3) batch")
        if got.shape != _SCORES.shape:
            raise Mismatch(f"for scores of shape {_SCORES.shape} the result should have the same shape, "
                           f"got {got.shape} (keep the summed axis with keepdims=True)")
        whole = F.log_softmax(_SCORES.ravel()).reshape(_SCORES.shape)
        if np.allclose(got, whole):
            raise Mismatch("you normalized over the whole array, not each row: take the max and the sum "
                           "along axis=-1 with keepdims=True")
        if np.allclose(got, F.log_softmax(_SCORES, axis=0)):
            raise Mismatch("you normalized each column (axis 0), not each row: take the max and the sum "
                           "along axis=-1 with keepdims=True")
        expect_close(got, F.log_softmax(_SCORES, axis=-1), what="log_softmax of a (4, 3) batch")

    def normalized() -> None:
        got = as_numbers(_call(fn, _SCORES), "log_softmax of a (4, 3) batch")
        if got.shape != _SCORES.shape:
            raise Mismatch(f"the result should have the scores' shape {_SCORES.shape}, got {got.shape}")
        sums = np.exp(got).sum(axis=-1)
        expect_close(sums, np.ones(len(_SCORES)), what="the sum of exp(log_softmax) in each row",
                     rtol=1e-9, atol=1e-9)

    def huge() -> None:
        got = _call(fn, _HUGE)
        _not_finite(got, "log_softmax of logits like 1000", "subtract each row's maximum before exp, "
                    "and take log of the sum, not of the softmax")
        expect_close(got, F.log_softmax(_HUGE), what="log_softmax([[1000, 1001, 1002], [-1000, 0, 1000]])")
        got = _call(fn, _SCALES)
        _not_finite(got, "log_softmax([[1000, 999, 998], [-1000, -1001, -1002]])", _PER_ROW)
        expect_close(got, F.log_softmax(_SCALES), what="log_softmax([[1000, 999, 998], [-1000, -1001, -1002]])")

    def shift() -> None:
        got = _call(fn, _SCORES + 50.0)
        expect_close(got, F.log_softmax(_SCORES), what="log_softmax(scores + 50), which must equal "
                     "log_softmax(scores)")

    return run_checks("log_softmax", {
        "one example (K,)": one_row,
        "a batch (N, K), row by row": rows,
        "exp of each row sums to 1": normalized,
        "huge logits stay finite": huge,
        "adding a constant changes nothing": shift,
    })


# ---------------------------------------------------------- cross-entropy --

def check_cross_entropy(fn: Callable[[np.ndarray, np.ndarray], float]) -> CheckResult:
    """Check a cross-entropy loss from logits and class indices: one example, batch mean, huge logits.

    Args:
        fn: the reader's ``cross_entropy(scores, y)``: scores (N, K) logits,
            y (N,) integer class indices; returns the mean over the batch.

    Returns:
        A `CheckResult`.
    """
    def one_example() -> None:
        s, y = _SCORES[:1], _LABELS[:1]
        got = _scalar(_call(fn, s, y), "the loss")
        expected = float(F.cross_entropy(s, y))
        if np.isclose(got, -expected):
            raise Mismatch(f"expected {expected:.6f}, got {got:.6f}: the loss is MINUS the log-probability "
                           "of the true class")
        expect_close(got, expected, what="the loss of scores [[2.0, 1.0, 0.1]] with y = [0]")

    def batch() -> None:
        got = _scalar(_call(fn, _SCORES, _LABELS), "the loss")
        expected = float(F.cross_entropy(_SCORES, _LABELS))
        N = len(_LABELS)
        if np.isclose(got, N * expected):
            raise Mismatch(f"expected {expected:.6f}, got {got:.6f} = {N} x expected: average over the "
                           "batch (divide by N) instead of summing")
        wrong_rows = float(-np.mean(F.log_softmax(_SCORES)[:, _LABELS]))
        if np.isclose(got, wrong_rows):
            raise Mismatch(f"expected {expected:.6f}, got {got:.6f}: pick ONE entry per row, "
                           "log_p[np.arange(N), y], not the columns log_p[:, y]")
        expect_close(got, expected, what=f"the mean loss of a batch of {N}, y = {_LABELS.tolist()}")

    def huge() -> None:
        got = _scalar(_call(fn, _HUGE, _HUGE_LABELS), "the loss")
        _not_finite(got, "the loss for logits like 1000",
                    "compute log_softmax with the max shift, not np.log(softmax(...))")
        expect_close(got, float(F.cross_entropy(_HUGE, _HUGE_LABELS)),
                     what="the loss for [[1000, 1001, 1002], [-1000, 0, 1000]] with y = [2, 0]")
        got = _scalar(_call(fn, _SCALES, _SCALES_LABELS), "the loss")
        _not_finite(got, "the loss for [[1000, 999, 998], [-1000, -1001, -1002]]", _PER_ROW)
        expect_close(got, float(F.cross_entropy(_SCALES, _SCALES_LABELS)),
                     what="the loss for [[1000, 999, 998], [-1000, -1001, -1002]] with y = [0, 1]")

    return run_checks("cross_entropy", {
        "one example": one_example,
        "a batch: the mean over N examples": batch,
        "huge logits stay finite": huge,
    })


def check_cross_entropy_grad(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> CheckResult:
    """Check dL/dscores of the mean cross-entropy against a numerical gradient (central differences).

    Args:
        fn: the reader's ``cross_entropy_grad(scores, y)``: scores (N, K)
            logits, y (N,) integer class indices; returns dL/dscores, (N, K).

    Returns:
        A `CheckResult`.
    """
    def gradient_check(scores: np.ndarray, y: np.ndarray) -> None:
        got = as_numbers(_call(fn, scores, y), "the gradient")
        N, K = scores.shape
        if got.shape != (N, K):
            raise Mismatch(f"the gradient should have the scores' shape {(N, K)}, got {got.shape}")
        _not_finite(got, "the gradient", "compute softmax with the max shift")
        x = scores.copy()
        numerical = numerical_gradient(lambda: F.cross_entropy(x, y), x)
        error = relative_error(got, numerical)
        if error < GRADCHECK_TOLERANCE:
            return
        analytic = (F.softmax(scores) - np.eye(K)[y]) / N  # (N, K), the true gradient
        hints = [(N * analytic, f"it is {N} x too large: divide by the batch size N"),
                 (-analytic, "it has the wrong sign: the gradient is p - y, not y - p"),
                 (F.softmax(scores) / N, "subtract 1 at each row's true class: p - one_hot(y)")]
        for wrong, hint in hints:
            if np.allclose(got, wrong):
                raise Mismatch(hint)
        worst = np.unravel_index(np.argmax(np.abs(got - numerical)), got.shape)
        numerical_text, yours = distinct_numbers(numerical[worst], got[worst], lambda v: f"{v:.6f}")
        at = tuple(int(i) for i in worst)
        raise Mismatch(f"the gradient check failed (relative error {error:.1e}, should be below "
                       f"{GRADCHECK_TOLERANCE_TEXT}); at index {at} the numerical gradient is "
                       f"{numerical_text}, yours {yours}")

    def huge() -> None:
        got = _call(fn, _HUGE, _HUGE_LABELS)
        _not_finite(got, "the gradient for logits like 1000", "compute softmax with the max shift")
        expected = (F.softmax(_HUGE) - np.eye(3)[_HUGE_LABELS]) / len(_HUGE_LABELS)
        expect_close(got, expected, what="the gradient for [[1000, 1001, 1002], [-1000, 0, 1000]]")
        got = _call(fn, _SCALES, _SCALES_LABELS)
        _not_finite(got, "the gradient for [[1000, 999, 998], [-1000, -1001, -1002]]", _PER_ROW)
        expected = (F.softmax(_SCALES) - np.eye(3)[_SCALES_LABELS]) / len(_SCALES_LABELS)
        expect_close(got, expected, what="the gradient for [[1000, 999, 998], [-1000, -1001, -1002]]")

    rng = np.random.default_rng(7)
    random_scores = rng.normal(0.0, 2.0, size=(5, 4))  # (5, 4)
    random_labels = np.array([3, 0, 1, 1, 2])
    return run_checks("cross_entropy_grad", {
        "one example": lambda: gradient_check(_SCORES[:1], _LABELS[:1]),
        "a batch of 4": lambda: gradient_check(_SCORES, _LABELS),
        "random logits (5, 4)": lambda: gradient_check(random_scores, random_labels),
        "huge logits stay finite": huge,
    })
