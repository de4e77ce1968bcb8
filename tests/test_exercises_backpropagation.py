"""The checkers of the backpropagation chapter: right answers pass, the usual mistakes fail helpfully."""

import numpy as np

from dlbook import functional as F
from dlbook.exercises.backpropagation import (
    buggy_two_layer_gradients,
    check_linear_backward,
    check_sigmoid_backward,
    check_two_layer_gradients,
    two_layer_loss,
    two_layer_problem,
)
from dlbook.gradcheck import numerical_gradient, relative_error


# ------------------------------------------------------------ Linear --

def linear_backward(x, W, b, dout):
    D, M = W.shape
    x2, d2 = x.reshape(-1, D), dout.reshape(-1, M)
    return dout @ W.T, x2.T @ d2, d2.sum(axis=0)


def test_linear_correct_passes():
    result = check_linear_backward(linear_backward)
    assert result.passed, str(result)


def test_linear_for_2d_only_fails_on_sequences_with_a_hint():
    def two_d_only(x, W, b, dout):
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)

    result = check_linear_backward(two_d_only)
    assert not result.passed
    text = " ".join(str(result).split())
    assert "a batch x: (4, 5)" not in text  # the 2-D case is right
    assert "sequences" in text and "reshape(-1, D)" in text


def test_linear_mean_instead_of_sum_is_named():
    def mean_db(x, W, b, dout):
        dx, dW, db = linear_backward(x, W, b, dout)
        return dx, dW, dout.reshape(-1, W.shape[1]).mean(axis=0)

    text = str(check_linear_backward(mean_db))
    assert "db has relative error" in text and "mean over the rows" in text


def test_linear_transposed_dw_and_wrong_return_are_reported():
    def transposed(x, W, b, dout):
        dx, dW, db = linear_backward(x, W, b, dout)
        return dx, dW.T, db

    assert "(it is transposed)" in str(check_linear_backward(transposed))
    assert "tuple (dx, dW, db)" in str(check_linear_backward(lambda x, W, b, dout: dout @ W.T))


def test_linear_exception_and_in_place_change_are_reported():
    def crashes(x, W, b, dout):
        raise KeyError("oops")

    text = str(check_linear_backward(crashes))
    assert "your code raised KeyError" in text

    def mutates(x, W, b, dout):
        dout *= 2
        return linear_backward(x, W, b, dout / 2)

    assert "changed one of its input arrays" in " ".join(str(check_linear_backward(mutates)).split())


# ------------------------------------------------------------ Sigmoid --

def test_sigmoid_correct_passes():
    def sigmoid_backward(x, dout):
        y = F.sigmoid(x)
        return dout * y * (1 - y)

    result = check_sigmoid_backward(sigmoid_backward)
    assert result.passed, str(result)


def test_sigmoid_node_by_node_passes():
    def sigmoid_backward(x, dout):
        a = -x
        e = np.exp(a)
        c = 1 + e
        dc = dout * (-1 / c**2)
        de = dc
        da = de * e
        return -da

    assert check_sigmoid_backward(sigmoid_backward).passed


def test_sigmoid_usual_mistakes():
    def no_chain(x, dout):
        y = F.sigmoid(x)
        return y * (1 - y)

    text = str(check_sigmoid_backward(no_chain))
    assert "multiply it by dout" in text

    def uses_x(x, dout):
        return dout * x * (1 - x)

    text = str(check_sigmoid_backward(uses_x))
    assert "use y = sigmoid(x)" in text and "0.25" in text

    text = str(check_sigmoid_backward(lambda x, dout: x))
    assert "NOT YET" in text and "relative error" in text


def test_sigmoid_exception_reported():
    result = check_sigmoid_backward(lambda x, dout: 1 / 0)
    assert not result.passed and "ZeroDivisionError" in str(result)


# ------------------------------------------------------------ find the bug --

def fixed_gradients(params, x, y):
    grads = buggy_two_layer_gradients(params, x, y)
    z1 = x @ params["W1"] + params["b1"]
    N = x.shape[0]
    dscores = F.softmax(np.maximum(z1, 0) @ params["W2"] + params["b2"], axis=1)
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads["b1"] = ((dscores @ params["W2"].T) * (z1 > 0)).sum(axis=0)
    return grads


def test_the_bug_is_in_b1_only():
    params, x, y = two_layer_problem()
    grads = buggy_two_layer_gradients(params, x, y)
    errors = {k: relative_error(grads[k], numerical_gradient(lambda: two_layer_loss(params, x, y), params[k]))
              for k in params}
    assert errors["b1"] > 1e-2
    assert all(errors[k] < 1e-7 for k in ("W1", "W2", "b2")), errors


def test_two_layer_checker():
    assert check_two_layer_gradients(fixed_gradients).passed
    result = check_two_layer_gradients(buggy_two_layer_gradients)
    text = str(result)
    assert not result.passed and len(result.failures) == 1 and "db1 has relative error" in text
    assert "keys" in str(check_two_layer_gradients(lambda p, x, y: [1, 2]))
    assert "raised" in str(check_two_layer_gradients(lambda p, x, y: p["nope"]))
