"""The float32 fast path: same results as float64 to float32 precision, and no float64 anywhere in it."""


import numpy as np
import pytest

from dlbook import functional as F
from dlbook.conv import AvgPool2D, Conv2D, MaxPool2D
from dlbook.layers import BatchNorm, Dropout, Flatten, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from dlbook.losses import MSELoss, SigmoidBCE, SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp

# float32 carries about 7 significant digits; a few layers of sums lose one or two.
RTOL = 1e-4


pytestmark = pytest.mark.filterwarnings("error")  # a warning is a failure here


def small_mlp(dtype):
    rng = np.random.default_rng(0)
    return Sequential(
        Linear(6, 8, rng=rng, dtype=dtype), ReLU(), Linear(8, 8, rng=rng, dtype=dtype), Tanh(),
        Linear(8, 7, rng=rng, dtype=dtype), Sigmoid(), Linear(7, 4, rng=rng, dtype=dtype),
    )


def small_cnn(dtype):
    rng = np.random.default_rng(1)
    return Sequential(
        Conv2D(2, 3, 3, padding=1, rng=rng, dtype=dtype), ReLU(), MaxPool2D(2),  # (N, 3, 4, 4)
        Conv2D(3, 4, 3, stride=2, padding=1, rng=rng, dtype=dtype), LeakyReLU(),  # (N, 4, 2, 2)
        MaxPool2D(3, stride=1, padding=1), AvgPool2D(2), Flatten(),  # (N, 4)
        Linear(4, 5, rng=rng, dtype=dtype),
    )


def forward_backward(model, x, y, loss_fn, *, input_grad=True):
    scores = model.forward(x, train=True)
    loss = loss_fn.forward(scores, y)
    dx = model.backward(loss_fn.backward(), input_grad=input_grad)
    return scores, loss, dx


@pytest.mark.parametrize("make, x_shape, K", [(small_mlp, (5, 6), 4), (small_cnn, (3, 2, 8, 8), 5)],
                         ids=["mlp", "cnn"])
def test_float32_agrees_with_float64(make, x_shape, K):
    rng = np.random.default_rng(2)
    x64 = rng.standard_normal(x_shape)
    y = rng.integers(0, K, size=x_shape[0])
    m64, m32 = make(np.float64), make(np.float32)
    for name, p in m32.params().items():  # the same weights, rounded to float32
        p[...] = m64.params()[name]

    s64, loss64, dx64 = forward_backward(m64, x64, y, SoftmaxCrossEntropy())
    s32, loss32, dx32 = forward_backward(m32, x64.astype(np.float32), y, SoftmaxCrossEntropy())

    assert s32.dtype == dx32.dtype == np.float32
    np.testing.assert_allclose(s32, s64, rtol=RTOL, atol=1e-6)
    assert loss32 == pytest.approx(loss64, rel=RTOL)
    np.testing.assert_allclose(dx32, dx64, rtol=RTOL, atol=1e-6 * np.abs(dx64).max())
    g64 = m64.grads()
    for name, g in m32.grads().items():
        assert g.dtype == np.float32, name
        np.testing.assert_allclose(g, g64[name], rtol=RTOL, atol=1e-6 * np.abs(g64[name]).max(),
                                   err_msg=name)


def float_arrays(obj):
    """Every floating-point array inside obj (arrays, dicts, tuples and lists, nested)."""
    if isinstance(obj, np.ndarray):
        return [obj] if np.issubdtype(obj.dtype, np.floating) else []
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (tuple, list)):
        return [a for item in obj for a in float_arrays(item)]
    return []


def test_float_arrays_finds_nested_arrays():
    found = float_arrays({"a": (np.zeros(2), [np.ones(1, dtype=np.float32), np.arange(3)]), "b": 1.0})
    assert [a.dtype for a in found] == [np.float64, np.float32]


OPTIMIZERS = [SGD(lr=0.1, weight_decay=1e-3, max_norm=2.0), Momentum(lr=0.1), Nesterov(lr=0.1),
              AdaGrad(lr=0.1), RMSProp(lr=0.01), Adam(lr=0.01, weight_decay=1e-3)]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=repr)
