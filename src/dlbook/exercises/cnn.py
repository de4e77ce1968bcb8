"""Checkers for the exercises of the chapter "Convolutional neural networks".

    check_output_size(fn)       fn(size, kernel_size, stride, padding) -> int, the output height
                                (or width) of a convolution or pooling window
    check_conv2d(fn)            fn(x, W, b, stride, padding) -> y, a convolution written with loops,
                                x: (N, C, H, W), W: (F, C, kh, kw), b: (F,) -> y: (N, F, OH, OW)
    check_maxpool_backward(fn)  fn(x, dout, k) -> dx, the backward pass of k x k max-pooling with
                                stride k, x: (N, C, H, W) with H and W multiples of k

Each checker compares the reader's result with `dlbook` (`conv_output_size`,
`Conv2D`, `MaxPool2D`) on inputs chosen to expose the usual mistakes, and
names the mistake when it recognizes one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook.conv import AvgPool2D, Conv2D, MaxPool2D, conv_output_size
from dlbook.exercises import CheckResult, Mismatch, as_numbers, call_on_copies, expect_close, run_checks

__all__ = ["check_output_size", "check_conv2d", "check_maxpool_backward", "OUTPUT_SIZE_CASES"]

# (size, kernel_size, stride, padding): "same" padding, strides that do and do not divide evenly, a
# window as large as the input, and the layers of LeNet-5 and of this chapter's network.
OUTPUT_SIZE_CASES: tuple[tuple[int, int, int, int], ...] = (
    (8, 3, 1, 0), (8, 3, 1, 1), (28, 5, 1, 0), (28, 5, 1, 2), (32, 3, 2, 1),
    (8, 3, 2, 0), (7, 2, 2, 0), (8, 2, 2, 0), (5, 5, 1, 0), (10, 4, 3, 1),
)


# ------------------------------------------------------------ output size --

# The usual mistakes: what each computes, and what to say about it.
_SIZE_MISTAKES: tuple[tuple[Callable[[int, int, int, int], int], str], ...] = (
    (lambda n, k, s, p: (n + 2 * p - k) // s, "forgot the + 1 (the first window sits at position 0)"),
    (lambda n, k, s, p: (n + p - k) // s + 1, "padding is added on both sides: 2 * padding"),
    (lambda n, k, s, p: (n - k) // s + 1, "forgot the padding"),
    (lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
     "rounded up; a window that would stick out is left out, so round down"),
    (lambda n, k, s, p: n + 2 * p - k + 1, "forgot to divide by the stride"),
)


def check_output_size(fn: Callable) -> CheckResult:
    """Check ``fn(size, kernel_size, stride, padding) -> int`` against `dlbook.conv.conv_output_size`.

    A usual mistake is named only when the reader's answers match it on every case.
    """

    def answers() -> list:
        out = []
        for case in OUTPUT_SIZE_CASES:
            try:
                out.append(call_on_copies(fn, *case))
            except Exception:  # the reader's code: the case's own check reports it
                out.append(None)
        return out

    def diagnosis() -> str:
        got = answers()
        for mistake, message in _SIZE_MISTAKES:
            if all(g is not None and g == mistake(*case) for g, case in zip(got, OUTPUT_SIZE_CASES)):
                return f": {message}"
        return ""

    def one(size: int, k: int, s: int, p: int) -> Callable[[], None]:
        def check() -> None:
            got = call_on_copies(fn, size, k, s, p)
            expected = conv_output_size(size, k, s, p)
            try:
                number = as_numbers(got, "the output size")
            except Mismatch as mismatch:
                raise Mismatch(f"expected a whole number: {mismatch}") from None
            if number.size != 1:
                raise Mismatch(f"expected one whole number, got an array of shape {number.shape}")
            number = float(number.reshape(()))
            if not number.is_integer():
                raise Mismatch(f"expected the whole number {expected}, got {got}: a window cannot stop "
                               f"part-way, so round down with integer division //")
            value = int(number)
            if value != expected:
                raise Mismatch(f"expected {expected}, got {value}{diagnosis()}")
        return check

    return run_checks("output_size", {
        f"size {n}, kernel {k}, stride {s}, padding {p}": one(n, k, s, p) for n, k, s, p in OUTPUT_SIZE_CASES
    })


# ------------------------------------------------------------ convolution --

def _reference_conv(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """`dlbook.conv.Conv2D` with these weights, in float64."""
    F, C, kh, kw = W.shape
    conv = Conv2D(C, F, (kh, kw), stride=stride, padding=padding, rng=np.random.default_rng(0))
    conv.params["W"][...] = W
    conv.params["b"][...] = b
    return conv.forward(x)


def check_conv2d(fn: Callable) -> CheckResult:
    """Check ``fn(x, W, b, stride, padding) -> y`` against `dlbook.conv.Conv2D`.

    ``x: (N, C, H, W)``, ``W: (F, C, kh, kw)``, ``b: (F,)``; ``y: (N, F, OH, OW)``
    with ``y[n, f, i, j] = sum over c, u, v of x_pad[n, c, i*stride + u, j*stride + v] * W[f, c, u, v]
    + b[f]``, where ``x_pad`` is x with `padding` zeros on each side.
    """
    rng = np.random.default_rng(7)

    def attempt(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, padding: int) -> None:
        x = rng.standard_normal(x_shape)
        W = rng.standard_normal(w_shape)
        b = rng.standard_normal(w_shape[0])
        expected = _reference_conv(x, W, b, stride, padding)
        y = call_on_copies(fn, x, W, b, stride, padding)
        y = as_numbers(y, "y")
        if y.shape != expected.shape:
            raise Mismatch(f"y should have shape (N, F, OH, OW) = {expected.shape}, got {y.shape}; "
                           f"OH = (H + 2*padding - kh) // stride + 1")
        if np.allclose(y, expected, rtol=1e-6, atol=1e-8):
            return
        hints = {
            "you flipped the kernel: deep-learning libraries slide W as it is (cross-correlation)":
                _reference_conv(x, W[:, :, ::-1, ::-1], b, stride, padding),
            "the bias b[f] is missing (add it to every output of filter f)":
                _reference_conv(x, W, np.zeros_like(b), stride, padding),
        }
        for mistake, wrong in hints.items():
            if np.allclose(y, wrong, rtol=1e-6, atol=1e-8):
                raise Mismatch(mistake)
        if x_shape[1] > 1:
            first_only = _reference_conv(x[:, :1], W[:, :1], b, stride, padding)
            if np.allclose(y, first_only, rtol=1e-6, atol=1e-8):
                raise Mismatch("only channel 0 is used: sum the products over every input channel c")
        expect_close(y, expected, what="y")

    return run_checks("conv2d", {
        "one image, one channel, one filter, 3x3": lambda: attempt((1, 1, 5, 5), (1, 1, 3, 3), 1, 0),
        "several images and filters": lambda: attempt((2, 1, 6, 6), (3, 1, 3, 3), 1, 0),
        "three input channels": lambda: attempt((2, 3, 5, 5), (2, 3, 3, 3), 1, 0),
        "padding 1": lambda: attempt((2, 2, 5, 5), (2, 2, 3, 3), 1, 1),
        "stride 2": lambda: attempt((1, 2, 7, 7), (2, 2, 3, 3), 2, 0),
        "stride 2 and padding 2, a 2x4 kernel, a 6x9 image": lambda: attempt((2, 2, 6, 9), (3, 2, 2, 4), 2, 2),
    })


# ------------------------------------------------------------ max-pool backward --

def check_maxpool_backward(fn: Callable) -> CheckResult:
    """Check ``fn(x, dout, k) -> dx``, the backward pass of k x k max-pooling with stride k.

    ``x: (N, C, H, W)`` with H and W multiples of k, ``dout: (N, C, H/k, W/k)``.
    Each window passes its ``dout`` to the position of its maximum; every other
    position gets 0. Where a window holds its maximum twice, the gradient must
    go to one of them, not to both.
    """
    rng = np.random.default_rng(8)

    def reference(x: np.ndarray, dout: np.ndarray, k: int) -> np.ndarray:
        pool = MaxPool2D(k)
        pool.forward(x)
        return pool.backward(dout)

    def call(x: np.ndarray, dout: np.ndarray, k: int) -> np.ndarray:
        dx = call_on_copies(fn, x, dout, k)
        dx = as_numbers(dx, "dx")
        if dx.shape != x.shape:
            raise Mismatch(f"dx should have the shape of x, {x.shape}, got {dx.shape}")
        return dx

    def attempt(x_shape: tuple[int, ...], k: int) -> None:
        x = rng.permutation(np.prod(x_shape)).reshape(x_shape) / 10.0  # distinct values: no ties
        N, C, H, W = x_shape
        dout = rng.standard_normal((N, C, H // k, W // k))
        dx = call(x, dout, k)
        expected = reference(x, dout, k)
        if np.allclose(dx, expected):
            return
        pool = AvgPool2D(k)
        pool.forward(x)
        if np.allclose(dx, pool.backward(dout)):
            raise Mismatch("dout is spread evenly over each window: that is average pooling; "
                           "max-pooling sends it to the maximum only")
        if np.allclose(dx, np.where(expected != 0, 1.0, 0.0)):
            raise Mismatch("dx marks where the maxima are, but holds 1 there: put dout's value there "
                           "(the chain rule)")
        expect_close(dx, expected, what="dx")

    def ties() -> None:
        x = np.array([[[[1.0, 1.0, 0.0, 2.0], [0.0, 1.0, 2.0, 2.0]]]])  # (1, 1, 2, 4): ties in both windows
        dout = np.array([[[[3.0, 5.0]]]])  # (1, 1, 1, 2)
        dx = call(x, dout, 2)
        for j, d in enumerate((3.0, 5.0)):
            window, grad = x[0, 0, :, 2 * j : 2 * j + 2], dx[0, 0, :, 2 * j : 2 * j + 2]
            if not np.isclose(grad.sum(), d):
                raise Mismatch(f"a window whose maximum appears more than once must pass back its dout "
                               f"({d:g}) once, to one of them; window {j} got {np.round(grad, 6).tolist()}")
            chosen = grad != 0
            if chosen.sum() != 1 or window[chosen][0] != window.max():
                raise Mismatch(f"window {j} ({window.tolist()}) should send its dout to one maximum, "
                               f"got {np.round(grad, 6).tolist()}")

    return run_checks("maxpool_backward", {
        "one image, one channel, 4x4, k = 2": lambda: attempt((1, 1, 4, 4), 2),
        "a batch with channels, (3, 2, 6, 6), k = 2": lambda: attempt((3, 2, 6, 6), 2),
        "k = 3 on a 6x9 image": lambda: attempt((2, 1, 6, 9), 3),
        "a window with its maximum twice": ties,
    })
