"""dlbook.layers: gradient checks, dtype, no in-place changes, shape errors, BatchNorm, Dropout."""

import re

import numpy as np
import pytest

from dlbook import init
from dlbook.gradcheck import check_layer, numerical_gradient, relative_error
from dlbook.layers import BatchNorm, Dropout, Flatten, LeakyReLU, Linear, ReLU, Sigmoid, Tanh

TOL = 1e-7


pytestmark = pytest.mark.filterwarnings("error")  # a warning is a failure here


class FixedMaskDropout(Dropout):
    """Dropout whose rng is reseeded before every forward, so every call draws the same mask."""

    def forward(self, x, *, train=False):
        self.rng = np.random.default_rng(123)
        return super().forward(x, train=train)


def away_from_zero(rng, shape, dtype=np.float64):
    """Values with |x| in [0.1, 1.1]: finite differences never cross ReLU's kink."""
    magnitude = rng.uniform(0.1, 1.1, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return (magnitude * sign).astype(dtype)


def make_case(name, dtype=np.float64):
    """(layer, x, train) for each layer under test."""
    rng = np.random.default_rng(0)
    if name == "Linear":
        return Linear(4, 3, rng=rng, dtype=dtype), rng.standard_normal((5, 4)).astype(dtype), False
    if name == "ReLU":
        return ReLU(), away_from_zero(rng, (4, 6), dtype), False
    if name == "LeakyReLU":
        return LeakyReLU(negative_slope=0.1), away_from_zero(rng, (4, 6), dtype), False
    if name == "Sigmoid":
        return Sigmoid(), rng.standard_normal((4, 6)).astype(dtype), False
    if name == "Tanh":
        return Tanh(), rng.standard_normal((4, 6)).astype(dtype), False
    if name == "Dropout":
        return FixedMaskDropout(p=0.3, rng=rng), rng.standard_normal((6, 5)).astype(dtype), True
    if name == "BatchNorm-2d":
        layer = BatchNorm(3, dtype=dtype)
        layer.params["gamma"][...] = [0.5, 1.5, -2.0]
        layer.params["beta"][...] = [0.1, -0.3, 0.2]
        return layer, (3 * rng.standard_normal((6, 3)) + 1).astype(dtype), True
    if name == "BatchNorm-4d":
        layer = BatchNorm(2, dtype=dtype)
        layer.params["gamma"][...] = [0.7, -1.2]
        return layer, rng.standard_normal((3, 2, 2, 3)).astype(dtype), True
    if name == "BatchNorm-eval":
        layer = BatchNorm(3, dtype=dtype)
        layer.buffers["running_mean"][...] = [0.5, -1.0, 2.0]
        layer.buffers["running_var"][...] = [0.25, 4.0, 1.5]
        return layer, rng.standard_normal((4, 3)).astype(dtype), False
    if name == "Flatten":
        return Flatten(), rng.standard_normal((2, 3, 2, 2)).astype(dtype), False
    raise AssertionError(name)


CASES = ["Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Dropout", "BatchNorm-2d", "BatchNorm-4d",
         "BatchNorm-eval", "Flatten"]


@pytest.mark.parametrize("name", CASES)
def test_gradient_check(name):
    layer, x, train = make_case(name)
    errors = check_layer(layer, x, train=train)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved_and_arguments_untouched(name, dtype):
    layer, x, train = make_case(name, dtype)
    x_before = x.copy()
    out = layer.forward(x, train=train)
    dout = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    assert out.dtype == dtype and dx.dtype == dtype
    assert dx.shape == x.shape
    for key, p in layer.params.items():
        assert layer.grads[key].dtype == p.dtype == dtype
        assert layer.grads[key].shape == p.shape
    for b in layer.buffers.values():
        assert b.dtype == dtype
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)


