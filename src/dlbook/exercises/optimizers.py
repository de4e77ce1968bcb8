"""Checkers for chapter 5, Optimizers: the reader's Momentum step and Adam step.

The reader writes one step as a pure function that returns the new values::

    def momentum_step(w, v, grad, lr, alpha):
        ...                          # v <- alpha * v - lr * grad ;  w <- w + v
        return w_new, v_new

    def adam_step(w, m, v, grad, t, lr, beta1, beta2, eps):
        ...                          # t is the number of this step: 1, 2, 3, ...
        return w_new, m_new, v_new

and hands it to `check_momentum_step` or `check_adam_step`. The expected
numbers are worked out by hand in the checks below; when an answer is wrong,
the checker also tries the usual mistakes (a flipped sign, no bias correction,
...) and names the one that matches.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from dlbook.exercises import CheckResult, Mismatch, as_numbers, distinct_arrays, expect_close, run_checks

__all__ = ["check_momentum_step", "check_adam_step"]


def _as_arrays(out, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """The reader's return value as a tuple of float arrays named `names`, or a Mismatch saying why not."""
    wanted = "(" + ", ".join(names) + ")"
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        raise Mismatch(f"should return a tuple {wanted}, got {type(out).__name__} {out!r}")
    return tuple(as_numbers(value, name) for name, value in zip(names, out))


