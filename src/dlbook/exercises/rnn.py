"""Checkers for the exercises of the chapter "Recurrent neural networks".

    check_rnn_step_backward(fn)  fn(dh, x, h_prev, h, W_x, W_h) -> (dx, dh_prev, dW_x, dW_h, db): the backward
                                 pass of one step h = tanh(x W_x + h_prev W_h + b), given dh = dL/dh;
                                 x: (N, D), h_prev, h, dh: (N, H), W_x: (D, H), W_h: (H, H)
    check_lstm_cell_forward(fn)  fn(x, h_prev, c_prev, W_x, W_h, b) -> (h, c): one LSTM step, the gates
                                 [i f g o] = x W_x + h_prev W_h + b in that order (W_x: (D, 4H), b: (4H,))
    check_clip_grad_norm(fn)     fn(grads, max_norm) -> total_norm: scale the dict's arrays IN PLACE so
                                 that their joint L2 norm is at most max_norm, return the norm before

Each checker compares the reader's result with `dlbook` (`RNN`, `LSTM`, `clip_grad_norm`) and
names the usual mistakes when it recognizes one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook.clipping import clip_grad_norm
from dlbook.exercises import CheckResult, Mismatch, as_numbers, call_on_copies, expect_close, run_checks
from dlbook.rnn import LSTM, RNN

__all__ = ["check_rnn_step_backward", "check_lstm_cell_forward", "check_clip_grad_norm"]

_RNN_NAMES = ("dx", "dh_prev", "dW_x", "dW_h", "db")


def _check_arrays(got, names: tuple[str, ...], expected, mistakes) -> None:
    """The reader's tuple of arrays against `expected`: shapes, then a usual mistake it matches, else the first
    difference. `mistakes` lists ``(message, arrays that mistake gives)``."""
    count = {2: "two", 5: "five"}.get(len(names), str(len(names)))
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        raise Mismatch(f"return {count} arrays: ({', '.join(names)})")
    got = [as_numbers(g, name) for g, name in zip(got, names)]
    for name, g, e in zip(names, got, expected):
        if g.shape != e.shape:
            raise Mismatch(f"{name} should have shape {e.shape}, got {g.shape}")

    def close(arrays, others) -> bool:
        return all(np.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(arrays, others))

    if close(got, expected):
        return
    for message, wrong in mistakes:
        if close(got, wrong):
            raise Mismatch(message)
    for name, g, e in zip(names, got, expected):
        expect_close(g, e, what=name)


def _rnn_step_reference(dh, x, h_prev, W_x, W_h, b):
    """dlbook's RNN on a sequence of one step from h_prev: (h, dx, dh_prev, dW_x, dW_h, db)."""
    N, D = x.shape
    H = W_h.shape[0]
    layer = RNN(D, H, rng=np.random.default_rng(0))
    layer.params.update(W_x=W_x.copy(), W_h=W_h.copy(), b=b.copy())
    h = layer.forward(x[:, None, :], h0=h_prev)[:, 0]
    dx = layer.backward(dh[:, None, :])[:, 0]
    g = layer.grads
    return h, (dx, layer.dh0, g["W_x"], g["W_h"], g["b"])


def _rnn_step_mistakes(dh, x, h_prev, h, W_x, W_h):
    """What the usual slips give: (message, (dx, dh_prev, dW_x, dW_h, db))."""
    def grads(da, h_for_W=h_prev, W_back=W_h.T):
        return (da @ W_x.T, da @ W_back, x.T @ da, h_for_W.T @ da, da.sum(axis=0))
    return [
        ("forgot tanh's derivative: multiply dh by 1 - h² first", grads(dh)),
        ("tanh's derivative is 1 - h² (with h = tanh(a), the output), not 1 - h", grads(dh * (1 - h))),
        ("tanh's derivative uses the output h of this step, not h_prev", grads(dh * (1 - h_prev ** 2))),
        ("dW_h multiplies by h_prev, the state the step read, not by h", grads(dh * (1 - h * h), h_for_W=h)),
        ("dh_prev is da W_hᵀ (the transpose), not da W_h", grads(dh * (1 - h * h), W_back=W_h)),
    ]


def check_rnn_step_backward(fn: Callable) -> CheckResult:
    """Check ``fn(dh, x, h_prev, h, W_x, W_h) -> (dx, dh_prev, dW_x, dW_h, db)`` against `dlbook.rnn.RNN`."""
    rng = np.random.default_rng(11)

    def attempt(N: int, D: int, H: int) -> None:
        x, h_prev = rng.standard_normal((N, D)), np.tanh(rng.standard_normal((N, H)))
        W_x, W_h, b = rng.standard_normal((D, H)) * 0.7, rng.standard_normal((H, H)) * 0.7, rng.standard_normal(H)
        dh = rng.standard_normal((N, H))
        h, expected = _rnn_step_reference(dh, x, h_prev, W_x, W_h, b)
        got = call_on_copies(fn, dh, x, h_prev, h, W_x, W_h, names=("dh", "x", "h_prev", "h", "W_x", "W_h"))
        _check_arrays(got, _RNN_NAMES, expected, _rnn_step_mistakes(dh, x, h_prev, h, W_x, W_h))

    return run_checks("rnn_step_backward", {
        "N=3, D=4, H=5": lambda: attempt(3, 4, 5),
        "N=1, D=2, H=3 (one sequence)": lambda: attempt(1, 2, 3),
        "N=6, D=3, H=3": lambda: attempt(6, 3, 3),
    })


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _lstm_mistakes(x, h_prev, c_prev, W_x, W_h, b):
    """What the usual slips give: (message, (h, c))."""
    a = x @ W_x + h_prev @ W_h + b
    H = h_prev.shape[1]
    blocks = [a[:, k * H : (k + 1) * H] for k in range(4)]
    i, f, g, o = _sigmoid(blocks[0]), _sigmoid(blocks[1]), np.tanh(blocks[2]), _sigmoid(blocks[3])
    c = f * c_prev + i * g
    o2, g2 = _sigmoid(blocks[2]), np.tanh(blocks[3])  # columns read as i, f, o, g
    c2 = f * c_prev + i * g2
    c3 = f * c_prev + i * _sigmoid(blocks[2])
    return [
        ("the candidate g is the third block and the output gate o the fourth (order i, f, g, o)",
         (o2 * np.tanh(c2), c2)),
        ("h = o ⊙ tanh(c): the cell state goes through tanh before the output gate", (o * c, c)),
        ("the input gate scales the candidate: c = f ⊙ c_prev + i ⊙ g", (o * np.tanh(f * c_prev + g), f * c_prev + g)),
        ("the candidate g uses tanh, the gates i, f, o use sigmoid", (o * np.tanh(c3), c3)),
    ]


