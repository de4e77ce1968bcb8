"""dlbook.init: fans, standard deviations, dtype, and reproducibility through rng."""

import math

import numpy as np
import pytest

from dlbook import init


def test_fan_in_out_of_matrices_and_conv_weights():
    assert init.fan_in_out((784, 100)) == (784, 100)
    assert init.fan_in_out((16, 3, 5, 5)) == (3 * 25, 16 * 25)
    for bad in [(10,), (2, 3, 4), (0, 5)]:
        with pytest.raises(ValueError, match="Invalid shape"):
            init.fan_in_out(bad)


@pytest.mark.parametrize(
    "fn, shape, std",
    [
        (lambda s, r, dtype: init.normal(s, r, std=0.05, dtype=dtype), (400, 300), 0.05),
        (init.xavier, (400, 300), math.sqrt(2 / 700)),
        (init.he, (400, 300), math.sqrt(2 / 400)),
        (init.he, (32, 8, 3, 3), math.sqrt(2 / 72)),
        (init.xavier, (32, 8, 3, 3), math.sqrt(2 / (72 + 288))),
    ],
)
def test_standard_deviation(fn, shape, std):
    W = fn(shape, np.random.default_rng(0), dtype=np.float64)
    assert W.shape == shape
    assert abs(W.mean()) < 4 * std / math.sqrt(W.size)
    assert W.std() == pytest.approx(std, rel=0.02)


def test_default_std_is_001():
    W = init.normal((500, 400), np.random.default_rng(1))
    assert W.std() == pytest.approx(0.01, rel=0.02)


@pytest.mark.parametrize("fn", [init.normal, init.xavier, init.he])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_reproducibility(fn, dtype):
    a = fn((5, 4), np.random.default_rng(3), dtype=dtype)
    b = fn((5, 4), np.random.default_rng(3), dtype=dtype)
    assert a.dtype == dtype
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fn((5, 4), np.random.default_rng(4), dtype=dtype))


def test_invalid_std():
    with pytest.raises(ValueError, match="Invalid std: -1"):
        init.normal((2, 2), np.random.default_rng(0), std=-1.0)


# ---------------------------------------------- issue 18: hostile and clumsy use --

@pytest.mark.parametrize("dtype", [np.int64, np.uint8, bool, np.complex128])
def test_initializers_refuse_a_dtype_that_is_not_floating(dtype):
    rng = np.random.default_rng(0)
    for make in (lambda: init.normal((3, 4), rng, dtype=dtype), lambda: init.he((3, 4), rng, dtype=dtype),
                 lambda: init.initial_weights(0.1, (3, 4), rng, dtype)):
        with pytest.raises(ValueError, match="floating-point dtype"):
            make()


@pytest.mark.parametrize("std", [np.inf, np.nan, -1.0, "0.1"])
def test_normal_refuses_a_std_that_is_not_a_finite_width(std):
    with pytest.raises(ValueError, match="Invalid std"):
        init.normal((3, 4), np.random.default_rng(0), std=std)
