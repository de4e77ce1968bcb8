"""Checker for chapter 6, batch normalization: the reader's backward for images (N, C, H, W).

The chapter derives batch norm's backward for x: (N, D), statistics per feature over the batch.
The exercise takes the next step, the one a convolutional network (and `dlbook.resnet`) needs:
statistics per channel over N, H and W, so each channel normalizes m = N * H * W values::

    def batchnorm2d_backward(dout, x, gamma, eps):
        ...
        return dx, dgamma, dbeta     # (N, C, H, W), (C,), (C,)

When the answer is wrong the checker tries the usual mistakes (statistics over N only, a
missing path through the mean or the variance, the unbiased variance) and names the one that matches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook.exercises import CheckResult, Mismatch, as_numbers, expect_close, run_checks

__all__ = ["check_batchnorm2d_backward"]


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
