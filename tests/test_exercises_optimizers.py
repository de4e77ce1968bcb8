"""The chapter 5 checkers: a right Momentum / Adam step passes, the usual wrong ones are named."""

import numpy as np
import pytest

from dlbook.exercises.optimizers import check_adam_step, check_momentum_step
from dlbook.optim import Adam, Momentum


# ---------------------------------------------------------------- Momentum --

def momentum_right(w, v, grad, lr, alpha):
    v_new = alpha * v - lr * grad
    return w + v_new, v_new


def test_a_right_momentum_step_passes():
    result = check_momentum_step(momentum_right)
    assert result.passed, str(result)
    assert result.total == 5


def test_dlbook_momentum_passes_through_a_wrapper():
    def via_dlbook(w, v, grad, lr, alpha):
        opt = Momentum(lr=lr, momentum=alpha)
        params = {"w": w.copy()}
        opt.v["w"] = v.copy()
        opt.step(params, {"w": grad})
        return params["w"], opt.v["w"]

    assert check_momentum_step(via_dlbook).passed


@pytest.mark.parametrize("wrong, hint", [
    (lambda w, v, grad, lr, alpha: (w - (alpha * v + lr * grad), alpha * v + lr * grad), "wrong way"),
    (lambda w, v, grad, lr, alpha: (w + v - lr * grad, v - lr * grad), "alpha is missing"),
    (lambda w, v, grad, lr, alpha: (w + v, alpha * v - lr * grad), "old velocity"),
    (lambda w, v, grad, lr, alpha: (w + lr * v - alpha * grad, lr * v - alpha * grad), "swapped"),
])
def test_usual_momentum_mistakes_are_named(wrong, hint):
    result = check_momentum_step(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_the_starting_code_is_reported_not_raised():
    result = check_momentum_step(lambda w, v, grad, lr, alpha: (w, v))
    text = str(result)
    assert text.startswith("NOT YET momentum_step")
    assert "v_new at index (1,): expected 0.1, got 0.0" in text
    assert "Hint" not in text  # no coincidence is mistaken for a known error


def test_changing_an_input_in_place_is_reported():
    def in_place(w, v, grad, lr, alpha):
        v *= alpha
        v -= lr * grad
        w += v
        return w, v

    result = check_momentum_step(in_place)
    assert not result.passed
    assert "changed its input" in str(result)


def test_an_exception_or_a_wrong_return_is_reported():
    def crashes(w, v, grad, lr, alpha):
        raise ZeroDivisionError("oops")

    text = str(check_momentum_step(crashes))
    assert "your code raised ZeroDivisionError: oops" in text
    assert "should return a tuple (w_new, v_new)" in str(check_momentum_step(lambda w, v, grad, lr, alpha: w))


# -------------------------------------------------------------------- Adam --

def adam_right(w, m, v, grad, t, lr, beta1, beta2, eps):
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad**2
    m_hat = m_new / (1 - beta1**t)
    v_hat = v_new / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


def test_a_right_adam_step_passes_and_eps_may_sit_inside_the_root():
    assert check_adam_step(adam_right).passed

    def eps_inside(w, m, v, grad, t, lr, beta1, beta2, eps):
        m_new = beta1 * m + (1 - beta1) * grad
        v_new = beta2 * v + (1 - beta2) * grad**2
        return w - lr * (m_new / (1 - beta1**t)) / np.sqrt(v_new / (1 - beta2**t) + eps), m_new, v_new

    assert check_adam_step(eps_inside).passed


def test_dlbook_adam_passes_through_a_wrapper():
    def via_dlbook(w, m, v, grad, t, lr, beta1, beta2, eps):
        opt = Adam(lr=lr, betas=(beta1, beta2), eps=eps)
        params = {"w": w.copy()}
        opt.m["w"], opt.v["w"], opt.t["w"] = m.copy(), v.copy(), t - 1
        opt.step(params, {"w": grad})
        return params["w"], opt.m["w"], opt.v["w"]

    assert check_adam_step(via_dlbook).passed


def no_bias_correction(w, m, v, grad, t, lr, beta1, beta2, eps):
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad**2
    return w - lr * m_new / (np.sqrt(v_new) + eps), m_new, v_new


def t_from_zero(w, m, v, grad, t, lr, beta1, beta2, eps):
    return adam_right(w, m, v, grad, t + 1, lr, beta1, beta2, eps)


def no_root(w, m, v, grad, t, lr, beta1, beta2, eps):
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad**2
    return w - lr * (m_new / (1 - beta1**t)) / (v_new / (1 - beta2**t) + eps), m_new, v_new


def swapped_average(w, m, v, grad, t, lr, beta1, beta2, eps):
    m_new = beta1 * grad + (1 - beta1) * m
    v_new = beta2 * v + (1 - beta2) * grad**2
    return w - lr * (m_new / (1 - beta1**t)) / (np.sqrt(v_new / (1 - beta2**t)) + eps), m_new, v_new


@pytest.mark.parametrize("wrong, hint", [
    (no_bias_correction, "no bias correction"),
    (t_from_zero, "wrong t"),
    (no_root, "square root is missing"),
    (swapped_average, "wrong way round"),
])
def test_usual_adam_mistakes_are_named(wrong, hint):
    result = check_adam_step(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_adam_starting_code_and_exceptions_are_reported():
    text = str(check_adam_step(lambda w, m, v, grad, t, lr, beta1, beta2, eps: (w, m, v)))
    assert text.startswith("NOT YET adam_step: 4 of 4 checks failed")
    assert "m_new at index (1,): expected -0.4, got 0.0" in text
    assert "Hint" not in text

    def crashes(w, m, v, grad, t, lr, beta1, beta2, eps):
        return w - lr * m / v  # 0 / 0 is a warning in NumPy; make it a real error
    with np.errstate(all="raise"):
        text = str(check_adam_step(crashes))
    assert "your code raised FloatingPointError" in text
