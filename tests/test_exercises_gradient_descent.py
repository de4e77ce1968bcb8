"""The checkers of the chapter "Gradient descent": right answers pass, typical mistakes are explained."""

import numpy as np
import pytest

from dlbook.exercises.gradient_descent import (
    check_fastest_lr,
    check_numerical_gradient,
    check_sgd_epoch,
    reference_sgd_epoch,
    sgd_problem,
)
from dlbook.gradcheck import numerical_gradient as dlbook_numerical_gradient
from reader_answers import add_and_subtract
from reader_answers import forward_differences as forward
from reader_answers import gradient_on_copies as central_on_copies
from reader_answers import numerical_gradient as central

pytestmark = pytest.mark.filterwarnings("error")


# ------------------------------------------------------------ numerical gradient --

def fixed_h(f, x, h=1e-4):
    return central(f, x)


def vector_only(f, x, h=1e-4):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        saved = x[i]
        x[i] = saved + h
        f_plus = f(x)
        x[i] = saved - h
        f_minus = f(x)
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def dlbook_version(f, x, h=1e-4):
    return dlbook_numerical_gradient(lambda: f(x), x, h)


@pytest.mark.parametrize("fn", [central, dlbook_version])
def test_correct_numerical_gradients_pass(fn):
    result = check_numerical_gradient(fn)
    assert result.passed, str(result)
    assert result.total == 5


@pytest.mark.parametrize("fn, message", [
    (forward, "forward differences"),
    (add_and_subtract, "x changed: x[4] was 2.3 before the call"),
    (fixed_h, "use the h it is given"),
    (vector_only, "perturb one element x[i, j] at a time"),
    (lambda f, x, h=1e-4: x, "sum(x**2), x a vector: the gradient at x = [3, -4, 0.5]"),
    (lambda f, x, h=1e-4: "no", "should be numbers"),
    (central_on_copies, "with a copy of x, not with x itself"),  # the exercise says: do not copy x
])
def test_typical_numerical_gradient_mistakes_are_explained(fn, message):
    result = check_numerical_gradient(fn)
    assert not result.passed
    assert message in str(result), str(result)


def test_an_exception_in_the_readers_gradient_is_reported_not_raised():
    def broken(f, x, h=1e-4):
        raise ZeroDivisionError("oops")

    result = check_numerical_gradient(broken)
    assert not result.passed and len(result.failures) == result.total
    assert "your code raised ZeroDivisionError: oops" in str(result)


# ------------------------------------------------------------------ SGD epoch --

def sgd_epoch(w, grad_fn, x, y, *, lr, batch_size, order):
    w = w.copy()
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        w = w - lr * grad_fn(w, x[batch], y[batch])
    return w