def test_relu_backward_leaves_dout_alone():
    relu = ReLU()
    relu.forward(np.array([[-1.0, 2.0], [3.0, -4.0]]))
    dout = np.ones((2, 2))
    np.testing.assert_array_equal(relu.backward(dout), [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(dout, np.ones((2, 2)))


def test_one_output_feeding_two_paths():
    """h = Linear(x); out = Linear_a(h) + Linear_b(tanh(h)): dL/dh is the SUM of both paths."""
    rng = np.random.default_rng(0)
    lin, lin_a, lin_b, act = Linear(3, 4, rng=rng), Linear(4, 2, rng=rng), Linear(4, 2, rng=rng), Tanh()
    x = rng.standard_normal((5, 3))
    R = rng.standard_normal((5, 2))

    def forward():
        h = lin.forward(x)
        return lin_a.forward(h) + lin_b.forward(act.forward(h))

    def loss():
        return float(np.sum(forward() * R))

    forward()
    dh = lin_a.backward(R) + act.backward(lin_b.backward(R))
    dx = lin.backward(dh)
    layers = {"lin": lin, "lin_a": lin_a, "lin_b": lin_b}
    analytic = {f"{n}.{k}": g.copy() for n, layer in layers.items() for k, g in layer.grads.items()}
    assert relative_error(dx, numerical_gradient(loss, x)) < TOL
    for n, layer in layers.items():
        for k, p in layer.params.items():
            assert relative_error(analytic[f"{n}.{k}"], numerical_gradient(loss, p)) < TOL, (n, k)
    # Leaving out either path gives a visibly wrong gradient: the test can tell.
    lin.backward(lin_a.backward(R))
    assert relative_error(lin.grads["W"], analytic["lin.W"]) > 1e-3


def test_linear_forward_by_hand_and_repr():
    layer = Linear(2, 3, rng=np.random.default_rng(0))
    assert repr(layer) == "Linear(2 -> 3)"
    layer.params["W"][...] = [[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]]
    layer.params["b"][...] = [0.5, 0.0, -0.5]
    out = layer.forward(np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(out, [[5.5, 2.0, -1.5]])
    layer.backward(np.array([[1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(layer.grads["W"], [[1.0, 0.0, 2.0], [2.0, 0.0, 4.0]])
    np.testing.assert_array_equal(layer.grads["b"], [1.0, 0.0, 2.0])


def test_linear_weight_init_options():
    W_he = Linear(300, 200, rng=np.random.default_rng(0)).params["W"]
    assert W_he.std() == pytest.approx(np.sqrt(2 / 300), rel=0.03)
    W_std = Linear(300, 200, rng=np.random.default_rng(0), weight_init=0.01).params["W"]
    assert W_std.std() == pytest.approx(0.01, rel=0.03)
    W_xavier = Linear(300, 200, rng=np.random.default_rng(5), weight_init=init.xavier).params["W"]
    np.testing.assert_array_equal(W_xavier, init.xavier((300, 200), np.random.default_rng(5)))
    layer32 = Linear(3, 2, rng=np.random.default_rng(0), dtype=np.float32)
    assert layer32.params["W"].dtype == layer32.params["b"].dtype == np.float32
    np.testing.assert_array_equal(layer32.params["b"], 0)
    with pytest.raises(ValueError, match="weight_init"):
        Linear(3, 2, rng=np.random.default_rng(0), weight_init="he")
    with pytest.raises(ValueError, match="Invalid in_features: 0"):
        Linear(0, 2, rng=np.random.default_rng(0))


def test_linear_shape_error_names_layer_and_shapes():
    layer = Linear(4, 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError) as info:
        layer.forward(np.zeros((2, 5)))
    message = str(info.value)
    assert "Linear(4 -> 3)" in message and "(N, 4)" in message and "(2, 5)" in message
    with pytest.raises(ValueError, match=r"\(2, 2, 2\)"):
        layer.forward(np.zeros((2, 2, 2)))


def test_batchnorm_running_stats_after_one_step():
    x = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 0.0]])
    bn = BatchNorm(2, momentum=0.1)
    bn.forward(x, train=True)
    # Column means 3 and 10; unbiased variances 7 and 100.
    np.testing.assert_allclose(bn.running_mean, [0.9 * 0 + 0.1 * 3, 0.9 * 0 + 0.1 * 10])
    np.testing.assert_allclose(bn.running_var, [0.9 * 1 + 0.1 * 7, 0.9 * 1 + 0.1 * 100])
    assert bn.buffers["running_mean"] is bn.running_mean
    assert set(bn.params) == {"gamma", "beta"}


def test_batchnorm_running_stats_per_channel_4d():
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 5))
    bn = BatchNorm(3, momentum=0.5)
    bn.forward(x, train=True)
    per_channel = x.transpose(1, 0, 2, 3).reshape(3, -1)  # (C, N*H*W)
    np.testing.assert_allclose(bn.running_mean, 0.5 * per_channel.mean(axis=1))
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * per_channel.var(axis=1, ddof=1))


def test_batchnorm_train_normalizes_and_eval_uses_running_stats():
    rng = np.random.default_rng(0)
    x = 5 * rng.standard_normal((50, 3)) + 2
    bn = BatchNorm(3, eps=1e-5)
    out = bn.forward(x, train=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1, rtol=1e-5)
    running_before = (bn.running_mean.copy(), bn.running_var.copy())
    x_test = rng.standard_normal((4, 3))
    expected = (x_test - bn.running_mean) / np.sqrt(bn.running_var + 1e-5)
    np.testing.assert_allclose(bn.forward(x_test), expected)
    np.testing.assert_array_equal(bn.running_mean, running_before[0])
    np.testing.assert_array_equal(bn.running_var, running_before[1])


def test_batchnorm_validation():
    with pytest.raises(ValueError, match="BatchNorm\\(3\\).*\\(N, 3\\).*\\(2, 4\\)"):
        BatchNorm(3).forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="more than 1 value"):
        BatchNorm(3).forward(np.zeros((1, 3)), train=True)
    with pytest.raises(ValueError, match="Invalid momentum value: 1.5"):
        BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match="Invalid epsilon value: 0"):
        BatchNorm(3, eps=0)


