"""Checkers for chapter 6, Regularization: the reader's inverted dropout and L2 penalty gradient.

Inverted dropout is two functions, one for each direction::

    def dropout_forward(x, p, rng):
        ...                  # zero each element with probability p, scale the rest by 1 / (1 - p)
        return out, mask     # mask: whatever dropout_backward needs

    def dropout_backward(dout, mask):
        ...
        return dx

and the L2 penalty ``(lam / 2) * sum(W ** 2)`` has the gradient the reader writes as::

    def l2_gradient(W, lam):
        ...
        return dW

A mask is random, so `check_dropout` does not ask for one particular mask: it
checks what every correct mask has in common (each value dropped or scaled by
1 / (1 - p), about a fraction p dropped, the same mask used going back, the
randomness taken from ``rng``). When an answer is wrong, the checkers also try
the usual mistakes and name the one that matches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook.exercises import CheckResult, Mismatch, as_numbers, distinct_numbers, expect_close, run_checks
from dlbook.optim import SGD

__all__ = ["check_dropout", "check_l2_gradient"]


def _forward(forward_fn: Callable, x: np.ndarray, p: float,
             seed: int | np.random.Generator) -> tuple[np.ndarray, object]:
    """Call the reader's forward on a copy of x; return (out as float64, mask) after basic checks."""
    x_in = x.copy()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    result = forward_fn(x_in, p, rng)
    if not np.array_equal(x_in, x):
        raise Mismatch("your forward changed its input x in place; return a new array")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Mismatch(f"forward should return a pair (out, mask), got {type(result).__name__}")
    out = as_numbers(result[0], "out")
    if out.shape != x.shape:
        raise Mismatch(f"out should have x's shape {x.shape}, got {out.shape}")
    return out, result[1]


# ------------------------------------------------------------------ dropout --