def _call(fn: Callable, inputs: dict[str, object], names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """Call fn with copies of the array inputs; complain if it changed any of them in place."""
    copies = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
    out = fn(**copies)
    for key, value in inputs.items():
        if isinstance(value, np.ndarray) and not np.array_equal(copies[key], value):
            before, after = distinct_arrays(value, copies[key])
            raise Mismatch(f"your function changed its input {key} in place (it was {before}, "
                           f"now {after}); compute new arrays and return them")
    return _as_arrays(out, names)


def _compare(got: tuple[np.ndarray, ...], expected: tuple[np.ndarray, ...], names: tuple[str, ...],
             mistakes: list[tuple[str, tuple[np.ndarray, ...]]], order: tuple[int, ...]) -> None:
    """Mismatch on the first output (in `order`) that differs, with a hint if `got` is a known mistake.

    Each mistake is ``(hint, what that wrong version returns)``; the hint is given only when every
    output the reader returned matches it.
    """
    try:
        for i in order:
            expect_close(got[i], expected[i], what=names[i])
    except Mismatch as mismatch:
        for hint, wrong in mistakes:
            if all(g.shape == np.shape(w) and np.allclose(g, w, rtol=1e-6, atol=1e-9)
                   for g, w in zip(got, wrong)):
                raise Mismatch(f"{mismatch}. Hint: {hint}") from None
        raise


# ---------------------------------------------------------------- Momentum --

def _momentum_mistakes(w, v, grad, lr, alpha) -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """What the usual wrong versions of the Momentum step return: ``(hint, (w_new, v_new))``."""
    v_new = alpha * v - lr * grad
    uphill = alpha * v + lr * grad
    no_alpha = v - lr * grad
    swapped = lr * v - alpha * grad
    wrong_way = "the velocity points the wrong way; it should be v_new = alpha * v - lr * grad (downhill)"
    return [
        (wrong_way, (w - uphill, uphill)),
        (wrong_way, (w + uphill, uphill)),
        ("alpha is missing; the old velocity should be multiplied by alpha", (w + no_alpha, no_alpha)),
        ("lr and alpha look swapped; v_new = alpha * v - lr * grad", (w + swapped, swapped)),
        ("w moved with the old velocity; update v first, then w_new = w + v_new", (w + v, v_new)),
        ("w moved against the velocity; it should be w_new = w + v_new", (w - v_new, v_new)),
    ]


def check_momentum_step(fn: Callable) -> CheckResult:
    """Check the reader's ``momentum_step(w, v, grad, lr, alpha) -> (w_new, v_new)``.

    The rule: ``v_new = alpha * v - lr * grad`` and ``w_new = w + v_new``, as new arrays
    (the inputs unchanged). The cases below were computed by hand.
    """
    names = ("w_new", "v_new")

    def case(w, v, grad, lr, alpha, w_new, v_new):
        inputs = {"w": np.array(w, dtype=float), "v": np.array(v, dtype=float),
                  "grad": np.array(grad, dtype=float), "lr": lr, "alpha": alpha}
        got = _call(fn, inputs, names)
        mistakes = _momentum_mistakes(inputs["w"], inputs["v"], inputs["grad"], lr, alpha)
        _compare(got, (np.array(w_new), np.array(v_new)), names, mistakes, order=(1, 0))

    def three_steps():
        # f(w) = w², grad 2w, from w = 1 at rest, lr 0.1, alpha 0.9:
        # step 1: grad 2,    v = -0.2,                     w = 0.8
        # step 2: grad 1.6,  v = 0.9*-0.2 - 0.16 = -0.34,  w = 0.46
        # step 3: grad 0.92, v = 0.9*-0.34 - 0.092 = -0.398, w = 0.062
        w, v = np.array([1.0]), np.array([0.0])
        for k, (w_expected, v_expected) in enumerate([(0.8, -0.2), (0.46, -0.34), (0.062, -0.398)], start=1):
            got_w, got_v = _call(fn, {"w": w, "v": v, "grad": 2 * w, "lr": 0.1, "alpha": 0.9}, names)
            expect_close(got_v, [v_expected], what=f"v after step {k}")
            expect_close(got_w, [w_expected], what=f"w after step {k}")
            w, v = got_w, got_v

    return run_checks("momentum_step", {
        "from rest: w [1, -2], v 0, grad [0.5, -1], lr 0.1, alpha 0.9":
            lambda: case([1.0, -2.0], [0.0, 0.0], [0.5, -1.0], 0.1, 0.9, [0.95, -1.9], [-0.05, 0.1]),
        "moving: w [0.95, -1.9], v [-0.05, 0.1], grad [0.4, -0.8]":
            lambda: case([0.95, -1.9], [-0.05, 0.1], [0.4, -0.8], 0.1, 0.9, [0.865, -1.73], [-0.085, 0.17]),
        "alpha 0 (plain SGD): w 3, v 1, grad 2, lr 0.5":
            lambda: case([3.0], [1.0], [2.0], 0.5, 0.0, [2.0], [-1.0]),
        "a 2x2 matrix":
            lambda: case([[1.0, 2.0], [3.0, 4.0]], [[0.1, 0.0], [0.0, -0.1]], [[1.0, 1.0], [-1.0, 0.0]],
                         0.5, 0.5, [[0.55, 1.5], [3.5, 3.95]], [[-0.45, -0.5], [0.5, -0.05]]),
        "3 steps on f(w) = w² from w 1, v 0": three_steps,
    })


# -------------------------------------------------------------------- Adam --

def _adam(w, m, v, grad, t, lr, beta1, beta2, eps, *, correct=True, t_used=None, sqrt=True):
    """The Adam step, or a wrong version of it (no bias correction, a wrong t, no square root)."""
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad * grad
    t_used = t if t_used is None else t_used
    m_hat = m_new / (1 - beta1**t_used) if correct else m_new
    v_hat = v_new / (1 - beta2**t_used) if correct else v_new
    with np.errstate(divide="ignore", invalid="ignore"):
        w_new = w - lr * m_hat / ((np.sqrt(v_hat) if sqrt else v_hat) + eps)
    return w_new, m_new, v_new


def _adam_mistakes(w, m, v, grad, t, lr, beta1, beta2, eps) -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """What the usual wrong versions of the Adam step return: ``(hint, (w_new, m_new, v_new))``."""
    args = (w, m, v, grad, t, lr, beta1, beta2, eps)
    right = _adam(*args)
    m_swapped = beta1 * grad + (1 - beta1) * m
    v_swapped = beta2 * grad * grad + (1 - beta2) * v
    v_unsquared = beta2 * v + (1 - beta2) * grad

    def step(m_new, v_new):  # the right step taken from wrong averages
        with np.errstate(divide="ignore", invalid="ignore"):
            return w - lr * (m_new / (1 - beta1**t)) / (np.sqrt(v_new / (1 - beta2**t)) + eps)

    return [
        ("the averages are the wrong way round; m_new = beta1 * m + (1 - beta1) * grad (and likewise v)",
         (step(m_swapped, v_swapped), m_swapped, v_swapped)),
        ("the averages are the wrong way round; m_new = beta1 * m + (1 - beta1) * grad",
         (step(m_swapped, right[2]), m_swapped, right[2])),
        ("v should average the squared gradient; v_new = beta2 * v + (1 - beta2) * grad**2",
         (step(right[1], v_unsquared), right[1], v_unsquared)),
        ("no bias correction? Divide m_new by (1 - beta1**t) and v_new by (1 - beta2**t) before the step",
         _adam(*args, correct=False)),
        *[("the bias correction uses the wrong t; t is the number of this step, 1 on the first",
           _adam(*args, t_used=t_wrong)) for t_wrong in (t - 1, t + 1) if t_wrong >= 1],
        ("the square root is missing; divide by sqrt(v_hat) + eps", _adam(*args, sqrt=False)),
    ]


def check_adam_step(fn: Callable) -> CheckResult:
    """Check the reader's ``adam_step(w, m, v, grad, t, lr, beta1, beta2, eps) -> (w_new, m_new, v_new)``.

    The rule, with t the number of this step (1 on the first)::

        m_new = beta1 * m + (1 - beta1) * grad
        v_new = beta2 * v + (1 - beta2) * grad**2
        m_hat = m_new / (1 - beta1**t) ;  v_hat = v_new / (1 - beta2**t)
        w_new = w - lr * m_hat / (sqrt(v_hat) + eps)

    eps inside the square root is accepted too: the cases are chosen so the two agree.
    """
    names = ("w_new", "m_new", "v_new")

    def case(w, m, v, grad, t, lr, expected, beta1=0.9, beta2=0.999, eps=1e-8):
        inputs = {"w": np.array(w, dtype=float), "m": np.array(m, dtype=float), "v": np.array(v, dtype=float),
                  "grad": np.array(grad, dtype=float), "t": t, "lr": lr, "beta1": beta1, "beta2": beta2,
                  "eps": eps}
        got = _call(fn, inputs, names)
        args = [inputs[k] for k in ("w", "m", "v", "grad")] + [t, lr, beta1, beta2, eps]
        _compare(got, tuple(np.array(e) for e in expected), names, _adam_mistakes(*args), order=(1, 2, 0))

    def first_step():
        # t = 1: m = 0.1 grad, v = 0.001 grad², m_hat = grad, v_hat = grad², so each weight moves
        # by lr * grad / |grad| = lr against its gradient's sign, whatever the gradient's size.
        grad = [0.5, -4.0]
        case([1.0, 1.0], [0.0, 0.0], [0.0, 0.0], grad, 1, 0.1,
             ([0.9, 1.1], [0.05, -0.4], [0.00025, 0.016]))

    def second_step():
        # From the state after the first step above (grad 0.5), a second gradient 0.5:
        # m = 0.9*0.05 + 0.1*0.5 = 0.095, v = 0.999*0.00025 + 0.001*0.25 = 0.00049975,
        # m_hat = 0.095 / 0.19 = 0.5, v_hat = 0.00049975 / 0.001999 = 0.25, step = 0.1 * 0.5 / 0.5.
        case([0.9], [0.05], [0.00025], [0.5], 2, 0.1, ([0.8], [0.095], [0.00049975]))

    def late_step():
        # t = 1000: 1 - 0.9**1000 = 1 and 1 - 0.999**1000 = 0.6323..., so only v's correction is left.
        m_new, v_new = 0.9 * 0.2 + 0.1 * 0.3, 0.999 * 0.04 + 0.001 * 0.09
        w_new = 2.0 - 0.01 * m_new / (math.sqrt(v_new / (1 - 0.999**1000)) + 1e-8)
        case([2.0], [0.2], [0.04], [0.3], 1000, 0.01, ([w_new], [m_new], [v_new]))

    def other_betas():
        # beta1 0.5, beta2 0.75 at t = 2: m = 0.5*1 + 0.5*(-2) = -0.5, v = 0.75*1 + 0.25*4 = 1.75,
        # m_hat = -0.5 / 0.75, v_hat = 1.75 / 0.4375 = 4, w = 0 - 0.3 * (-2/3) / 2 = 0.1.
        case([0.0], [1.0], [1.0], [-2.0], 2, 0.3, ([0.1], [-0.5], [1.75]), beta1=0.5, beta2=0.75)

    return run_checks("adam_step", {
        "t 1: w [1, 1], m v 0, grad [0.5, -4], lr 0.1": first_step,
        "t 2: w 0.9, m 0.05, v 0.00025, grad 0.5, lr 0.1": second_step,
        "t 1000: w 2, m 0.2, v 0.04, grad 0.3, lr 0.01": late_step,
        "betas 0.5, 0.75, t 2: w 0, m v 1, grad -2, lr 0.3": other_betas,
    })