def drops_last_batch(w, grad_fn, x, y, *, lr, batch_size, order):
    for j in range(len(order) // batch_size):
        batch = order[j * batch_size:(j + 1) * batch_size]
        w = w - lr * grad_fn(w, x[batch], y[batch])
    return w


def ignores_order(w, grad_fn, x, y, *, lr, batch_size, order):
    return sgd_epoch(w, grad_fn, x, y, lr=lr, batch_size=batch_size, order=np.arange(len(x)))


def in_place(w, grad_fn, x, y, *, lr, batch_size, order):
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        w -= lr * grad_fn(w, x[batch], y[batch])
    return w


def uphill(w, grad_fn, x, y, *, lr, batch_size, order):
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        w = w + lr * grad_fn(w, x[batch], y[batch])
    return w


def stale_gradient(w, grad_fn, x, y, *, lr, batch_size, order):
    start_w = w
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        w = w - lr * grad_fn(start_w, x[batch], y[batch])
    return w


def test_correct_sgd_epoch_passes():
    result = check_sgd_epoch(sgd_epoch)
    assert result.passed, str(result)
    assert result.total == 3


@pytest.mark.parametrize("fn, message", [
    (drops_last_batch, "grad_fn was called 2 time(s), not 3 (10 samples, batches of 4, the last of 2)"),
    (ignores_order, "take them in the order given by `order`"),
    (in_place, "do not update it in place"),
    (uphill, "moved uphill"),
    (stale_gradient, "update 2: grad_fn got w = [0.5, 0.5]"),
    (lambda w, grad_fn, x, y, *, lr, batch_size, order: w, "grad_fn was called 0 time(s)"),
])
def test_typical_sgd_epoch_mistakes_are_explained(fn, message):
    result = check_sgd_epoch(fn)
    assert not result.passed
    assert message in str(result), str(result)


def test_an_exception_in_the_readers_epoch_is_reported_not_raised():
    def broken(w, grad_fn, x, y, *, lr, batch_size, order):
        return grad_fn(w, x, y, lr)  # one argument too many

    result = check_sgd_epoch(broken)
    assert not result.passed and "your code raised TypeError" in str(result)


def test_the_fixed_problem_is_fixed_and_one_full_batch_epoch_is_one_gradient_step():
    w0, x, y, grad_fn, order = sgd_problem()
    w0_again, x_again, _, _, order_again = sgd_problem()
    assert np.array_equal(x, x_again) and np.array_equal(order, order_again) and np.array_equal(w0, w0_again)
    assert sorted(order.tolist()) == list(range(10)) and order.tolist() != list(range(10))
    full = reference_sgd_epoch(w0, grad_fn, x, y, lr=0.1, batch_size=10, order=order)
    np.testing.assert_allclose(full, w0 - 0.1 * 2 * x.T @ (x @ w0 - y) / 10)
    # The gradient is that of the mean squared error (checked against central differences).
    np.testing.assert_allclose(grad_fn(w0, x, y), central(lambda w: np.mean((x @ w - y) ** 2), w0.copy()),
                               rtol=1e-7)


# ------------------------------------------------------------- fastest lr --

@pytest.mark.parametrize("fn, passed, message", [
    (lambda a, c: 1 / (a + c), True, "PASSED"),
    (lambda a, c: 2 / (a + c), False, "does not converge"),
    (lambda a, c: 1 / (2 * max(a, c)), False, "converges, but not fastest"),   # y in one step, x crawls
    (lambda a, c: 1 / max(a, c), False, "does not converge"),                  # the largest stable one
    (lambda a, c: 1 / (a + c) if a <= c else 1 / (2 * a), False, "a = 4, c = 1: η = 0.125 converges"),
    (lambda a, c: -1 / (a + c), False, "positive learning rate"),
    (lambda a, c: None, False, "should be numbers, got None"),
    (lambda a, c: 1 / (a + c) + 0j, False, "should be real numbers, got complex"),
])
def test_fastest_lr(fn, passed, message):
    result = check_fastest_lr(fn)
    assert result.passed is passed
    assert message in str(result), str(result)


def test_fastest_lr_is_fastest_by_descent():
    # The reference answer, run: 1 / (a + c) ends nearer the minimum than any η near it.
    from dlbook.exercises.gradient_descent import _descend
    for a, c in ((0.05, 1.0), (1.0, 4.0)):
        best = _descend(a, c, 1 / (a + c))
        assert all(_descend(a, c, k / (a + c)) > best for k in (0.9, 0.97, 1.03, 1.1))


def test_a_batch_whose_rows_come_in_another_order_is_still_right():
    def reversed_rows(w, grad_fn, x, y, *, lr, batch_size, order):
        for start in range(0, len(order), batch_size):
            batch = np.sort(order[start:start + batch_size])[::-1]  # the same samples, another order
            w = w - lr * grad_fn(w, x[batch], y[batch])
        return w

    def targets_of_other_rows(w, grad_fn, x, y, *, lr, batch_size, order):
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            w = w - lr * grad_fn(w, x[batch], y[batch][::-1])  # y no longer belongs to its row
        return w

    assert check_sgd_epoch(reversed_rows).passed
    result = check_sgd_epoch(targets_of_other_rows)
    assert not result.passed and "same order as their rows" in str(result)
