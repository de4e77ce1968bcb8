"""Checkers for steps the optimizer and regularization chapters have not taken.

Nesterov in its look-ahead form (the gradient taken where the velocity is carrying w; the
chapter implements the reparameterized form), a learning-rate warm-up before the cosine
(chapter 5), and AdamW, Adam with decoupled weight decay (chapter 6)::

    def nesterov_step(w, v, grad_fn, lr, alpha):
        ...                          # grad_fn(point) is the gradient at point
        return w_new, v_new

    def adamw_step(w, m, v, grad, t, lr, beta1, beta2, eps, weight_decay):
        ...
        return w_new, m_new, v_new

    def warmup_cosine(epoch, lr0, warmup, T):
        ...                          # the learning rate of one epoch
        return lr

Each is compared with numbers worked out by hand, then with `dlbook` (`optim.Nesterov`,
`optim.AdamW`, `schedules.CosineAnnealingLR`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from dlbook.exercises import CheckResult, Mismatch, as_numbers, expect_close, run_checks
from dlbook.exercises.optimizers import _adam, _call, _compare
from dlbook.optim import SGD, AdamW, Nesterov
from dlbook.schedules import CosineAnnealingLR

__all__ = ["check_nesterov_lookahead_step", "check_adamw_step", "check_warmup_cosine"]


# ------------------------------------------------------- Nesterov, look-ahead --

def check_nesterov_lookahead_step(fn: Callable) -> CheckResult:
    """Check the reader's ``nesterov_step(w, v, grad_fn, lr, alpha) -> (w_new, v_new)``, the look-ahead form::

        v_new = alpha * v - lr * grad_fn(w + alpha * v)     the gradient where the velocity is taking w
        w_new = w + v_new

    ``grad_fn(point)`` returns the gradient at ``point``. The checker records where it was called
    and names the point when it is not ``w + alpha * v``. Then, over five steps, the reader's
    iterates shifted by ``alpha * v`` must be dlbook's ``Nesterov`` iterates (the form the book
    derives: gradient at the current point, ``w~ <- w~ + alpha * v_new - lr * g``).
    """
    names = ("w_new", "v_new")

    def one(w, v, a, lr, alpha):
        """Call the reader's step on f(w) = sum(a * w**2) / 2 (gradient a * w); return outputs and points asked."""
        asked = []

        def grad_fn(point):
            point = as_numbers(point, "the point given to grad_fn")
            asked.append(point.copy())
            return a * point

        inputs = {"w": np.array(w, dtype=float), "v": np.array(v, dtype=float), "grad_fn": grad_fn,
                  "lr": lr, "alpha": alpha}
        return _call(fn, inputs, names), asked, inputs

    def case(w, v, a, lr, alpha, w_new, v_new):
        a = np.array(a, dtype=float)
        got, asked, inputs = one(w, v, a, lr, alpha)
        w0, v0 = inputs["w"], inputs["v"]
        ahead = w0 + alpha * v0
        if len(asked) != 1:
            raise Mismatch(f"grad_fn should be called once per step (at w + alpha * v), it was called {len(asked)} "
                           "times")
        for point, hint in [(w0, "that is plain momentum: Nesterov takes the gradient at the look-ahead point "
                                 "w + alpha * v"),
                            (w0 - alpha * v0, "the look-ahead goes the way the velocity points: w + alpha * v"),
                            (w0 + v0, "the look-ahead is w + alpha * v (alpha times the velocity)")]:
            if not np.allclose(point, ahead) and np.allclose(asked[0], point):
                raise Mismatch(f"grad_fn was called at {np.round(asked[0], 6).tolist()}; {hint} "
                               f"= {np.round(ahead, 6).tolist()}")
        expect_close(asked[0], ahead, what="the point where grad_fn was called (w + alpha * v)")
        g = a * ahead
        right_v = alpha * v0 - lr * g
        mistakes = [
            ("w moved from the look-ahead point; the look-ahead is only where the gradient is taken: "
             "w_new = w + v_new", (ahead + right_v, right_v)),
            ("that is the package's reparameterized rule, which updates w~ = w + alpha * v, not w; in the "
             "look-ahead form w_new = w + v_new", (w0 + alpha * right_v - lr * g, right_v)),
            ("the velocity points the wrong way; v_new = alpha * v - lr * grad", (w0 + alpha * v0 + lr * g,
                                                                                  alpha * v0 + lr * g)),
        ]
        _compare(got, (np.array(w_new), np.array(v_new)), names, mistakes, order=(1, 0))

    def matches_dlbook():
        # f(w) = (w1² + 4 w2²) / 2 from w = [2, 1] at rest, lr 0.1, alpha 0.9: at rest w~ = w.
        a = np.array([1.0, 4.0])
        w, v = np.array([2.0, 1.0]), np.zeros(2)
        params = {"w": w.copy()}
        opt = Nesterov(lr=0.1, momentum=0.9)
        for k in range(1, 6):
            (w, v), _, _ = one(w, v, a, 0.1, 0.9)
            opt.step(params, {"w": a * params["w"]})
            expect_close(w + 0.9 * v, params["w"], what=f"w + alpha * v after step {k} against dlbook's Nesterov")

    return run_checks("nesterov_step", {
        # at rest the look-ahead is w itself: g = [1, -4], v = [-0.1, 0.4], w = [0.9, -1.6]
        "at rest: w [1, -2], v 0, grad_fn(p) = [1, 2] * p, lr 0.1, alpha 0.9":
            lambda: case([1.0, -2.0], [0.0, 0.0], [1.0, 2.0], 0.1, 0.9, [0.9, -1.6], [-0.1, 0.4]),
        # w 1, v -0.5, a 2, lr 0.1, alpha 0.5: ahead = 0.75, g = 1.5, v = -0.25 - 0.15 = -0.4, w = 0.6
        "moving: w 1, v -0.5, grad_fn(p) = 2 p, lr 0.1, alpha 0.5":
            lambda: case([1.0], [-0.5], [2.0], 0.1, 0.5, [0.6], [-0.4]),
        # w [0, 3], v [1, -1], a [1, 1], lr 0.2, alpha 0.8: ahead = [0.8, 2.2], g = ahead,
        # v = [0.8 - 0.16, -0.8 - 0.44] = [0.64, -1.24], w = [0.64, 1.76]
        "a vector: w [0, 3], v [1, -1], grad_fn(p) = p, lr 0.2, alpha 0.8":
            lambda: case([0.0, 3.0], [1.0, -1.0], [1.0, 1.0], 0.2, 0.8, [0.64, 1.76], [0.64, -1.24]),
        "5 steps: w + alpha * v follows dlbook's Nesterov": matches_dlbook,
    })


