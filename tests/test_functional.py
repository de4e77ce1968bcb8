"""dlbook.functional: values by hand, derivatives vs finite differences, numerics at +-1e4, properties."""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlbook import functional as F
from dlbook.gradcheck import numerical_gradient, relative_error

ACTIVATIONS = [F.step, F.sigmoid, F.tanh, F.relu, F.leaky_relu]
DERIVATIVES = [F.sigmoid_grad, F.tanh_grad, F.relu_grad, F.leaky_relu_grad]
HUGE = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]])

finite_floats = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
score_matrices = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=finite_floats)


pytestmark = pytest.mark.filterwarnings("error")  # a warning is a failure here


def test_activation_values_by_hand():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(F.step(x), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(F.relu(x), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(F.leaky_relu(x), [-0.02, 0.0, 3.0])
    np.testing.assert_allclose(F.leaky_relu(x, negative_slope=0.2), [-0.4, 0.0, 3.0])
    np.testing.assert_allclose(F.sigmoid(x), [1 / (1 + np.exp(2.0)), 0.5, 1 / (1 + np.exp(-3.0))])
    np.testing.assert_allclose(F.tanh(x), np.tanh(x))
    np.testing.assert_array_equal(F.relu_grad(x), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(F.leaky_relu_grad(x, 0.2), [0.2, 0.2, 1.0])
    assert F.sigmoid_grad(np.array([0.0]))[0] == 0.25
    assert F.tanh_grad(np.array([0.0]))[0] == 1.0


@pytest.mark.parametrize("fn, grad", list(zip([F.sigmoid, F.tanh, F.relu, F.leaky_relu], DERIVATIVES)))
def test_derivatives_match_finite_differences(fn, grad):
    x = np.array([-2.5, -0.7, 0.3, 1.9])  # away from the kink at 0
    numeric = numerical_gradient(lambda: fn(x).sum(), x)
    assert relative_error(grad(x), numeric) < 1e-7


@pytest.mark.parametrize("fn", ACTIVATIONS + DERIVATIVES + [F.softmax, F.log_softmax])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved_and_input_untouched(fn, dtype):
    x = np.array([[-1.5, 0.0, 2.0]], dtype=dtype)
    before = x.copy()
    assert fn(x).dtype == dtype
    np.testing.assert_array_equal(x, before)


def test_integer_input_computed_in_float64():
    assert F.sigmoid(np.array([0, 1])).dtype == np.float64
    assert F.softmax(np.array([[1, 2]])).dtype == np.float64


def test_softmax_and_log_softmax_by_hand():
    x = np.array([[1.0, 2.0, 3.0]])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(F.softmax(x), [e / e.sum()])
    np.testing.assert_allclose(F.log_softmax(x), [np.log(e / e.sum())])
    np.testing.assert_allclose(F.softmax(x.T, axis=0), (e / e.sum())[:, None])


def test_huge_inputs_are_finite_and_right():
    s = F.sigmoid(HUGE)
    assert np.all(np.isfinite(s))
    np.testing.assert_array_equal(s[0], [0.0, 0.5, 1.0])
    p = F.softmax(HUGE)
    np.testing.assert_allclose(p, [[0, 0, 1], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-12)
    log_p = F.log_softmax(HUGE)
    assert np.all(np.isfinite(log_p))
    np.testing.assert_allclose(log_p[0], [-2e4, -1e4, 0.0])
    for dtype in (np.float32, np.float64):
        assert np.all(np.isfinite(F.sigmoid(HUGE.astype(dtype))))
        assert np.all(np.isfinite(F.log_softmax(HUGE.astype(dtype))))


def test_regression_losses_by_hand():
    y_hat, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 4.0]])
    assert F.mse_loss(y_hat, y) == pytest.approx((0 + 4 + 9 + 0) / 4)
    assert F.l1_loss(y_hat, y) == pytest.approx((0 + 2 + 3 + 0) / 4)
    assert F.mse_loss(y_hat.astype(np.float32), y).dtype == np.float32
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2,\)"):
        F.mse_loss(y_hat, y[0])


