"""dlbook.resnet: the residual block and global average pooling, gradient-checked in float64."""

import numpy as np
import pytest

from dlbook.gradcheck import check_layer, gradient_check
from dlbook.layers import BatchNorm, Linear, ReLU
from dlbook.conv import Conv2D
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import SGD
from dlbook.resnet import GlobalAvgPool2D, ResidualBlock

pytestmark = pytest.mark.filterwarnings("error")


def test_global_avg_pool_hand_example():
    x = np.arange(8.0).reshape(1, 2, 2, 2)  # channel 0: 0..3, channel 1: 4..7
    pool = GlobalAvgPool2D()
    np.testing.assert_array_equal(pool.forward(x), [[1.5, 5.5]])
    dx = pool.backward(np.array([[4.0, -8.0]]))
    np.testing.assert_array_equal(dx, [[[[1.0, 1.0], [1.0, 1.0]], [[-2.0, -2.0], [-2.0, -2.0]]]])


def test_global_avg_pool_gradient_check_and_dtype():
    rng = np.random.default_rng(0)
    errors = check_layer(GlobalAvgPool2D(), rng.standard_normal((3, 4, 5, 2)))
    assert max(errors.values()) < 1e-7, errors
    y = GlobalAvgPool2D().forward(rng.standard_normal((2, 3, 4, 4)).astype(np.float32))
    assert y.dtype == np.float32 and y.shape == (2, 3)


@pytest.mark.parametrize("train", [True, False])
def test_residual_block_gradient_check(train):
    rng = np.random.default_rng(1)
    block = ResidualBlock(3, rng=rng)
    # Non-trivial gamma, beta, biases and running statistics, so no path is checked at a special value.
    for name, p in block.params.items():
        if name.endswith("gamma"):
            p[...] = rng.uniform(0.5, 1.5, p.shape)
        elif name.endswith((".b", "beta")):
            p[...] = rng.normal(0, 0.3, p.shape)
    block.buffers["bn1.running_var"][...] = rng.uniform(0.5, 2.0, 3)
    block.buffers["bn2.running_mean"][...] = rng.normal(0, 0.5, 3)
    # Inputs away from 0 after the shortcut: ReLU's kink would spoil the finite differences.
    x = rng.standard_normal((4, 3, 5, 5)) + 0.5
    errors = check_layer(block, x, train=train)
    assert set(errors) == {"x", *block.params}
    if train:
        # Batch statistics remove any constant per channel, so a bias before BN has gradient 0
        # (both ways of computing it give ~1e-17, whose relative error means nothing).
        for name in ("conv1.b", "conv2.b"):
            assert np.abs(block.grads[name]).max() < 1e-12
            del errors[name]
    assert max(errors.values()) < 1e-6, errors


def test_the_shortcut_carries_the_gradient_when_the_layers_give_none():
    # With BN2's gamma = beta = 0 the layers' path outputs 0: out = ReLU(x), dx = dout * (x > 0)
    # exactly -- the gradient reaches x through the shortcut whatever the convolutions do.
    rng = np.random.default_rng(2)
    block = ResidualBlock(2, rng=rng)
    block.params["bn2.gamma"][...] = 0.0
    x = rng.standard_normal((3, 2, 4, 4))
    out = block.forward(x, train=True)
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    dout = rng.standard_normal(out.shape)
    dx = block.backward(dout)
    np.testing.assert_allclose(dx, dout * (x > 0), atol=1e-12)


def test_a_small_resnet_gradient_check_and_training_updates_the_blocks_arrays():
    rng = np.random.default_rng(3)
    model = Sequential(Conv2D(1, 4, 3, padding=1, rng=rng), BatchNorm(4), ReLU(),
                       ResidualBlock(4, rng=rng), GlobalAvgPool2D(), Linear(4, 3, rng=rng))
    x, y = rng.standard_normal((5, 1, 6, 6)), np.array([0, 1, 2, 1, 0])
    loss_fn = SoftmaxCrossEntropy()
    model.forward(x, train=True)  # running statistics away from their start
    errors = gradient_check(model, x, y, loss_fn)
    assert max(errors.values()) < 1e-6, errors
    assert "3.conv1.W" in model.params() and "3.bn2.running_var" in model.buffers()
    W = model.params()["3.conv1.W"]
    before = W.copy()
    loss_fn.forward(model.forward(x, train=True), y)
    model.backward(loss_fn.backward(), input_grad=False)
    SGD(lr=0.1).step(model.params(), model.grads())
    assert model.params()["3.conv1.W"] is W and not np.array_equal(W, before)
    assert model.layers[3].conv1.params["W"] is W  # the sub-layer computes with the updated array


def test_astype_float32_reaches_the_sub_layers_and_save_load_round_trips(tmp_path):
    rng = np.random.default_rng(4)
    model = Sequential(ResidualBlock(2, rng=rng), GlobalAvgPool2D())
    x = rng.standard_normal((4, 2, 3, 3))
    model.forward(x, train=True)
    model.save(tmp_path / "m.npz")
    expected = model.forward(x)
    model.astype(np.float32)
    y = model.forward(x.astype(np.float32), train=True)
    assert y.dtype == np.float32
    assert all(p.dtype == np.float32 for p in model.layers[0].conv2.params.values())
    fresh = Sequential(ResidualBlock(2, rng=np.random.default_rng(9)), GlobalAvgPool2D())
    fresh.load(tmp_path / "m.npz")
    np.testing.assert_allclose(fresh.forward(x), expected, rtol=1e-12)


def test_bad_input_names_the_layer():
    block = ResidualBlock(3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"ResidualBlock\(3\) expects x of shape \(N, 3, H, W\), got \(2, 4, 5, 5\)"):
        block.forward(np.zeros((2, 4, 5, 5)))
    with pytest.raises(ValueError, match="call forward first"):
        block.backward(np.zeros((2, 3, 5, 5)))
    with pytest.raises(ValueError, match="Invalid channels: 0"):
        ResidualBlock(0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"GlobalAvgPool2D\(\) expects x of shape \(N, C, H, W\)"):
        GlobalAvgPool2D().forward(np.zeros((2, 3)))