def test_dropout_eval_is_identity_and_train_is_inverted():
    x = np.ones((200, 500), dtype=np.float32)
    drop = Dropout(p=0.2, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(drop.forward(x), x)
    np.testing.assert_array_equal(drop.backward(np.full_like(x, 3.0)), 3.0)
    out = drop.forward(x, train=True)
    assert out.dtype == np.float32
    assert set(np.unique(out)) == {np.float32(0), np.float32(1 / 0.8)}
    assert np.mean(out == 0) == pytest.approx(0.2, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.02)
    dx = drop.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx, out)  # same mask on the way back


def test_dropout_masks_differ_between_calls_and_p_is_validated():
    drop = Dropout(p=0.5, rng=np.random.default_rng(0))
    x = np.ones((10, 10))
    assert not np.array_equal(drop.forward(x, train=True), drop.forward(x, train=True))
    np.testing.assert_array_equal(Dropout(p=0.0, rng=np.random.default_rng(0)).forward(x, train=True), x)
    for p in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=f"Invalid dropout probability: {p}"):
            Dropout(p=p, rng=np.random.default_rng(0))


def test_flatten_shapes():
    flat = Flatten()
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    out = flat.forward(x)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out[1], np.arange(12.0, 24.0))
    assert flat.backward(out).shape == (2, 3, 2, 2)


# ---------------------------------------------- issue 18: hostile and clumsy use --
# Every layer of the package, conv and pooling too: (fresh layer, a valid input, train).

def every_layer():
    from dlbook.conv import AvgPool2D, Conv2D, MaxPool2D

    rng = np.random.default_rng(1)
    images = rng.standard_normal((2, 2, 4, 4))
    cases = {name: make_case(name) for name in CASES}
    cases.update({
        "Conv2D": (Conv2D(2, 3, 3, padding=1, rng=rng), images, False),
        "MaxPool2D": (MaxPool2D(2), images, False),
        "MaxPool2D-padded": (MaxPool2D(3, stride=1, padding=1), images, False),
        "AvgPool2D": (AvgPool2D(2), images, False),
        "AvgPool2D-strided": (AvgPool2D(3, stride=1), images, False),
    })
    return cases


ALL_LAYERS = list(every_layer())


@pytest.mark.parametrize("name", ALL_LAYERS)
def test_backward_before_forward_says_call_forward_first(name):
    layer, x, train = every_layer()[name]
    with pytest.raises(ValueError, match=r"call forward first") as error:
        layer.backward(np.ones((2, 3)))
    assert repr(layer) in str(error.value)