# ------------------------------------------------------------------- AdamW --

def check_adamw_step(fn: Callable) -> CheckResult:
    """Check ``adamw_step(w, m, v, grad, t, lr, beta1, beta2, eps, weight_decay) -> (w_new, m_new, v_new)``.

    Decoupled weight decay (AdamW, as `dlbook.optim.AdamW` and PyTorch)::

        w_decayed = w * (1 - lr * weight_decay)      the decay acts on the weights ...
        m_new, v_new, w_new: Adam's step from w_decayed with the plain grad   ... not on the gradient
    """
    names = ("w_new", "m_new", "v_new")

    def case(w, m, v, grad, t, lr, wd, beta1=0.9, beta2=0.999, eps=1e-8):
        inputs = {"w": np.array(w, dtype=float), "m": np.array(m, dtype=float), "v": np.array(v, dtype=float),
                  "grad": np.array(grad, dtype=float), "t": t, "lr": lr, "beta1": beta1, "beta2": beta2,
                  "eps": eps, "weight_decay": wd}
        got = _call(fn, inputs, names)
        w0, m0, v0, g = (inputs[k] for k in ("w", "m", "v", "grad"))
        hyper = (t, lr, beta1, beta2, eps)
        w_adam, m_new, v_new = _adam(w0, m0, v0, g, *hyper)
        step = w0 - w_adam  # Adam's own step, the same for every version that keeps the plain gradient
        expected = (w0 * (1 - lr * wd) - step, m_new, v_new)
        mistakes = [
            ("that is Adam with L2 (coupled): weight_decay * w went into the gradient, so it was divided by "
             "sqrt(v_hat) like the rest. AdamW keeps grad plain and shrinks w itself: w * (1 - lr * weight_decay)",
             _adam(w0, m0, v0, g + wd * w0, *hyper)),
            ("the decay should be scaled by the learning rate: w * (1 - lr * weight_decay)",
             (w0 * (1 - wd) - step, m_new, v_new)),
            ("the decay shrinks w, it does not grow it: w * (1 - lr * weight_decay)",
             (w0 * (1 + lr * wd) - step, m_new, v_new)),
            ("decay first, from the old w, then Adam's step (PyTorch's order): "
             "w_new = w * (1 - lr * weight_decay) - Adam's step", ((w0 - step) * (1 - lr * wd), m_new, v_new)),
            ("the decay is missing; w_new = w * (1 - lr * weight_decay) - Adam's step", (w_adam, m_new, v_new)),
        ]
        _compare(got, tuple(np.asarray(e) for e in expected), names, mistakes, order=(1, 2, 0))

    def matches_dlbook():
        a = np.array([1.0, 4.0])
        w, m, v = np.array([2.0, 1.0]), np.zeros(2), np.zeros(2)
        params = {"w": w.copy()}
        opt = AdamW(lr=0.1, weight_decay=0.5)
        for t in range(1, 4):
            w, m, v = _call(fn, {"w": w, "m": m, "v": v, "grad": a * w, "t": t, "lr": 0.1, "beta1": 0.9,
                                 "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.5}, names)
            opt.step(params, {"w": a * params["w"]})
            expect_close(w, params["w"], what=f"w after step {t} against dlbook's AdamW")

    return run_checks("adamw_step", {
        # t = 1: Adam's step is lr * sign(grad) = [0.1, -0.1]; decay 1 - 0.1 * 0.5 = 0.95:
        # w = [2 * 0.95 - 0.1, -4 * 0.95 + 0.1] = [1.8, -3.7]
        "t 1: w [2, -4], grad [1, -0.01], lr 0.1, weight_decay 0.5":
            lambda: case([2.0, -4.0], [0.0, 0.0], [0.0, 0.0], [1.0, -0.01], 1, 0.1, 0.5),
        "t 2: w 0.9, m 0.05, v 0.00025, grad 0.5, lr 0.1, weight_decay 0.2":
            lambda: case([0.9], [0.05], [0.00025], [0.5], 2, 0.1, 0.2),
        "weight_decay 0 is Adam": lambda: case([1.0, -1.0], [0.1, 0.0], [0.01, 0.0], [0.3, 2.0], 3, 0.05, 0.0),
        "3 steps against dlbook's AdamW": matches_dlbook,
    })


# --------------------------------------------------------- warm-up + cosine --

def _warmup_cosine(epoch: int, lr0: float, warmup: int, T: int, *, start_at_zero: bool = False,
                   restart: bool = True, span_all: bool = False) -> float:
    """The schedule, or a wrong version of it (warm-up from 0, cosine not restarted, over all T epochs)."""
    if epoch < warmup:
        return lr0 * (epoch if start_at_zero else epoch + 1) / warmup
    e = epoch - warmup if restart else epoch
    length = T if span_all else T - warmup
    return lr0 * (1 + math.cos(math.pi * e / length)) / 2


def check_warmup_cosine(fn: Callable) -> CheckResult:
    """Check ``warmup_cosine(epoch, lr0, warmup, T) -> lr`` for every epoch 0 <= epoch < T::

        epoch < warmup:   lr0 * (epoch + 1) / warmup                      (linear: lr0 at epoch warmup - 1)
        epoch >= warmup:  lr0 * (1 + cos(pi * (epoch - warmup) / (T - warmup))) / 2

    The cosine part is the chapter's `CosineAnnealingLR` started after the warm-up; with
    ``warmup = 0`` the two must agree. A number per epoch, as a Python or NumPy float.
    """
    def call(epoch, lr0, warmup, T) -> float:
        got = as_numbers(fn(epoch, lr0, warmup, T), f"the rate at epoch {epoch}")
        if got.shape != ():
            raise Mismatch(f"should return one number for one epoch, got shape {got.shape}")
        return float(got)

    def schedule(lr0, warmup, T):
        got = np.array([call(e, lr0, warmup, T) for e in range(T)])
        expected = np.array([_warmup_cosine(e, lr0, warmup, T) for e in range(T)])
        if np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            return
        mistakes = [
            ("the warm-up starts at 0: epoch 0 would not learn at all; use (epoch + 1) / warmup",
             dict(start_at_zero=True)),
            ("the cosine should start after the warm-up: use epoch - warmup in it, so it begins at lr0",
             dict(restart=False)),
            ("the cosine should fall over the T - warmup epochs that are left, not over T",
             dict(span_all=True)),
        ]
        for hint, how in mistakes:
            wrong = np.array([_warmup_cosine(e, lr0, warmup, T, **how) for e in range(T)])
            if not np.allclose(wrong, expected) and np.allclose(got, wrong, rtol=1e-9, atol=1e-12):
                raise Mismatch(f"with lr0 {lr0:g}, warmup {warmup}, T {T}: {hint}")
        first = int(np.flatnonzero(~np.isclose(got, expected, rtol=1e-9, atol=1e-12))[0])
        phase = "warm-up" if first < warmup else "cosine"
        raise Mismatch(f"with lr0 {lr0:g}, warmup {warmup}, T {T}: at epoch {first} ({phase}) expected "
                       f"{expected[first]:.6g}, got {got[first]:.6g}")

    def hand_values():
        # lr0 0.1, warmup 4, T 8: 0.025, 0.05, 0.075, 0.1, then the cosine over 4 epochs:
        # 0.1 * (1 + cos(pi * k / 4)) / 2 for k = 0..3 = 0.1, 0.0853553, 0.05, 0.0146447
        expected = [0.025, 0.05, 0.075, 0.1, 0.1, 0.08535533905932738, 0.05, 0.014644660940672627]
        got = [call(e, 0.1, 4, 8) for e in range(8)]
        expect_close(np.array(got), np.array(expected), what="the rates for lr0 0.1, warmup 4, T 8",
                     rtol=1e-9, atol=1e-12)

    def no_warmup_is_cosine():
        cosine = CosineAnnealingLR(SGD(lr=0.05), T_max=30)
        got = np.array([call(e, 0.05, 0, 30) for e in range(30)])
        expect_close(got, np.array([cosine.lr_at(e) for e in range(30)]),
                     what="warmup 0 against dlbook's CosineAnnealingLR(T_max=30)", rtol=1e-9, atol=1e-12)

    return run_checks("warmup_cosine", {
        "lr0 0.1, warmup 4, T 8 (worked out by hand)": hand_values,
        "lr0 0.3, warmup 5, T 30": lambda: schedule(0.3, 5, 30),
        "lr0 1, warmup 1, T 3": lambda: schedule(1.0, 1, 3),
        "warmup 0 is the chapter's cosine": no_warmup_is_cosine,
    })
