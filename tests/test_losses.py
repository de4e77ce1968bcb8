"""dlbook.losses: values by hand, gradients vs finite differences, dtype, target validation, huge logits."""

import re

import numpy as np
import pytest

from dlbook import functional as F
from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.losses import MSELoss, SigmoidBCE, SoftmaxCrossEntropy


pytestmark = pytest.mark.filterwarnings("error")  # a warning is a failure here


def make_case(name, dtype=np.float64):
    """(loss layer, scores, y) for each loss under test."""
    rng = np.random.default_rng(7)
    if name == "ce-indices":
        return SoftmaxCrossEntropy(), rng.standard_normal((5, 4)).astype(dtype), np.array([0, 3, 1, 1, 2])
    if name == "ce-one-hot":
        return SoftmaxCrossEntropy(), rng.standard_normal((5, 4)).astype(dtype), np.eye(4)[[2, 0, 3, 3, 1]]
    if name == "bce":
        y = np.array([[1.0], [0.0], [0.0], [1.0], [1.0], [0.0]])
        return SigmoidBCE(), (2 * rng.standard_normal((6, 1))).astype(dtype), y
    if name == "mse":
        return MSELoss(), rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((4, 3))
    raise AssertionError(name)


CASES = ["ce-indices", "ce-one-hot", "bce", "mse"]


@pytest.mark.parametrize("name", CASES)
def test_gradient_check_wrt_scores(name):
    loss_fn, scores, y = make_case(name)
    loss_fn.forward(scores, y)
    dscores = loss_fn.backward()
    numeric = numerical_gradient(lambda: loss_fn.forward(scores, y), scores)
    assert relative_error(dscores, numeric) < 1e-7


@pytest.mark.parametrize("name", CASES)
def test_backward_scales_with_dout(name):
    loss_fn, scores, y = make_case(name)
    loss_fn.forward(scores, y)
    np.testing.assert_allclose(loss_fn.backward(dout=2.5), 2.5 * loss_fn.backward())


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_arguments_untouched(name, dtype):
    loss_fn, scores, y = make_case(name, dtype)
    scores_before, y_before = scores.copy(), y.copy()
    loss = loss_fn.forward(scores, y)
    dscores = loss_fn.backward()
    assert type(loss) is float
    assert dscores.dtype == dtype and dscores.shape == scores.shape
    np.testing.assert_array_equal(scores, scores_before)
    np.testing.assert_array_equal(y, y_before)


def test_softmax_cross_entropy_by_hand():
    scores = np.array([[0.0, np.log(3.0)], [np.log(4.0), 0.0]])  # softmax rows (1/4, 3/4), (4/5, 1/5)
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(scores, np.array([1, 1]))
    assert loss == pytest.approx(-(np.log(3 / 4) + np.log(1 / 5)) / 2)
    np.testing.assert_allclose(loss_fn.backward(), [[0.25 / 2, -0.25 / 2], [0.8 / 2, -0.8 / 2]])
    assert loss_fn.forward(scores, np.array([[0.0, 1.0], [0.0, 1.0]])) == pytest.approx(loss)


def test_sigmoid_bce_and_mse_by_hand():
    bce = SigmoidBCE()
    assert bce.forward(np.array([0.0, 0.0]), np.array([1.0, 0.0])) == pytest.approx(np.log(2))
    np.testing.assert_allclose(bce.backward(), [-0.25, 0.25])
    mse = MSELoss()
    assert mse.forward(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]])) == pytest.approx((1 + 4) / 2)
    np.testing.assert_allclose(mse.backward(), [[1.0], [2.0]])


def test_softmax_cross_entropy_validates_targets():
    loss_fn = SoftmaxCrossEntropy()
    scores = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy\(\).*\(3,\).*\(2,\)"):
        loss_fn.forward(scores, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy\(\).*\[0, 3\]"):
        loss_fn.forward(scores, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy\(\)"):
        loss_fn.forward(scores, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 5\)"):
        loss_fn.forward(scores, np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        loss_fn.forward(np.zeros(4), np.array([0]))


def test_elementwise_losses_validate_shapes():
    with pytest.raises(ValueError, match=r"SigmoidBCE\(\).*\(4, 1\).*\(4,\)"):
        SigmoidBCE().forward(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match=r"MSELoss\(\)"):
        MSELoss().forward(np.zeros((4, 1)), np.zeros(4))


def test_huge_logits_finite_loss_and_gradient():
    scores = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]])
    ce = SoftmaxCrossEntropy()
    assert ce.forward(scores, np.array([1, 2])) == pytest.approx(2e4 / 2)
    np.testing.assert_allclose(ce.backward(), [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]])
    bce = SigmoidBCE()
    u = np.array([1e4, -1e4, 1e4, -1e4])
    assert bce.forward(u, np.array([1.0, 0.0, 0.0, 1.0])) == pytest.approx(2e4 / 4)
    np.testing.assert_allclose(bce.backward(), [0.0, 0.0, 0.25, -0.25])
    for dtype in (np.float32, np.float64):
        assert np.isfinite(ce.forward(scores.astype(dtype), np.array([1, 2])))
        assert np.all(np.isfinite(ce.backward()))
        assert np.isfinite(bce.forward(u.astype(dtype), np.array([1.0, 0.0, 0.0, 1.0])))