def check_lstm_cell_forward(fn: Callable) -> CheckResult:
    """Check ``fn(x, h_prev, c_prev, W_x, W_h, b) -> (h, c)`` against one step of `dlbook.rnn.LSTM`."""
    rng = np.random.default_rng(12)

    def attempt(N: int, D: int, H: int) -> None:
        x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
        W_x, W_h, b = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H)
        layer = LSTM(D, H, rng=np.random.default_rng(0))
        layer.params.update(W_x=W_x.copy(), W_h=W_h.copy(), b=b.copy())
        h = layer.forward(x[:, None, :], h0=h_prev, c0=c_prev)[:, 0]
        expected = (h, layer.c_n)
        got = call_on_copies(fn, x, h_prev, c_prev, W_x, W_h, b, names=("x", "h_prev", "c_prev", "W_x", "W_h", "b"))
        _check_arrays(got, ("h", "c"), expected, _lstm_mistakes(x, h_prev, c_prev, W_x, W_h, b))

    return run_checks("lstm_cell_forward", {
        "N=2, D=3, H=4": lambda: attempt(2, 3, 4),
        "N=1, D=1, H=2": lambda: attempt(1, 1, 2),
        "N=5, D=4, H=3": lambda: attempt(5, 4, 3),
    })


def check_clip_grad_norm(fn: Callable) -> CheckResult:
    """Check ``fn(grads, max_norm) -> total_norm`` against `dlbook.clipping.clip_grad_norm`.

    The arrays in `grads` must be scaled IN PLACE (an optimizer reads them next), all by the same
    factor max_norm / total_norm when the norm is too large, and left alone otherwise.
    """
    rng = np.random.default_rng(13)

    def attempt(shapes: tuple[tuple[int, ...], ...], scale: float, max_norm: float) -> None:
        grads = {f"g{k}": rng.standard_normal(s) * scale for k, s in enumerate(shapes)}
        expected = {k: g.copy() for k, g in grads.items()}
        expected_norm = clip_grad_norm(expected, max_norm)
        mine = {k: g.copy() for k, g in grads.items()}
        with np.errstate(all="ignore"):
            total = fn(mine, max_norm)
        number = as_numbers(total, "the returned total norm")
        if number.size != 1:
            raise Mismatch(f"return one number, the total norm; got an array of shape {number.shape}")
        changed = any(not np.array_equal(mine[k], grads[k]) for k in grads)
        needs_clipping = expected_norm > max_norm
        if needs_clipping and not changed:
            raise Mismatch("the arrays in grads were not changed: scale them in place (g *= factor), "
                           "the optimizer reads them next")
        for k in grads:
            if needs_clipping and np.allclose(mine[k], np.clip(grads[k], -max_norm, max_norm)):
                raise Mismatch("clipped each number to [-max_norm, max_norm]; scale the whole gradient "
                               "by max_norm / total_norm instead, keeping its direction")
        per_array = all(np.allclose(mine[k], grads[k] * min(1.0, max_norm / np.linalg.norm(grads[k])))
                        for k in grads)
        if needs_clipping and len(grads) > 1 and per_array:
            raise Mismatch("clipped each array by its own norm; the norm is that of all arrays together")
        if not needs_clipping and changed:
            raise Mismatch(f"the norm {expected_norm:.4g} is below max_norm {max_norm}: leave the gradients "
                           "unchanged")
        for k in grads:
            expect_close(mine[k], expected[k], what=f"grads[{k!r}] after clipping", rtol=1e-5)
        value = float(number.reshape(()))
        if needs_clipping and np.isclose(value, max_norm, rtol=1e-5):
            raise Mismatch("returned the norm after clipping; return the total norm before it")
        expect_close(value, expected_norm, what="the returned total norm", rtol=1e-6)

    return run_checks("clip_grad_norm", {
        "three arrays, norm far above max_norm = 1": lambda: attempt(((3, 4), (4,), (2, 2)), 5.0, 1.0),
        "two arrays, norm just above max_norm = 2.5": lambda: attempt(((5,), (2, 3)), 0.9, 2.5),
        "two arrays, norm below max_norm = 10: unchanged": lambda: attempt(((3,), (2, 2)), 0.5, 10.0),
    })