def test_cross_entropy_by_hand_indices_and_one_hot():
    scores = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    y = np.array([0, 2])
    expected = -(np.log(F.softmax(scores)[0, 0]) + np.log(F.softmax(scores)[1, 2])) / 2
    assert F.cross_entropy(scores, y) == pytest.approx(expected, rel=1e-12)
    assert F.cross_entropy(scores, np.eye(3)[y]) == pytest.approx(expected, rel=1e-12)
    assert F.cross_entropy(scores.astype(np.float32), y).dtype == np.float32


def test_cross_entropy_validates_targets():
    scores = np.zeros((2, 3))
    with pytest.raises(ValueError, match="cross_entropy"):
        F.cross_entropy(scores, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        F.cross_entropy(scores, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="integers"):
        F.cross_entropy(scores, np.array([0.0, 1.0]))


def test_cross_entropy_huge_logits():
    y = np.array([2, 0, 1])
    loss = F.cross_entropy(HUGE, y)
    # Row 0: the right class wins outright (0); row 1: a two-way tie (log 2); row 2: a three-way tie (log 3).
    assert loss == pytest.approx((0 + np.log(2) + np.log(3)) / 3)
    assert np.isfinite(F.cross_entropy(HUGE, np.array([0, 2, 0])))
    expected = (2e4 + (2e4 + np.log(2)) + np.log(3)) / 3
    assert F.cross_entropy(HUGE, np.array([0, 2, 0])) == pytest.approx(expected)


def test_binary_cross_entropy_from_probabilities():
    p, y = np.array([0.9, 0.2]), np.array([1.0, 0.0])
    assert F.binary_cross_entropy(p, y) == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2)
    for dtype in (np.float32, np.float64):
        p = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
        edge = F.binary_cross_entropy(p, np.array([1.0, 0.0, 0.0, 1.0]))
        assert np.isfinite(edge) and edge > 5 and edge.dtype == dtype


def test_bce_with_logits_matches_probability_form_and_is_stable():
    u, y = np.array([-3.0, -0.5, 0.0, 2.0]), np.array([0.0, 1.0, 1.0, 0.0])
    from_probabilities = F.binary_cross_entropy(F.sigmoid(u), y)
    assert F.binary_cross_entropy_with_logits(u, y) == pytest.approx(from_probabilities, rel=1e-12)
    u_huge, y_huge = np.array([1e4, -1e4, 1e4, -1e4]), np.array([1.0, 0.0, 0.0, 1.0])
    huge = F.binary_cross_entropy_with_logits(u_huge, y_huge)
    assert huge == pytest.approx((0 + 0 + 1e4 + 1e4) / 4)
    assert F.binary_cross_entropy_with_logits(u.astype(np.float32), y).dtype == np.float32


@settings(max_examples=60, deadline=None)
@given(score_matrices)
def test_softmax_rows_are_distributions(x):
    p = F.softmax(x, axis=1)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(score_matrices)
def test_log_softmax_is_log_of_softmax(x):
    log_p = F.log_softmax(x, axis=1)
    assert np.all(np.isfinite(log_p)) and np.all(log_p <= 0)
    p = F.softmax(x, axis=1)
    # Where softmax underflows its log is -inf; log_softmax stays finite there.
    visible = p > 1e-300
    np.testing.assert_allclose(log_p[visible], np.log(p[visible]), rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=finite_floats))
def test_sigmoid_is_symmetric(x):
    np.testing.assert_allclose(F.sigmoid(-x), 1 - F.sigmoid(x), atol=1e-15)


@pytest.mark.parametrize("fn", [F.sigmoid, F.tanh, F.relu, F.leaky_relu, F.softmax, F.log_softmax, F.step])
@pytest.mark.parametrize("x", [np.array([1 + 1j, 2]), np.array(["1", "2"]), np.array([None, 1])],
                         ids=["complex", "text", "object"])
def test_input_that_is_not_real_numbers_is_refused(fn, x):
    # complex numbers used to lose their imaginary part with a ComplexWarning
    with pytest.raises(ValueError, match="expected real numbers"):
        fn(x)


def test_as_float_keeps_float_arrays_and_makes_integers_float64():
    from dlbook.validation import as_float

    x32 = np.ones(3, dtype=np.float32)
    assert as_float(x32) is x32
    assert as_float(np.array([1, 2])).dtype == np.float64
    assert as_float(np.array([True])).dtype == np.float64