# ---------------------------------------------- issue 18: hostile and clumsy use --

EMPTY_CASES = {
    "SoftmaxCrossEntropy": (SoftmaxCrossEntropy(), np.zeros((0, 3)), np.zeros(0, dtype=np.int64)),
    "SoftmaxCrossEntropy-one-hot": (SoftmaxCrossEntropy(), np.zeros((0, 3)), np.zeros((0, 3))),
    "SigmoidBCE": (SigmoidBCE(), np.zeros((0, 1)), np.zeros((0, 1))),
    "MSELoss": (MSELoss(), np.zeros((0, 2)), np.zeros((0, 2))),
    "cross_entropy": (F.cross_entropy, np.zeros((0, 3)), np.zeros(0, dtype=np.int64)),
    "mse_loss": (F.mse_loss, np.zeros(0), np.zeros(0)),
    "l1_loss": (F.l1_loss, np.zeros(0), np.zeros(0)),
    "binary_cross_entropy": (F.binary_cross_entropy, np.zeros(0), np.zeros(0)),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, np.zeros(0), np.zeros(0)),
}


@pytest.mark.parametrize("name", EMPTY_CASES)
def test_an_empty_batch_is_refused_not_nan(name):
    loss, scores, y = EMPTY_CASES[name]
    with pytest.raises(ValueError, match="empty batch"):
        loss(scores, y)


@pytest.mark.parametrize("name", CASES)
def test_backward_before_forward_says_call_forward_first(name):
    loss_fn, _, _ = make_case(name)
    with pytest.raises(ValueError, match=re.escape(f"{loss_fn!r}: backward needs what forward caches; "
                                                   "call forward first")):
        loss_fn.backward()


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dout", [np.ones(3), [1.0, 2.0], "1"], ids=["array", "list", "text"])
def test_backward_refuses_a_dout_that_is_not_one_number(name, dout):
    loss_fn, scores, y = make_case(name)
    loss_fn.forward(scores, y)
    with pytest.raises(ValueError, match=re.escape(f"{loss_fn!r}.backward expected dout to be one number")):
        loss_fn.backward(dout)


@pytest.mark.parametrize("name", CASES)
def test_integer_scores_are_computed_in_float64(name):
    loss_fn, scores, y = make_case(name)
    scores_int = np.round(3 * scores).astype(np.int64)
    loss_int = loss_fn.forward(scores_int, y)
    grad_int = loss_fn.backward()
    loss_float = loss_fn.forward(scores_int.astype(np.float64), y)
    grad_float = loss_fn.backward()
    assert type(loss_int) is float and loss_int == loss_float
    assert grad_int.dtype == np.float64
    np.testing.assert_array_equal(grad_int, grad_float)


def test_mse_with_integer_scores_by_hand():
    loss_fn = MSELoss()
    assert loss_fn.forward(np.array([1, 3]), np.array([2, 1])) == 2.5  # (1 + 4) / 2
    np.testing.assert_array_equal(loss_fn.backward(), [-1.0, 2.0])  # 2 (y_hat - y) / 2
    assert loss_fn.forward(np.array([0, 2]), np.array([0.5, 0.0])) == pytest.approx(2.125)
    np.testing.assert_allclose(loss_fn.backward(), [-0.5, 2.0])


@pytest.mark.parametrize("name", CASES)
def test_complex_scores_or_targets_are_refused(name):
    loss_fn, scores, y = make_case(name)
    with pytest.raises(ValueError, match="real numbers"):
        loss_fn.forward(scores + 1j, y)
    if y.ndim == scores.ndim:
        with pytest.raises(ValueError, match="real numbers"):
            loss_fn.forward(scores, y + 1j)


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), F.cross_entropy], ids=["layer", "function"])
@pytest.mark.parametrize("y", [-np.eye(3), 2 * np.eye(3), np.full((3, 3), 0.5), np.full((3, 3), np.nan),
                               np.array([[1.5, -0.5, 0.0]] * 3)],
                         ids=["negative", "sum 2", "sum 1.5", "nan", "sum 1 but negative"])
def test_cross_entropy_refuses_targets_that_are_not_probability_rows(loss, y):
    with pytest.raises(ValueError, match="probabilities"):
        loss(np.zeros((3, 3)), y)


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), F.cross_entropy], ids=["layer", "function"])
def test_cross_entropy_accepts_one_hot_and_smoothed_rows(loss):
    scores = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    smoothed = np.full((3, 4), 0.1 / 3, dtype=np.float32)
    smoothed[np.arange(3), [0, 2, 3]] = 0.9
    for y in (np.eye(4)[[0, 2, 3]], np.eye(4, dtype=np.int64)[[0, 2, 3]], smoothed):
        assert np.isfinite(loss(scores, y))


@pytest.mark.parametrize("loss", [SigmoidBCE(), F.binary_cross_entropy_with_logits, F.binary_cross_entropy],
                         ids=["layer", "with_logits", "probabilities"])
@pytest.mark.parametrize("y", [[2.0, 0.0], [-1.0, 1.0], [np.nan, 1.0]], ids=["2", "-1", "nan"])
def test_binary_cross_entropy_refuses_targets_outside_0_1(loss, y):
    with pytest.raises(ValueError, match=r"targets in \[0, 1\]"):
        loss(np.array([0.3, 0.6]), np.array(y))
