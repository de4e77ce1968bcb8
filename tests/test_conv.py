"""Tests of dlbook.conv: im2col/col2im, Conv2D, MaxPool2D, AvgPool2D."""

import numpy as np
import pytest

from dlbook.conv import AvgPool2D, Conv2D, MaxPool2D, col2im, conv_output_size, im2col
from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.init import he
from dlbook.layers import ReLU


def naive_conv(x, W, b, stride, padding):
    """Cross-correlation written as plain loops: the definition, not the trick."""
    N, C, H, Wd = x.shape
    F, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    OH = (H + 2 * padding - kh) // stride + 1
    OW = (Wd + 2 * padding - kw) // stride + 1
    y = np.zeros((N, F, OH, OW))
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    patch = xp[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    y[n, f, i, j] = np.sum(patch * W[f]) + b[f]
    return y


def check_layer_gradients(layer, x, rng):
    """Compare backward with central differences of L = sum(y * R) for x and every param."""
    R = rng.standard_normal(layer.forward(x).shape)
    layer.forward(x)
    dx = layer.backward(R)

    def loss():
        return float(np.sum(layer.forward(x) * R))

    assert relative_error(dx, numerical_gradient(loss, x, h=1e-5)) < 1e-7
    for name, param in layer.params.items():
        numeric = numerical_gradient(loss, param, h=1e-5)
        assert relative_error(layer.grads[name], numeric) < 1e-7, name


# ---------------------------------------------------------------- output size

def test_conv_output_size_known_values():
    assert conv_output_size(28, 5, 1, 0) == 24
    assert conv_output_size(7, 3, 2, 1) == 4
    assert conv_output_size(8, 3, 2, 0) == 3  # floor: (8 - 3) / 2 = 2.5
    assert conv_output_size(24, 2, 2) == 12


def test_conv_output_size_too_small_names_values():
    with pytest.raises(ValueError, match="size=3, kernel_size=5"):
        conv_output_size(3, 5)


# ---------------------------------------------------------------- im2col / col2im

def test_im2col_hand_example():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # [[1 2 3] [4 5 6] [7 8 9]]
    cols = im2col(x, 2, 2)
    expected = np.array([
        [1, 2, 4, 5],  # kernel offset (0, 0) of the four windows
        [2, 3, 5, 6],  # (0, 1)
        [4, 5, 7, 8],  # (1, 0)
        [5, 6, 8, 9],  # (1, 1)
    ], dtype=float)
    np.testing.assert_array_equal(cols, expected)


def test_im2col_padding_adds_zeros():
    x = np.ones((1, 1, 2, 2))
    cols = im2col(x, 3, 3, stride=1, padding=1)  # 2x2 output, 9 rows
    assert cols.shape == (9, 4)
    # The center offset always sees the image; a corner offset sees it once.
    np.testing.assert_array_equal(cols[4], [1, 1, 1, 1])
    np.testing.assert_array_equal(cols[0], [0, 0, 0, 1])


@pytest.mark.parametrize("kh, kw, stride, padding", [
    (5, 5, 1, 0), (3, 3, 2, 1), (2, 3, 1, 2), (3, 2, 3, 0), (1, 1, 2, 0),
])
def test_im2col_matches_its_definition(kh, kw, stride, padding):
    """cols[(c, i, j), (n, oh, ow)] = x_pad[n, c, oh*stride + i, ow*stride + j], entry by entry."""
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    cols = im2col(x, kh, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    OH, OW = conv_output_size(9, kh, stride, padding), conv_output_size(8, kw, stride, padding)
    expected = np.empty((3, kh, kw, 2, OH, OW))
    for n, c, i, j, oh, ow in np.ndindex(2, 3, kh, kw, OH, OW):
        expected[c, i, j, n, oh, ow] = xp[n, c, oh * stride + i, ow * stride + j]
    np.testing.assert_array_equal(cols, expected.reshape(3 * kh * kw, 2 * OH * OW))


def test_im2col_writes_into_out():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    out = np.full((27, 2 * 4 * 4), np.nan, dtype=np.float32)
    assert im2col(x, 3, 3, out=out) is out
    np.testing.assert_array_equal(out, im2col(x, 3, 3))


@pytest.mark.parametrize("out", [
    np.empty((27, 31)),  # wrong shape
    np.empty((27, 32), dtype=np.float32),  # wrong dtype (x is float64)
    np.empty((32, 27)).T,  # not contiguous
])
def test_im2col_rejects_unusable_out(out):
    x = np.zeros((2, 3, 6, 6))
    with pytest.raises(ValueError, match="im2col: out must be"):
        im2col(x, 3, 3, out=out)


def test_col2im_sums_overlaps():
    cols = np.ones((4, 4))  # 2x2 windows over a 3x3 image, stride 1
    x = col2im(cols, (1, 1, 3, 3), 2, 2)
    np.testing.assert_array_equal(x[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


@pytest.mark.parametrize("kh, kw, stride, padding", [
    (3, 3, 1, 0), (3, 3, 2, 1), (2, 3, 1, 2), (2, 2, 2, 0), (5, 5, 3, 2),
])
def test_col2im_is_adjoint_of_im2col(kh, kw, stride, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 8, 7))
    c = rng.standard_normal(im2col(x, kh, kw, stride, padding).shape)
    lhs = np.sum(im2col(x, kh, kw, stride, padding) * c)
    rhs = np.sum(x * col2im(c, x.shape, kh, kw, stride, padding))
    assert lhs == pytest.approx(rhs, rel=1e-12)


# ---------------------------------------------------------------- Conv2D

@pytest.mark.parametrize("kernel_size, stride, padding", [(3, 1, 0), (3, 2, 1), ((2, 3), 1, 2)])
def test_conv_forward_matches_naive_loops(kernel_size, stride, padding):
    rng = np.random.default_rng(2)
    conv = Conv2D(3, 4, kernel_size, stride=stride, padding=padding, rng=rng)
    conv.params["b"] = rng.standard_normal(4)
    x = rng.standard_normal((2, 3, 7, 7))
    expected = naive_conv(x, conv.params["W"], conv.params["b"], stride, padding)
    np.testing.assert_allclose(conv.forward(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride, padding", [(2, 1), (1, 0)])
def test_conv_gradient_check(stride, padding):
    rng = np.random.default_rng(3)
    conv = Conv2D(3, 4, 3, stride=stride, padding=padding, rng=rng)
    conv.params["b"] = rng.standard_normal(4)
    check_layer_gradients(conv, rng.standard_normal((2, 3, 7, 7)), rng)


def test_conv_reuses_its_column_buffer_for_batches_of_one_shape():
    rng = np.random.default_rng(8)
    conv = Conv2D(3, 4, 3, padding=1, rng=rng)
    x = rng.standard_normal((2, 3, 6, 6))
    conv.forward(x)
    cols = conv.cache[1]
    np.testing.assert_array_equal(cols[-1], 1)  # the row of ones that carries b
    y = conv.forward(2 * x)
    assert conv.cache[1] is cols  # refilled, not reallocated
    np.testing.assert_allclose(y, naive_conv(2 * x, conv.params["W"], conv.params["b"], 1, 1), atol=1e-12)
    conv.forward(x[:1])  # another batch size: a buffer of the new shape
    assert conv.cache[1] is not cols and conv.cache[1].shape == (28, 36)
    conv.forward(x.astype(np.float32))  # another dtype: a new buffer too, never a silent cast
    assert conv.cache[1].dtype == np.float32


def test_conv_repr_and_weight_shapes():
    conv = Conv2D(1, 30, 5, rng=np.random.default_rng(0))
    assert repr(conv) == "Conv2D(1 -> 30, 5x5, stride 1, pad 0)"
    assert conv.params["W"].shape == (30, 1, 5, 5)
    assert conv.params["b"].shape == (30,)
    np.testing.assert_array_equal(conv.params["b"], 0)


def test_conv_weight_init_default_he_and_float_std():
    shape = (4, 3, 3, 3)
    conv = Conv2D(3, 4, 3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(conv.params["W"], he(shape, np.random.default_rng(5)))
    conv = Conv2D(3, 4, 3, rng=np.random.default_rng(5), weight_init=0.5)
    np.testing.assert_array_equal(conv.params["W"],
                                  np.random.default_rng(5).standard_normal(shape) * 0.5)


def test_conv_float32_end_to_end():
    rng = np.random.default_rng(6)
    conv = Conv2D(3, 4, 3, stride=2, padding=1, rng=rng, dtype=np.float32)
    x = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    y = conv.forward(x)
    dx = conv.backward(np.ones_like(y))
    assert conv.params["W"].dtype == conv.params["b"].dtype == np.float32
    assert y.dtype == dx.dtype == np.float32
    assert conv.grads["W"].dtype == conv.grads["b"].dtype == np.float32
    assert conv.cache[1].dtype == np.float32  # the im2col buffer


def test_conv_float64_stays_float64():
    rng = np.random.default_rng(6)
    conv = Conv2D(3, 4, 3, rng=rng)
    x = rng.standard_normal((2, 3, 7, 7))
    y = conv.forward(x)
    dx = conv.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == conv.grads["W"].dtype == conv.grads["b"].dtype == np.float64


def test_conv_does_not_modify_inputs():
    rng = np.random.default_rng(7)
    conv = Conv2D(3, 4, 3, stride=2, padding=1, rng=rng)
    x = rng.standard_normal((2, 3, 7, 7))
    x_copy = x.copy()
    y = conv.forward(x)
    dout = rng.standard_normal(y.shape)
    dout_copy = dout.copy()
    conv.backward(dout)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)


def test_conv_shape_error_names_layer_and_shapes():
    conv = Conv2D(1, 30, 5, rng=np.random.default_rng(0))
    expected = r"Conv2D\(1 -> 30, 5x5, stride 1, pad 0\).*\(N, 1, H, W\).*\(2, 3, 28, 28\)"
    with pytest.raises(ValueError, match=expected):
        conv.forward(np.zeros((2, 3, 28, 28)))
    with pytest.raises(ValueError, match=r"Conv2D.*\(2, 28, 28\)"):
        conv.forward(np.zeros((2, 28, 28)))


@pytest.mark.parametrize("kwargs, message", [
    ({"stride": 0}, "Invalid stride: 0"),
    ({"padding": -1}, "Invalid padding: -1"),
    ({"kernel_size": 0}, "Invalid kernel_size: 0"),
])
def test_conv_invalid_hyperparameters(kwargs, message):
    args = {"kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        Conv2D(1, 2, rng=np.random.default_rng(0), **args)


# ---------------------------------------------------------------- pooling

def test_maxpool_hand_example():
    x = np.array([[1, 5, 2, 0],
                  [3, 4, 8, 1],
                  [0, 2, 7, 7],
                  [9, 1, 6, 3]], dtype=float).reshape(1, 1, 4, 4)
    pool = MaxPool2D(2)
    np.testing.assert_array_equal(pool.forward(x)[0, 0], [[5, 8], [9, 7]])
    dx = pool.backward(np.array([[10.0, 20.0], [30.0, 40.0]]).reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(dx[0, 0], [[0, 10, 0, 0],
                                             [0, 0, 20, 0],
                                             [0, 0, 40, 0],  # tie 7, 7: the first one
                                             [30, 0, 0, 0]])


def test_avgpool_hand_example():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    pool = AvgPool2D(2)
    np.testing.assert_array_equal(pool.forward(x)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    dx = pool.backward(np.array([[4.0, 8.0], [12.0, 16.0]]).reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 2, 2],
                                             [1, 1, 2, 2],
                                             [3, 3, 4, 4],
                                             [3, 3, 4, 4]])


@pytest.mark.parametrize("pool", [
    MaxPool2D(2),  # fast path: windows tile the image
    MaxPool2D(3, stride=2),  # overlapping windows
    MaxPool2D(3, stride=2, padding=1),
    AvgPool2D(2),
    AvgPool2D(3, stride=2),
    AvgPool2D(3, stride=2, padding=1),
], ids=repr)
def test_pool_gradient_check(pool):
    rng = np.random.default_rng(8)
    check_layer_gradients(pool, rng.standard_normal((2, 3, 8, 8)), rng)


@pytest.mark.parametrize("pool", [MaxPool2D(3, stride=2), AvgPool2D(3, stride=2, padding=1)],
                         ids=repr)
def test_pool_general_path_matches_naive_loops(pool):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 7, 7))
    k, s, p = pool.kernel_size, pool.stride, pool.padding
    fill = -np.inf if isinstance(pool, MaxPool2D) else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    reduce = np.max if isinstance(pool, MaxPool2D) else np.mean
    OH = (7 + 2 * p - k) // s + 1
    expected = np.array([[reduce(xp[:, :, i * s : i * s + k, j * s : j * s + k], axis=(2, 3))
                          for j in range(OH)] for i in range(OH)])  # (OH, OW, N, C)
    np.testing.assert_allclose(pool.forward(x), expected.transpose(2, 3, 0, 1), rtol=1e-12)


@pytest.mark.parametrize("pool", [MaxPool2D(2), MaxPool2D(3, stride=3, padding=1)], ids=repr)
def test_maxpool_ties_route_to_exactly_one_element(pool):
    x = np.zeros((2, 3, 6, 6))  # every window is one big tie
    y = pool.forward(x)
    dx = pool.backward(np.ones_like(y))
    assert np.count_nonzero(dx) == y.size  # non-overlapping windows: one element each
    assert dx.sum() == y.size


@pytest.mark.parametrize("pool", [MaxPool2D(2), MaxPool2D(3, stride=2, padding=1),
                                  AvgPool2D(2), AvgPool2D(3, stride=2, padding=1)], ids=repr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_preserves_dtype_and_inputs(pool, dtype):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 8, 8)).astype(dtype)
    x_copy = x.copy()
    y = pool.forward(x)
    dout = np.ones_like(y)
    dx = pool.backward(dout)
    assert y.dtype == dx.dtype == dtype
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_col2im_preserve_dtype(dtype):
    x = np.ones((2, 3, 5, 5), dtype=dtype)
    cols = im2col(x, 3, 3, stride=2, padding=1)
    assert cols.dtype == dtype
    assert col2im(cols, x.shape, 3, 3, stride=2, padding=1).dtype == dtype


def test_pool_shape_error_and_hyperparameters():
    with pytest.raises(ValueError, match=r"MaxPool2D\(2x2, stride 2, pad 0\).*\(2, 8, 8\)"):
        MaxPool2D(2).forward(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="Invalid padding: 2"):
        AvgPool2D(3, padding=2)
    with pytest.raises(ValueError, match="Invalid stride: 0"):
        MaxPool2D(2, stride=0)
    assert MaxPool2D(3).stride == 3  # stride defaults to kernel_size, as in PyTorch


@pytest.mark.parametrize("Pool", [MaxPool2D, AvgPool2D])
def test_pool_fast_and_general_paths_agree(Pool):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 9, 9))  # 9 is not a multiple of 2: the general path
    dout = rng.standard_normal((2, 3, 4, 4))
    general, fast = Pool(2), Pool(2)
    np.testing.assert_allclose(general.forward(x), fast.forward(x[:, :, :8, :8]), rtol=1e-14)
    dx = general.backward(dout)
    np.testing.assert_allclose(dx[:, :, :8, :8], fast.backward(dout), rtol=1e-14)
    np.testing.assert_array_equal(dx[:, :, 8, :], 0)  # the row no window reaches
    np.testing.assert_array_equal(dx[:, :, :, 8], 0)


@pytest.mark.parametrize("make", [
    lambda: Conv2D(3, 4, 3, padding=1, rng=np.random.default_rng(0), dtype=np.float32),
    lambda: MaxPool2D(2),  # windows tile the 8x8 maps: the reshape path
    lambda: MaxPool2D(3, stride=2, padding=1),  # the im2col path
    lambda: AvgPool2D(2),
    ReLU,
])
def test_layer_batch_after_batch(make):
    """Outputs and gradients a caller still holds survive the next batch, and a layer that has
    already run batches computes exactly what a fresh one does."""
    rng = np.random.default_rng(12)
    x1, x2 = (rng.standard_normal((5, 3, 8, 8)).astype(np.float32) for _ in range(2))
    layer = make()
    y1 = layer.forward(x1)
    dx1 = layer.backward(rng.standard_normal(y1.shape).astype(np.float32))
    y1_kept, dx1_kept = y1.copy(), dx1.copy()
    grads1 = dict(layer.grads)  # the arrays themselves, as an optimizer or a plot would hold them
    grads1_kept = {name: g.copy() for name, g in grads1.items()}
    dout2 = rng.standard_normal(y1.shape).astype(np.float32)
    y2, dx2 = layer.forward(x2), layer.backward(dout2)
    np.testing.assert_array_equal(y1, y1_kept)
    np.testing.assert_array_equal(dx1, dx1_kept)
    for name, g in grads1.items():
        np.testing.assert_array_equal(g, grads1_kept[name])
    fresh = make()
    np.testing.assert_array_equal(y2, fresh.forward(x2))
    np.testing.assert_array_equal(dx2, fresh.backward(dout2))
    for name, g in fresh.grads.items():
        np.testing.assert_array_equal(layer.grads[name], g)
