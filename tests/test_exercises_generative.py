"""The checkers of the generative-models chapter accept the right answer and reject the likely wrong ones."""

import numpy as np
import pytest

from dlbook.exercises.generative import check_discriminator_loss, check_generator_loss

pytestmark = pytest.mark.filterwarnings("error")


def log_sigmoid(u):
    return -np.logaddexp(0, -u)


def d_loss(u_real, u_fake, *, real_target=1.0, fake_target=0.0, scale=None, naive=False, sign=1.0):
    N, M = len(u_real), len(u_fake)
    if naive:
        s = 1 / (1 + np.exp(-u_real))
        loss = -np.mean(np.log(s)) - np.mean(np.log(1 - 1 / (1 + np.exp(-u_fake))))
    else:
        loss = (-np.mean(real_target * log_sigmoid(u_real) + (1 - real_target) * log_sigmoid(-u_real))
                - np.mean(fake_target * log_sigmoid(u_fake) + (1 - fake_target) * log_sigmoid(-u_fake)))
    sig = lambda u: np.exp(log_sigmoid(u))  # noqa: E731
    n_real, n_fake = (N, M) if scale is None else scale
    d_real = sign * (sig(u_real) - real_target) / n_real
    d_fake = sign * (sig(u_fake) - fake_target) / n_fake
    return loss, d_real, d_fake


def g_loss(u, *, kind="non-saturating", scale=None, naive=False, sign=1.0):
    M = len(u) if scale is None else scale
    sig = np.exp(log_sigmoid(u))
    if kind == "minimax":
        return np.mean(log_sigmoid(-u)), -sig / M
    loss = -np.mean(np.log(1 / (1 + np.exp(-u)))) if naive else -np.mean(log_sigmoid(u))
    return sign * loss, sign * (sig - 1) / M


def report(result):
    return " ".join(str(result).split())


def test_the_right_answers_pass():
    assert check_discriminator_loss(d_loss).passed, str(check_discriminator_loss(d_loss))
    assert check_generator_loss(g_loss).passed, str(check_generator_loss(g_loss))


def in_place(u_real, u_fake):
    u_real *= 1.0
    u_real += 0.0
    u_fake[...] = 0.0
    return d_loss(u_real, u_fake)


@pytest.mark.parametrize("fn, words", [
    (lambda r, f: d_loss(r, f, real_target=0.0, fake_target=1.0), "labels are swapped"),
    (lambda r, f: d_loss(r, f, scale=(1, 1)), "divide d_real by N"),
    (lambda r, f: d_loss(r, f, scale=(len(r) + len(f),) * 2), "not by N + M"),
    (lambda r, f: d_loss(r, f, sign=-1.0), "wrong sign"),
    (lambda r, f: d_loss(r, f, naive=True), "logaddexp"),
    (in_place, "in place"),
    (lambda r, f: d_loss(r, f)[:2], "return a tuple"),
    (lambda r, f: (d_loss(r, f)[0] + 1j, *d_loss(r, f)[1:]), "complex"),
])
def test_discriminator_loss_wrong_answers_are_named(fn, words):
    result = check_discriminator_loss(fn)
    assert not result.passed and words in report(result), report(result)


@pytest.mark.parametrize("fn, words", [
    (lambda u: g_loss(u, kind="minimax"), "minimax"),
    (lambda u: g_loss(u, sign=-1.0), "wrong sign"),
    (lambda u: g_loss(u, scale=1), "divide the gradient by M"),
    (lambda u: g_loss(u, naive=True), "logaddexp"),
    (lambda u: (np.full(len(u), g_loss(u)[0]), g_loss(u)[1]), "one number"),
    (lambda u: (g_loss(u)[0], g_loss(u)[1] + 0j), "complex"),
])
def test_generator_loss_wrong_answers_are_named(fn, words):
    result = check_generator_loss(fn)
    assert not result.passed and words in report(result), report(result)