@pytest.mark.parametrize("name", ALL_LAYERS)
@pytest.mark.parametrize("change", ["one more row", "one more column", "one more axis", "flat"])
def test_backward_refuses_dout_of_the_wrong_shape(name, change):
    layer, x, train = every_layer()[name]
    y = layer.forward(x, train=train)
    wrong = {"one more row": (y.shape[0] + 1, *y.shape[1:]),
             "one more column": (y.shape[0], y.shape[1] + 1, *y.shape[2:]),
             "one more axis": (*y.shape, 1),  # would broadcast silently in an activation
             "flat": (y.size,)}[change]
    message = f"{re.escape(repr(layer))}.backward expected dout of shape {re.escape(str(y.shape))}"
    with pytest.raises(ValueError, match=message):
        layer.backward(np.ones(wrong))


@pytest.mark.parametrize("name", ALL_LAYERS)
def test_integer_input_is_computed_in_float64(name):
    layer, x, train = every_layer()[name]
    if isinstance(layer, Dropout):
        layer.rng = np.random.default_rng(5)
    x_int = np.round(4 * x).astype(np.int64)
    y_int = layer.forward(x_int, train=train)
    if isinstance(layer, Dropout):
        layer.rng = np.random.default_rng(5)
    y_float = layer.forward(x_int.astype(np.float64), train=train)
    assert y_int.dtype == np.float64
    np.testing.assert_array_equal(y_int, y_float)
    dx = layer.backward(np.ones_like(y_float))
    assert dx.dtype == np.float64


def test_dropout_rescales_integer_input():
    layer = Dropout(p=0.3, rng=np.random.default_rng(0))
    y = layer.forward(np.full((50, 50), 10), train=True)
    assert y.dtype == np.float64
    np.testing.assert_allclose(np.unique(y), [0.0, 10 / 0.7])


@pytest.mark.parametrize("name", ALL_LAYERS)
@pytest.mark.parametrize("dtype", [np.complex128, np.str_, object])
def test_input_that_is_not_real_numbers_is_refused(name, dtype):
    layer, x, train = every_layer()[name]
    with pytest.raises(ValueError, match="real numbers"):
        layer.forward(x.astype(dtype), train=train)


@pytest.mark.parametrize(("make", "name", "value", "message"), [
    (lambda: Dropout(0.5, rng=np.random.default_rng(0)), "p", 1.0, "Invalid dropout probability: 1.0"),
    (lambda: Dropout(0.5, rng=np.random.default_rng(0)), "p", np.nan, "Invalid dropout probability: nan"),
    (lambda: Dropout(0.5, rng=np.random.default_rng(0)), "p", "0.5", "Invalid dropout probability: '0.5'"),
    (lambda: BatchNorm(3), "momentum", 2.0, "Invalid momentum value: 2.0"),
    (lambda: BatchNorm(3), "momentum", np.nan, "Invalid momentum value: nan"),
    (lambda: BatchNorm(3), "eps", 0.0, "Invalid epsilon value: 0.0"),
    (lambda: BatchNorm(3), "eps", np.inf, "Invalid epsilon value: inf"),
    (lambda: LeakyReLU(), "negative_slope", np.nan, "Invalid negative_slope value: nan"),
])
def test_layer_hyperparameters_are_checked_on_assignment(make, name, value, message):
    layer = make()
    before = getattr(layer, name)
    with pytest.raises(ValueError, match=re.escape(message)):
        setattr(layer, name, value)
    assert getattr(layer, name) == before


def test_hyperparameters_assigned_between_steps_take_effect():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    layer.p = 0.25
    y = layer.forward(np.ones((40, 40)), train=True)
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.75])
    with pytest.raises(ValueError, match="Invalid negative_slope value: nan"):
        LeakyReLU(negative_slope=np.nan)


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.complex128])
def test_layers_with_parameters_refuse_a_dtype_that_is_not_floating(dtype):
    from dlbook.conv import Conv2D

    rng = np.random.default_rng(0)
    for make in (lambda: Linear(3, 4, rng=rng, dtype=dtype), lambda: BatchNorm(3, dtype=dtype),
                 lambda: Conv2D(1, 2, 3, rng=rng, dtype=dtype)):
        with pytest.raises(ValueError, match="floating-point dtype"):
            make()


def test_a_list_instead_of_an_array_gets_a_clear_error():
    with pytest.raises(ValueError, match=r"Linear\(2 -> 3\) expected a NumPy array, got list"):
        Linear(2, 3, rng=np.random.default_rng(0)).forward([[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"BatchNorm\(2\) expected a NumPy array, got tuple"):
        BatchNorm(2).forward(((1.0, 2.0), (3.0, 4.0)), train=True)
