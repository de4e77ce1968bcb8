"""Checkers for chapter 7, Data and normalization: batch norm's backward for images, and batch
norm folded into the layer before it.

The chapter derives batch norm's backward for x: (N, D), statistics per feature over the batch.
The first exercise takes the next step, the one a convolutional network (and `dlbook.resnet`)
needs: statistics per channel over N, H and W, so each channel normalizes m = N * H * W values::

    def batchnorm2d_backward(dout, x, gamma, eps):
        ...
        return dx, dgamma, dbeta     # (N, C, H, W), (C,), (C,)

The second looks at inference, where batch norm uses its running estimates and so is a fixed
affine map: after a `Linear` layer the two are one linear layer, which the reader computes::

    def fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps):
        ...
        return W_folded, b_folded    # (D, M), (M,)

When an answer is wrong the checkers try the usual mistakes (for the backward: statistics over N
only, a missing path through the mean or the variance, the unbiased variance; for the folding:
the rows of W scaled instead of its columns, eps left out or outside the square root, the
variance for the standard deviation, the running mean or beta left out of b) and name the one
that matches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook.exercises import CheckResult, Mismatch, as_numbers, call_on_copies, expect_close, run_checks

__all__ = ["check_batchnorm2d_backward", "check_fold_batchnorm"]


def _bn2d_backward(dout, x, gamma, eps, *, axes=(0, 2, 3), paths=("mean", "var"), ddof=0):
    """Batch norm's backward over `axes` (statistics per channel), or a version missing a path."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    dx_hat = dout * gamma.reshape(1, -1, 1, 1)
    dx = dx_hat.copy()
    if "mean" in paths:
        dx -= dx_hat.mean(axis=axes, keepdims=True)
    if "var" in paths:
        dx -= x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True)
    return dx * inv_std, (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


def check_batchnorm2d_backward(fn: Callable) -> CheckResult:
    """Check ``batchnorm2d_backward(dout, x, gamma, eps) -> (dx, dgamma, dbeta)`` for images.

    The forward is batch norm per channel over N, H and W (m = N * H * W values per channel)::

        x: (N, C, H, W);  x_hat = (x - mean) / sqrt(var + eps);  y = gamma[c] * x_hat + beta[c]

    with the biased variance (divide by m). dx must include the paths through the mean and the
    variance; dgamma and dbeta have shape (C,). Checked against `dlbook.layers.BatchNorm` and
    against central differences.
    """
    from dlbook.layers import BatchNorm

    names = ("dx", "dgamma", "dbeta")
    rng = np.random.default_rng(11)

    def call(dout, x, gamma, eps):
        args = {"dout": dout, "x": x, "gamma": gamma}
        copies = {k: v.copy() for k, v in args.items()}
        out = fn(copies["dout"], copies["x"], copies["gamma"], eps)
        for key, value in args.items():
            if not np.array_equal(copies[key], value):
                raise Mismatch(f"your function changed its input {key} in place; compute new arrays")
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise Mismatch(f"should return a tuple (dx, dgamma, dbeta), got {type(out).__name__}")
        return tuple(as_numbers(value, name) for name, value in zip(names, out))

    def case(N, C, H, W, eps=1e-5):
        x = rng.normal(1.0, 2.0, size=(N, C, H, W))
        gamma = rng.uniform(0.5, 2.0, size=C)
        dout = rng.normal(size=x.shape)
        got = call(dout, x, gamma, eps)
        bn = BatchNorm(C, eps=eps)
        bn.params["gamma"][...] = gamma
        bn.forward(x, train=True)
        expected = (bn.backward(dout), bn.grads["gamma"], bn.grads["beta"])
        for i, (name, want) in enumerate(zip(names, expected)):
            if got[i].shape != want.shape:
                raise Mismatch(f"{name} should have shape {want.shape}, got {got[i].shape}"
                               + (" (one number per channel: sum over N, H and W)" if i else ""))
        try:
            for i in (2, 1, 0):
                expect_close(got[i], expected[i], what=f"{names[i]} for x of shape {x.shape}")
        except Mismatch as mismatch:
            mistakes = [
                ("the statistics are per channel over N, H and W (axes (0, 2, 3)), not over N alone: "
                 "each channel has one mean and one variance", dict(axes=(0,))),
                ("the path through the mean is missing: every x moves the mean, so subtract mean(dx_hat)",
                 dict(paths=("var",))),
                ("the path through the variance is missing: subtract x_hat * mean(dx_hat * x_hat)",
                 dict(paths=("mean",))),
                ("only the direct path: dx also flows through the mean and the variance",
                 dict(paths=())),
                ("the forward uses the biased variance (divide by m = N * H * W, not m - 1)", dict(ddof=1)),
            ]
            for hint, how in mistakes:
                wrong = _bn2d_backward(dout, x, gamma, eps, **how)
                if np.allclose(got[0], wrong[0], rtol=1e-6, atol=1e-9):
                    raise Mismatch(f"{mismatch}. Hint: {hint}") from None
            if np.allclose(got[0], expected[0] / gamma.reshape(1, -1, 1, 1), rtol=1e-6, atol=1e-9):
                raise Mismatch(f"{mismatch}. Hint: gamma is missing: dx_hat = dout * gamma") from None
            raise

    def central_differences():
        x = rng.normal(size=(2, 2, 3, 3))
        gamma, dout, h = np.array([1.5, 0.5]), rng.normal(size=(2, 2, 3, 3)), 1e-6
        got = call(dout, x, gamma, 1e-5)[0]

        def loss(z):
            mean, var = z.mean(axis=(0, 2, 3), keepdims=True), z.var(axis=(0, 2, 3), keepdims=True)
            return np.sum(gamma.reshape(1, -1, 1, 1) * (z - mean) / np.sqrt(var + 1e-5) * dout)

        numeric = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[i] += h
            minus[i] -= h
            numeric[i] = (loss(plus) - loss(minus)) / (2 * h)
        expect_close(got, numeric, what="dx against central differences", rtol=1e-5, atol=1e-8)

    with np.errstate(all="ignore"):
        return run_checks("batchnorm2d_backward", {
            "x (4, 3, 5, 5)": lambda: case(4, 3, 5, 5),
            "x (2, 1, 8, 8), one channel": lambda: case(2, 1, 8, 8),
            "x (8, 2, 1, 1): images of one pixel are the (N, C) case": lambda: case(8, 2, 1, 1),
            "agrees with central differences": central_differences,
        })


# ----------------------------------------------------------- folding batch norm --

def check_fold_batchnorm(fn: Callable) -> CheckResult:
    """Check ``fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps) -> (W_folded, b_folded)``.

    At inference a `Linear` layer ``y = x W + b`` (W: (D, M), b: (M,)) followed by `BatchNorm`
    in inference mode computes ``gamma * (y - running_mean) / sqrt(running_var + eps) + beta``
    (gamma, beta, running_mean, running_var: (M,)). That is one linear layer::

        scale = gamma / sqrt(running_var + eps)            (M,): one factor per output feature
        W_folded = W * scale                               (D, M): column j times scale[j]
        b_folded = (b - running_mean) * scale + beta       (M,)

    so that ``x @ W_folded + b_folded`` equals ``BatchNorm(train=False)`` after ``Linear`` for
    every x. The inputs must not be changed in place. Checked against `dlbook.layers.Linear`
    and `dlbook.layers.BatchNorm` on random inputs, with D != M and D == M, variances small
    enough that eps matters, and an eps other than the default 1e-5.
    """
    from dlbook.layers import BatchNorm, Linear

    names = ("W", "b", "gamma", "beta", "running_mean", "running_var", "eps")

    def case(D, M, var_range, eps, seed):
        rng = np.random.default_rng(seed)
        W, b = rng.normal(size=(D, M)), rng.normal(size=M)
        gamma, beta = rng.uniform(0.5, 2.0, size=M), rng.normal(size=M)
        mean, var = rng.normal(size=M), rng.uniform(*var_range, size=M)
        args = (W, b, gamma, beta, mean, var, eps)
        try:
            out = call_on_copies(fn, *args, names=names)
        except ValueError as error:
            raise Mismatch(f"your code raised ValueError: {str(error).strip()}. Hint: W has shape (D, M) = "
                           f"{W.shape} and gamma, beta, running_mean, running_var have shape (M,) = ({M},), one "
                           "number per output feature: each scales a column of W") from None
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise Mismatch(f"should return a pair (W_folded, b_folded), got {type(out).__name__}")
        W_got, b_got = as_numbers(out[0], "W_folded"), as_numbers(out[1], "b_folded")
        if W_got.shape != (D, M):
            raise Mismatch(f"W_folded should have W's shape (D, M) = {(D, M)}, got {W_got.shape}")
        if b_got.shape != (M,):
            raise Mismatch(f"b_folded should have shape (M,) = ({M},), one number per output feature, "
                           f"got {b_got.shape}")

        std = np.sqrt(var + eps)
        scale = gamma / std
        W_right, b_right = W * scale, (b - mean) * scale + beta
        where = f"for D = {D}, M = {M}, eps = {eps:g}"
        W_mistakes = [
            (W * scale[:, None] if D == M else None,
             "the rows of W were scaled; an output feature j is a column of W, so scale[j] multiplies "
             "the column: W * scale (broadcast along the last axis)"),
            (W * gamma / np.sqrt(var),
             "eps is missing: batch norm divides by sqrt(running_var + eps), and with a small variance "
             "eps matters"),
            (W * gamma / np.sqrt(var + 1e-5), f"use the eps argument (here {eps:g}), not 1e-5"),
            (W * gamma / (np.sqrt(var) + eps), "eps goes inside the square root: sqrt(running_var + eps)"),
            (W * gamma / (var + eps),
             "that divides by the variance; divide by the standard deviation sqrt(running_var + eps)"),
            (W / std, "gamma is missing: scale = gamma / sqrt(running_var + eps)"),
            (W * std / gamma, "the scale is upside down: scale = gamma / sqrt(running_var + eps)"),
            ((W - mean) * scale, "the running mean is subtracted from the output y, once: it belongs in "
                                 "b_folded, not in W_folded"),
            (W, "W is unchanged, but batch norm rescales every output feature, so the weights into it change "
                "too: substitute y = x W + b into batch norm and collect what multiplies x"),
        ]
        for wrong, hint in W_mistakes:
            if wrong is not None and not np.allclose(wrong, W_right, rtol=1e-6, atol=1e-9) \
                    and np.allclose(W_got, wrong, rtol=1e-6, atol=1e-9):
                raise Mismatch(f"W_folded {where}: {hint}")
        expect_close(W_got, W_right, what=f"W_folded {where}")
        b_mistakes = [
            (b * scale + beta, "the running mean is missing: b_folded = (b - running_mean) * scale + beta"),
            ((b + mean) * scale + beta,
             "the running mean is added; batch norm subtracts it: b_folded = (b - running_mean) * scale + beta"),
            ((b - mean) * scale, "beta is missing: b_folded = (b - running_mean) * scale + beta"),
            (b - mean * scale + beta,
             "b was not scaled: it is part of y, which batch norm normalizes, so (b - running_mean) * scale"),
            (b * scale - mean + beta,
             "the running mean is scaled too: (b - running_mean) * scale"),
            ((b - mean + beta) * scale, "beta is added after the scaling, not scaled"),
        ]
        for wrong, hint in b_mistakes:
            if not np.allclose(wrong, b_right, rtol=1e-6, atol=1e-9) and np.allclose(b_got, wrong, rtol=1e-6,
                                                                                       atol=1e-9):
                raise Mismatch(f"b_folded {where}: {hint}")
        expect_close(b_got, b_right, what=f"b_folded {where}")

        # The two layers of dlbook, in inference mode, on random inputs.
        linear = Linear(D, M, rng=rng)
        linear.params["W"][...], linear.params["b"][...] = W, b
        bn = BatchNorm(M, eps=eps)
        bn.params["gamma"][...], bn.params["beta"][...] = gamma, beta
        bn.running_mean[...], bn.running_var[...] = mean, var
        x = rng.normal(size=(8, D))
        expect_close(x @ W_got + b_got, bn.forward(linear.forward(x, train=False), train=False),
                     what=f"x @ W_folded + b_folded against Linear then BatchNorm(train=False) {where}")

    with np.errstate(all="ignore"):
        return run_checks("fold_batchnorm", {
            "D 4, M 3, running_var 0.5 to 2, eps 1e-5": lambda: case(4, 3, (0.5, 2.0), 1e-5, 1),
            "D 3, M 3 (square W), eps 1e-5": lambda: case(3, 3, (0.5, 2.0), 1e-5, 2),
            "D 2, M 5, running_var 1e-6 to 1e-4 (eps matters), eps 1e-5": lambda: case(2, 5, (1e-6, 1e-4), 1e-5, 3),
            "D 5, M 2, eps 0.1": lambda: case(5, 2, (0.5, 2.0), 0.1, 4),
        })