def test_no_float64_array_anywhere_in_the_float32_path(optimizer):
    rng = np.random.default_rng(3)
    f32 = np.float32
    model = Sequential(
        Conv2D(1, 2, 3, padding=1, rng=rng, dtype=f32), BatchNorm(2, dtype=f32), ReLU(), MaxPool2D(2),
        Conv2D(2, 2, 3, rng=rng, dtype=f32), AvgPool2D(3, stride=2, padding=1), Flatten(),
        Linear(2, 6, rng=rng, dtype=f32), Dropout(0.5, rng=rng), Tanh(), Linear(6, 3, rng=rng, dtype=f32),
    )
    x = rng.standard_normal((4, 1, 8, 8)).astype(f32)
    y = np.array([0, 2, 1, 2])
    for _ in range(2):  # optimizer state is created on the first step and updated on the second
        scores, _, dx = forward_backward(model, x, y, SoftmaxCrossEntropy())
        optimizer.step(model.params(), model.grads())
    everything = [scores, dx, vars(optimizer)]
    everything += [[layer.params, layer.grads, layer.buffers, layer.cache] for layer in model.layers]
    arrays = float_arrays(everything)
    assert len(arrays) > 30
    assert {a.dtype for a in arrays} == {np.dtype(f32)}


@pytest.mark.parametrize("loss_fn, y", [
    (SoftmaxCrossEntropy(), np.array([2, 0, 1])),
    (SoftmaxCrossEntropy(), np.eye(3)[[2, 0, 1]]),
    (SigmoidBCE(), np.array([[1.0, 0.0, 1.0]] * 3)),
    (MSELoss(), np.ones((3, 3))),
], ids=["ce-index", "ce-onehot", "bce", "mse"])
def test_losses_keep_float32(loss_fn, y):
    scores = np.array([[2.0, -1.0, 0.5], [1e4, -1e4, 0.0], [0.1, 0.2, 0.3]], dtype=np.float32)
    loss = loss_fn.forward(scores, y)
    dscores = loss_fn.backward()
    assert isinstance(loss, float) and np.isfinite(loss)
    assert dscores.dtype == np.float32
    assert {a.dtype for a in float_arrays(loss_fn.cache)} == {np.dtype(np.float32)}


@pytest.mark.parametrize("y", [np.array([2, 0, 1]), np.eye(3)[[2, 0, 1]]], ids=["index", "onehot"])
def test_softmax_cross_entropy_value_is_functional_cross_entropy(y):
    scores = np.array([[2.0, -1.0, 0.5], [3.0, 0.0, -3.0], [0.1, 0.2, 0.3]])
    assert SoftmaxCrossEntropy().forward(scores, y) == pytest.approx(float(F.cross_entropy(scores, y)),
                                                                    rel=1e-14)


def test_sequential_backward_without_input_grad_gives_the_same_parameter_gradients():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2, 8, 8))
    y = np.array([4, 0, 1])
    model = small_cnn(np.float64)
    _, _, dx = forward_backward(model, x, y, SoftmaxCrossEntropy(), input_grad=True)
    expected = {name: g.copy() for name, g in model.grads().items()}
    _, _, none = forward_backward(model, x, y, SoftmaxCrossEntropy(), input_grad=False)
    assert dx.shape == x.shape and none is None
    for name, g in model.grads().items():
        np.testing.assert_array_equal(g, expected[name], err_msg=name)


def test_input_grad_false_with_a_first_layer_without_parameters():
    rng = np.random.default_rng(5)
    model = Sequential(Flatten(), Linear(4, 2, rng=rng))
    x = rng.standard_normal((3, 2, 2))
    model.forward(x)
    assert model.backward(np.ones((3, 2)), input_grad=False) is None
    np.testing.assert_allclose(model.layers[1].grads["W"], x.reshape(3, 4).sum(axis=0)[:, None] * [1, 1])


def test_conv_output_is_contiguous_in_n_f_oh_ow_order():
    # The next layer (ReLU, pooling) runs several times faster on a contiguous array.
    conv = Conv2D(2, 3, 3, rng=np.random.default_rng(6), dtype=np.float32)
    y = conv.forward(np.ones((4, 2, 6, 6), dtype=np.float32))
    assert y.shape == (4, 3, 4, 4) and y.flags.c_contiguous


def test_relu_backward_passes_gradient_only_where_input_was_positive_in_float32():
    relu = ReLU()
    x = np.array([[-2.0, 0.0, 3.0], [1e-30, -1e-30, 5.0]], dtype=np.float32)
    relu.forward(x)
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    dx = relu.backward(dout)
    assert dx.dtype == np.float32
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 3.0], [4.0, 0.0, 6.0]])
    np.testing.assert_array_equal(dout, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # unchanged