def check_dropout(forward_fn: Callable, backward_fn: Callable) -> CheckResult:
    """Check the reader's inverted dropout.

    Args:
        forward_fn: ``forward_fn(x, p, rng) -> (out, mask)``: in training, each element of
            x is zeroed with probability ``p`` and the others are divided by ``1 - p``;
            the random numbers come from ``rng`` (an ``np.random.Generator``).
        backward_fn: ``backward_fn(dout, mask) -> dx`` with the mask from the forward pass.

    Returns:
        A `CheckResult`: what passed, or which input gave what instead of what.
    """
    # Positive values: a zero in `out` can then only mean "dropped".
    x = np.random.default_rng(2024).uniform(1.0, 2.0, size=(200, 50))

    def p_zero_keeps_everything():
        out, _ = _forward(forward_fn, x[:4, :5], 0.0, seed=1)
        expect_close(out, x[:4, :5], what="with p = 0, out")

    def kept_values_are_scaled():
        p = 0.4
        out, _ = _forward(forward_fn, x, p, seed=1)
        kept = out != 0
        if not kept.any():
            raise Mismatch(f"with p = {p}, every value was dropped")
        ratio = out[kept] / x[kept]
        if np.allclose(ratio, 1.0):
            raise Mismatch(f"kept values come out unchanged (out = x); inverted dropout divides them by "
                           f"1 - p = {1 - p:g}, so that the expected output equals x")
        if np.allclose(ratio, 1 - p):
            raise Mismatch(f"kept values are multiplied by 1 - p = {1 - p:g}; inverted dropout divides "
                           "by it in training (multiplying by 1 - p is what plain dropout does at test time)")
        if np.allclose(ratio, 1 / p):
            raise Mismatch(f"kept values are divided by p = {p:g}; divide by the keep probability 1 - p")
        bad = int(np.argmax(np.abs(ratio - 1 / (1 - p))))
        if not np.allclose(ratio, 1 / (1 - p)):
            should, have = distinct_numbers(x[kept][bad] / (1 - p), out[kept][bad], lambda v: f"{v:.4f}")
            raise Mismatch(f"with p = {p}, a kept value x = {x[kept][bad]:.4f} should become "
                           f"x / (1 - p) = {should}, got {have}")

    def drops_a_fraction_p():
        for p in (0.2, 0.7):
            out, _ = _forward(forward_fn, x, p, seed=2)
            dropped = float(np.mean(out == 0))
            if abs(dropped - p) > 0.03:
                hint = ""
                if abs(dropped - (1 - p)) <= 0.03:
                    hint = " (it looks like you drop with probability 1 - p; p is the probability of DROPPING)"
                raise Mismatch(f"with p = {p}, a fraction {dropped:.3f} of the {x.size} values was dropped; "
                               f"expected about {p}{hint}")

    def backward_uses_the_same_mask():
        # p = 0.5 alone would hide a backward that divides by p instead of 1 - p: try 0.3 too.
        for p in (0.5, 0.3):
            out, mask = _forward(forward_fn, x[:20, :10], p, seed=3)
            dout = np.random.default_rng(5).normal(size=out.shape)
            dout_in = dout.copy()
            dx = as_numbers(backward_fn(dout_in, mask), "dx")
            if not np.array_equal(dout_in, dout):
                raise Mismatch("your backward changed dout in place; return a new array")
            kept = out != 0
            expected = dout * kept / (1 - p)
            if dx.shape == dout.shape and not np.allclose(dx, expected):
                if np.allclose(dx, dout * kept):
                    raise Mismatch(f"dx = dout where kept and 0 where dropped, but not scaled; the forward "
                                   f"divided by 1 - p = {1 - p:g}, so the gradient must be divided by it too")
                if np.allclose(dx, dout):
                    raise Mismatch("dx equals dout: the gradient should be 0 wherever the forward dropped a "
                                   "value")
                if np.allclose(dx, dout * kept / p):
                    raise Mismatch(f"with p = {p:g}, dx is dout divided by p = {p:g}; divide by the keep "
                                   f"probability 1 - p = {1 - p:g}, as the forward does")
                if np.allclose(dx, dout * kept * (1 - p)):
                    raise Mismatch(f"with p = {p:g}, dx is dout multiplied by 1 - p = {1 - p:g}; the forward "
                                   "divided by 1 - p, so backward divides by it too")
            expect_close(dx, expected, what=f"dx (p = {p}, the mask from your forward)")

    def randomness_comes_from_rng():
        first, _ = _forward(forward_fn, x[:10, :10], 0.5, seed=11)
        again, _ = _forward(forward_fn, x[:10, :10], 0.5, seed=11)
        other, _ = _forward(forward_fn, x[:10, :10], 0.5, seed=12)
        if not np.array_equal(first == 0, again == 0):
            raise Mismatch("two calls with rng = np.random.default_rng(11) dropped different values; draw "
                           "the mask from the rng argument (e.g. rng.random(x.shape)), not from np.random")
        if np.array_equal(first == 0, other == 0):
            raise Mismatch("generators seeded 11 and 12 gave the same mask; the mask should come from rng")

    def a_fresh_mask_every_call():
        rng = np.random.default_rng(21)
        masks = [_forward(forward_fn, x[:10, :10], 0.5, rng)[0] == 0 for _ in range(2)]
        if np.array_equal(*masks):
            raise Mismatch("two calls with the same rng dropped exactly the same values; draw a new mask "
                           "on every call")

    def any_shape():
        x4 = x[:6, :20].reshape(2, 3, 4, 5)
        out, _ = _forward(forward_fn, x4, 0.5, seed=4)
        kept = out != 0
        expect_close(out[kept], x4[kept] * 2, what="kept values of a (2, 3, 4, 5) input with p = 0.5")

    # A wrong answer may divide by zero (p = 0): that is reported through the values, not as warnings.
    with np.errstate(all="ignore"):
        return run_checks("dropout", {
            "p = 0 leaves x unchanged": p_zero_keeps_everything,
            "kept values are divided by 1 - p": kept_values_are_scaled,
            "about a fraction p of the values is dropped": drops_a_fraction_p,
            "backward uses the mask of the forward pass": backward_uses_the_same_mask,
            "the mask comes from rng": randomness_comes_from_rng,
            "a new mask on every call": a_fresh_mask_every_call,
            "works for inputs of any shape": any_shape,
        })


