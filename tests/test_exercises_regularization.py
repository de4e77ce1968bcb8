"""The chapter 6 checkers: right dropout and L2 gradients pass, the usual wrong ones are named."""

import numpy as np
import pytest

from dlbook.exercises.regularization import check_dropout, check_l2_gradient
from dlbook.layers import Dropout

# ------------------------------------------------------------------ dropout --


def forward_right(x, p, rng):
    mask = (rng.random(x.shape) < 1 - p) / (1 - p)
    return x * mask, mask


def backward_right(dout, mask):
    return dout * mask


def test_a_right_dropout_passes():
    result = check_dropout(forward_right, backward_right)
    assert result.passed, str(result)
    assert result.total == 7


def test_dlbook_dropout_passes_through_a_wrapper():
    def forward(x, p, rng):
        layer = Dropout(p, rng=rng)
        return layer.forward(x, train=True), layer

    def backward(dout, layer):
        return layer.backward(dout)

    assert check_dropout(forward, backward).passed


def test_a_boolean_mask_kept_for_backward_passes_too():
    def forward(x, p, rng):
        keep = rng.random(x.shape) >= p  # drops where the number is below p: also right
        return np.where(keep, x / (1 - p), 0.0), (keep, p)

    def backward(dout, cache):
        keep, p = cache
        return np.where(keep, dout / (1 - p), 0.0)

    assert check_dropout(forward, backward).passed


@pytest.mark.parametrize("forward, hint", [
    (lambda x, p, rng: (x * (rng.random(x.shape) < 1 - p), None), "unchanged (out = x)"),
    (lambda x, p, rng: (x * (rng.random(x.shape) < 1 - p) * (1 - p), None), "multiplied by 1 - p"),
    (lambda x, p, rng: (x * (rng.random(x.shape) < 1 - p) / p, None), "divided by p"),
    (lambda x, p, rng: (x * (rng.random(x.shape) < p) / (1 - p), None), "drop with probability 1 - p"),
    (lambda x, p, rng: (x * (np.random.default_rng().random(x.shape) < 1 - p) / (1 - p), None), "from np.random"),
    (lambda x, p, rng: (x * (np.random.default_rng(0).random(x.shape) < 1 - p) / (1 - p), None), "same mask"),
])
def test_usual_forward_mistakes_are_named(forward, hint):
    result = check_dropout(forward, lambda dout, mask: dout)
    assert not result.passed
    assert hint in str(result), str(result)


def test_backward_without_scaling_or_without_mask_is_named():
    def forward(x, p, rng):
        keep = rng.random(x.shape) < 1 - p
        return x * keep / (1 - p), keep

    unscaled = check_dropout(forward, lambda dout, keep: dout * keep)
    assert "must be divided by it too" in str(unscaled), str(unscaled)
    no_mask = check_dropout(forward, lambda dout, keep: dout.copy())
    assert "should be 0 wherever" in str(no_mask), str(no_mask)


def test_in_place_changes_are_reported():
    def forward(x, p, rng):
        x *= (rng.random(x.shape) < 1 - p) / (1 - p)
        return x, None

    result = check_dropout(forward, backward_right)
    assert "changed its input x in place" in str(result)


def test_the_starting_code_is_reported_not_raised():
    result = check_dropout(lambda x, p, rng: (x, None), lambda dout, mask: dout)
    text = str(result)
    assert text.startswith("NOT YET dropout")
    assert "unchanged (out = x)" in text


def test_an_exception_in_the_readers_code_is_reported():
    def broken(x, p, rng):
        raise RuntimeError("oops")

    result = check_dropout(broken, backward_right)
    assert not result.passed
    assert "your code raised RuntimeError: oops" in str(result)
    wrong_type = check_dropout(lambda x, p, rng: x, backward_right)
    assert "should return a pair (out, mask)" in str(wrong_type)


# ---------------------------------------------------------------- L2 penalty --


def test_a_right_l2_gradient_passes():
    result = check_l2_gradient(lambda W, lam: lam * W)
    assert result.passed, str(result)
    assert result.total == 5


@pytest.mark.parametrize("wrong, hint", [
    (lambda W, lam: 2 * lam * W, "twice the right answer"),
    (lambda W, lam: -lam * W, "sign is flipped"),
    (lambda W, lam: lam / 2 * W, "half the right answer"),
    (lambda W, lam: np.full_like(W, lam), "proportional to W"),
    (lambda W, lam: lam / 2 * W ** 2, "not its derivative"),
])
def test_usual_l2_mistakes_are_named(wrong, hint):
    result = check_l2_gradient(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_l2_in_place_and_exceptions_are_reported():
    def in_place(W, lam):
        W *= lam
        return W

    assert "changed W in place" in str(check_l2_gradient(in_place))
    text = str(check_l2_gradient(lambda W, lam: "lam * W"))
    assert text.startswith("NOT YET l2_gradient")
    assert "should be numbers" in text
    assert "your code raised ZeroDivisionError" in str(check_l2_gradient(lambda W, lam: 1 / 0))


def test_the_l2_starting_code_is_reported_not_raised():
    result = check_l2_gradient(lambda W, lam: np.zeros_like(W))
    text = str(result)
    assert text.startswith("NOT YET l2_gradient")
    assert "expected" in text and "got 0.0" in text
