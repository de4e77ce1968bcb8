"""dlbook.gradcheck: the checker itself must be right, restore its input, refuse float32, and catch bugs."""

import numpy as np
import pytest

from dlbook.gradcheck import check_layer, gradient_check, numerical_gradient, relative_error
from dlbook.layers import BatchNorm, Linear, Tanh
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential


def test_numerical_gradient_of_known_functions():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(x**3), x), 3 * x**2, rtol=1e-9)
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    v = np.array([1.0, -1.0])
    # f(v) = v^T A v has gradient (A + A^T) v.
    np.testing.assert_allclose(numerical_gradient(lambda: v @ A @ v, v), (A + A.T) @ v, rtol=1e-9)


def test_numerical_gradient_restores_x_exactly():
    x = np.random.default_rng(0).standard_normal((3, 4)) * 1e3 + 0.1  # values whose +-h round
    before = x.copy()
    numerical_gradient(lambda: np.sum(np.sin(x)), x)
    np.testing.assert_array_equal(x, before)
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    calls = []

    def f():
        calls.append(x.copy())
        if len(calls) == 4:
            raise RuntimeError("boom")
        return float(np.sum(x))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    # The 4th call is the "x - h" step of element 1: f really saw x perturbed in place.
    assert calls[3][1] == 2.0 - 1e-5 and calls[3][0] == 1.0


def test_float32_is_refused():
    x32 = np.ones(3, dtype=np.float32)
    with pytest.raises(ValueError, match="float64.*float32"):
        numerical_gradient(lambda: float(np.sum(x32)), x32)
    with pytest.raises(ValueError, match="float64"):
        check_layer(Tanh(), x32)
    with pytest.raises(ValueError, match="parameter 'W'"):
        check_layer(Linear(3, 2, rng=np.random.default_rng(0), dtype=np.float32), np.ones((2, 3)))
    net = Sequential(Linear(3, 2, rng=np.random.default_rng(0), dtype=np.float32))
    with pytest.raises(ValueError, match="float64"):
        gradient_check(net, np.ones((2, 3)), np.array([0, 1]), SoftmaxCrossEntropy())


def test_relative_error():
    a = np.array([1.0, -2.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    # max |a - b| = 0.5; max(|a| + |b|) = 4 + 4.5
    assert relative_error(a, np.array([1.0, -2.0, 4.5])) == pytest.approx(0.5 / 8.5)
    assert relative_error(a, -a) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(a, a[:2])


def test_gradient_check_passes_on_a_correct_network():
    rng = np.random.default_rng(3)
    net = Sequential(Linear(4, 5, rng=rng), Tanh(), Linear(5, 3, rng=rng))
    x, y = rng.standard_normal((6, 4)), np.array([0, 2, 1, 1, 0, 2])
    params_before = {k: v.copy() for k, v in net.params().items()}
    errors = gradient_check(net, x, y, SoftmaxCrossEntropy())
    assert set(errors) == {"0.W", "0.b", "2.W", "2.b"}
    assert max(errors.values()) < 1e-7, errors
    for k, v in net.params().items():
        np.testing.assert_array_equal(v, params_before[k])


class BuggyLinear(Linear):
    """A Linear whose bias gradient forgets to sum over the batch: the kind of bug the checks exist for."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"] = dout[0].copy()
        return dx


def test_checks_catch_a_wrong_gradient():
    rng = np.random.default_rng(4)
    errors = check_layer(BuggyLinear(3, 2, rng=rng), rng.standard_normal((5, 3)))
    assert errors["W"] < 1e-7 and errors["x"] < 1e-7
    assert errors["b"] > 1e-2
    net = Sequential(Linear(3, 4, rng=rng), Tanh(), BuggyLinear(4, 2, rng=rng))
    x, y = rng.standard_normal((5, 3)), np.array([0, 1, 1, 0, 1])
    errors = gradient_check(net, x, y, SoftmaxCrossEntropy())
    assert errors["2.b"] > 1e-2 and errors["0.W"] < 1e-7


def test_check_layer_leaves_caller_state_alone():
    rng = np.random.default_rng(5)
    bn = BatchNorm(3)
    x = rng.standard_normal((4, 3))
    x_before = x.copy()
    errors = check_layer(bn, x, train=True)
    assert max(errors.values()) < 1e-7
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(bn.running_mean, 0.0)
    np.testing.assert_array_equal(bn.running_var, 1.0)


def test_check_layer_is_reproducible_with_rng():
    rng = np.random.default_rng(6)
    layer, x = Linear(3, 2, rng=rng), rng.standard_normal((4, 3))
    a = check_layer(layer, x, rng=np.random.default_rng(9))
    b = check_layer(layer, x, rng=np.random.default_rng(9))
    assert a == b


# ---------------------------------------------- issue 18: hostile and clumsy use --

@pytest.mark.parametrize("bad", [np.array([1.0 + 1e-3j, 2.0]), np.array(["1", "2"]), np.array([None, 1.0])],
                         ids=["complex", "text", "object"])
def test_relative_error_refuses_what_is_not_real_numbers(bad):
    # a complex gradient used to lose its imaginary part (with a ComplexWarning) and match
    with pytest.raises(ValueError, match="real numbers"):
        relative_error(bad, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="real numbers"):
        relative_error(np.array([1.0, 2.0]), bad)

