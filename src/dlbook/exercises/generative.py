"""Checkers for the exercises of the chapter "Generative models".

    check_discriminator_loss(fn)  fn(u_real, u_fake) -> (loss, d_real, d_fake): the discriminator's loss
                                  L_D = -mean log sigmoid(u_real) - mean log(1 - sigmoid(u_fake)) and its
                                  gradients with respect to the logits; u_real: (N,), u_fake: (M,)
    check_generator_loss(fn)      fn(u_fake) -> (loss, d_fake): the non-saturating generator loss
                                  L_G = -mean log sigmoid(u_fake) and its gradient; u_fake: (M,)

Both compare with `dlbook.gan` (`discriminator_loss`, `generator_loss`), on logits of both signs
and on logits like ±1000, where log(sigmoid(u)) written naively gives log 0. They name the usual
mistakes when they recognize one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook import functional as F
from dlbook.exercises import CheckResult, Mismatch, as_numbers, call_on_copies, expect_close, run_checks
from dlbook.gan import discriminator_loss, generator_loss

__all__ = ["check_discriminator_loss", "check_generator_loss"]

# Different batch sizes for real and fake samples, so that dividing by the wrong one shows.
_REAL = np.array([2.0, -0.5, 0.3])  # (3,)
_FAKE = np.array([-1.5, 0.8, -3.0, 0.1, 1.2])  # (5,)
_HUGE_REAL = np.array([1000.0, -1000.0])  # log sigmoid(-1000) = -1000, not log 0
_HUGE_FAKE = np.array([-1000.0, 1000.0, 0.0])
_STABLE = ("compute log sigmoid(u) as -np.logaddexp(0, -u) and log(1 - sigmoid(u)) as -np.logaddexp(0, u): "
           "sigmoid(±1000) rounds to 0 or 1 and its log is -inf")


def _split(out, names: tuple[str, ...]) -> list:
    """The reader's tuple of results, checked for its length."""
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        raise Mismatch(f"return a tuple ({', '.join(names)}); got {type(out).__name__}"
                       + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    return list(out)


def _scalar(value, what: str) -> float:
    array = as_numbers(value, what)
    if array.size != 1:
        raise Mismatch(f"{what} should be one number (a mean over the batch), got an array of shape {array.shape}")
    return float(array.reshape(()))


def _finite(value, what: str) -> None:
    array = as_numbers(value, what)
    if not np.all(np.isfinite(array)):
        raise Mismatch(f"{what} contains {'nan' if np.isnan(array).any() else 'inf'} for logits like ±1000: "
                       + _STABLE)


def _discriminator_reference(u_real: np.ndarray, u_fake: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    loss, d_real, d_fake = discriminator_loss(u_real[:, None], u_fake[:, None])
    return loss, d_real[:, 0], d_fake[:, 0]


def check_discriminator_loss(fn: Callable) -> CheckResult:
    """Check ``fn(u_real, u_fake) -> (loss, d_real, d_fake)`` against `dlbook.gan.discriminator_loss`."""
    names = ("loss", "d_real", "d_fake")

    def attempt(u_real: np.ndarray, u_fake: np.ndarray, *, huge: bool = False) -> None:
        loss, d_real, d_fake = _split(call_on_copies(fn, u_real, u_fake, names=("u_real", "u_fake")), names)
        if huge:
            for value, what in zip((loss, d_real, d_fake), names):
                _finite(value, what)
        loss = _scalar(loss, "loss")
        want_loss, want_real, want_fake = _discriminator_reference(u_real, u_fake)
        N, M = len(u_real), len(u_fake)
        s_real, s_fake = F.sigmoid(u_real), F.sigmoid(u_fake)
        got_real, got_fake = as_numbers(d_real, "d_real"), as_numbers(d_fake, "d_fake")
        if got_real.shape == u_real.shape and got_fake.shape == u_fake.shape:
            if np.allclose(got_real, s_real / N) or np.allclose(got_fake, (s_fake - 1) / M):
                raise Mismatch("the labels are swapped: real samples have target 1, so d_real = (sigmoid(u_real) "
                               "- 1) / N, and fakes target 0, so d_fake = sigmoid(u_fake) / M")
            if N * M > 1 and np.allclose(got_real, s_real - 1) and np.allclose(got_fake, s_fake):
                raise Mismatch("each loss is a mean: divide d_real by N (the real batch) and d_fake by M")
            if np.allclose(got_real, (s_real - 1) / (N + M)) or np.allclose(got_fake, s_fake / (N + M)):
                raise Mismatch("each half is a mean over its own batch: divide d_real by N = len(u_real) and "
                               "d_fake by M = len(u_fake), not by N + M")
            if np.allclose(got_real, (1 - s_real) / N) and np.allclose(got_fake, -s_fake / M):
                raise Mismatch("the gradients have the wrong sign: L_D is minus the log-likelihood, so "
                               "d_real = (sigmoid(u_real) - 1) / N")
        expect_close(loss, want_loss, what="loss", rtol=1e-6)
        expect_close(got_real, want_real, what="d_real", rtol=1e-6, atol=1e-12)
        expect_close(got_fake, want_fake, what="d_fake", rtol=1e-6, atol=1e-12)

    return run_checks("discriminator_loss", {
        "3 real and 5 fake logits": lambda: attempt(_REAL, _FAKE),
        "one of each": lambda: attempt(np.array([0.7]), np.array([-0.2])),
        "logits like ±1000 (finite, stable)": lambda: attempt(_HUGE_REAL, _HUGE_FAKE, huge=True),
    })


def check_generator_loss(fn: Callable) -> CheckResult:
    """Check ``fn(u_fake) -> (loss, d_fake)`` against the non-saturating `dlbook.gan.generator_loss`."""
    names = ("loss", "d_fake")

    def attempt(u: np.ndarray, *, huge: bool = False) -> None:
        loss, d_fake = _split(call_on_copies(fn, u, names=("u_fake",)), names)
        if huge:
            _finite(loss, "loss")
            _finite(d_fake, "d_fake")
        loss = _scalar(loss, "loss")
        want_loss, want_grad = generator_loss(u[:, None], "non-saturating")
        M, s = len(u), F.sigmoid(u)
        got = as_numbers(d_fake, "d_fake")
        if got.shape == u.shape:
            if np.allclose(got, -s / M) and not np.allclose(-s, s - 1):
                raise Mismatch("that is the minimax loss mean log(1 - sigmoid(u)), whose gradient -sigmoid(u) / M "
                               "vanishes where D rejects the fakes; the non-saturating loss is "
                               "-mean log sigmoid(u)")
            if np.allclose(got, (1 - s) / M):
                raise Mismatch("wrong sign: the generator MINIMIZES -mean log sigmoid(u), so d_fake = "
                               "(sigmoid(u) - 1) / M")
            if np.allclose(got, s - 1) and M > 1:
                raise Mismatch("the loss is a mean over the M fakes: divide the gradient by M")
        expect_close(loss, want_loss, what="loss", rtol=1e-6)
        expect_close(got, want_grad[:, 0], what="d_fake", rtol=1e-6, atol=1e-12)

    return run_checks("generator_loss", {
        "5 logits of both signs": lambda: attempt(_FAKE),
        "D sure the fakes are fake (u = -8, -10)": lambda: attempt(np.array([-8.0, -10.0])),
        "logits like ±1000 (finite, stable)": lambda: attempt(_HUGE_FAKE, huge=True),
    })