# ---------------------------------------------------------------- L2 penalty --

def check_l2_gradient(fn: Callable) -> CheckResult:
    """Check the reader's ``l2_gradient(W, lam) -> dW``, the gradient of ``(lam / 2) * sum(W ** 2)``.

    Returns:
        A `CheckResult`; the expected gradient is ``lam * W``, as a new array.
    """

    def call(W: np.ndarray, lam: float) -> np.ndarray:
        W_in = W.copy()
        got = as_numbers(fn(W_in, lam), "dW")
        if not np.array_equal(W_in, W):
            raise Mismatch("your function changed W in place; return a new array (an optimizer updates W)")
        return got

    def compare(W: np.ndarray, lam: float) -> None:
        got = call(W, lam)
        expected = lam * W
        if got.shape == W.shape and lam != 0:
            hints = [
                (2 * lam * W, "twice the right answer: the penalty is (lam / 2) * sum(W ** 2), so the 2 "
                              "from differentiating W ** 2 cancels the 1 / 2"),
                (-lam * W, "the sign is flipped: the penalty grows with |W|, so its gradient points away "
                           "from 0, like W itself"),
                (lam / 2 * W, "half the right answer: d/dW of W ** 2 is 2 W"),
                (np.full_like(W, lam), "the gradient should be proportional to W: lam * W"),
                (lam / 2 * W ** 2, "that is the penalty of each weight, not its derivative"),
            ]
            for wrong, hint in hints:
                if not np.allclose(expected, wrong) and np.allclose(got, wrong):
                    raise Mismatch(f"with lam = {lam:g}: {hint}")
        expect_close(got, expected, what=f"dW for W of shape {W.shape}, lam = {lam:g}")

    rng = np.random.default_rng(7)
    W = rng.normal(size=(4, 3))

    def matrix():
        compare(W, 0.01)

    def zero_lam():
        compare(W, 0.0)

    def other_shapes():
        compare(rng.normal(size=5), 0.1)
        compare(rng.normal(size=(2, 3, 3, 3)), 1e-3)

    def matches_central_differences():
        lam, h = 0.05, 1e-6
        got = call(W, lam)
        numeric = np.zeros_like(W)
        for i in np.ndindex(W.shape):
            plus, minus = W.copy(), W.copy()
            plus[i] += h
            minus[i] -= h
            numeric[i] = (lam / 2 * np.sum(plus ** 2) - lam / 2 * np.sum(minus ** 2)) / (2 * h)
        expect_close(got, numeric, what="dW against central differences of (lam / 2) * sum(W ** 2)",
                     rtol=1e-5, atol=1e-9)

    def gives_sgd_weight_decay():
        lr, lam = 0.1, 0.01
        grad = rng.normal(size=W.shape)
        params = {"W": W.copy()}
        SGD(lr=lr, weight_decay=lam).step(params, {"W": grad})
        mine = W - lr * (grad + call(W, lam))
        expect_close(mine, params["W"], what="W - lr * (grad + l2_gradient(W, lam)) against "
                                               "dlbook's SGD(weight_decay=lam)")

    with np.errstate(all="ignore"):
        return run_checks("l2_gradient", {
            "a (4, 3) matrix, lam = 0.01": matrix,
            "lam = 0 gives zeros": zero_lam,
            "a vector and a (2, 3, 3, 3) filter bank": other_shapes,
            "agrees with central differences": matches_central_differences,
            "one SGD step with it equals dlbook's weight decay": gives_sgd_weight_decay,
        })
