"""The batch-normalization explorer: the networks it builds, what it measures, what it draws."""

import numpy as np

from dlbook.explorers.batchnorm import (HIDDEN, activation_stds, batchnorm_explorer, build, readout, run,
                                        train_once)
from dlbook.layers import BatchNorm, Linear, ReLU


def test_build_puts_batchnorm_between_each_linear_and_its_relu():
    net = build(0.01, True, rng=np.random.default_rng(0))
    kinds = [type(layer) for layer in net.layers]
    assert kinds == [Linear, BatchNorm, ReLU] * len(HIDDEN) + [Linear]
    plain = build(0.01, False, rng=np.random.default_rng(0))
    assert [type(layer) for layer in plain.layers] == [Linear, ReLU] * len(HIDDEN) + [Linear]
    W = plain.layers[2].params["W"]  # (50, 50): 2,500 draws from N(0, 0.01^2)
    assert abs(W.std() - 0.01) < 0.001


def test_activation_spread_shrinks_without_batchnorm_and_not_with_it():
    x = np.random.default_rng(1).uniform(0, 1, size=(100, 64))
    plain = activation_stds(build(0.01, False, rng=np.random.default_rng(0)), x)
    assert all(later < 0.1 * earlier for earlier, later in zip(plain, plain[1:]))
    net = build(0.01, True, rng=np.random.default_rng(0))
    normalized = activation_stds(net, x)
    # ReLU of a standard normal has std sqrt(1/2 - 1/(2 pi)) = 0.58.
    np.testing.assert_allclose(normalized, 0.58, atol=0.05)
    for layer in net.layers:  # measuring must not move the running statistics
        if isinstance(layer, BatchNorm):
            np.testing.assert_array_equal(layer.running_mean, 0.0)
            np.testing.assert_array_equal(layer.running_var, 1.0)


def test_batchnorm_rescues_a_tiny_initial_scale():
    result = run(0.01, True)
    with_bn, without = result.chosen, result.other
    assert with_bn.batch_norm and not without.batch_norm
    assert with_bn.train_acc[-1] > 0.9 > 0.2 > without.train_acc[-1]
    assert train_once(0.01, True) is with_bn  # cached: switching the toggle retrains nothing
    text = readout(result)
    assert text.startswith("Weight scale 0.01, with batch normalization: training accuracy")
    assert "Without: training accuracy" in text


def test_the_explorer_draws_both_settings():
    explorer = batchnorm_explorer()
    assert explorer.controls["weight_scale"].static_values() == [0.001, 0.01, 0.1, 0.3, 1.0, 3.0]
    png, text = explorer.render(explorer.result(weight_scale=0.01, batch_norm=False), dpi=50)
    assert png.startswith(b"\x89PNG") and "without batch normalization" in text


def test_at_a_tiny_scale_the_batch_variance_is_comparable_to_eps():
    from dlbook.explorers.batchnorm import bn_input_variances

    tiny, usual = bn_input_variances(0.001), bn_input_variances(0.1)
    assert len(tiny) == len(HIDDEN)
    assert all(1e-6 < v < 1e-4 for v in tiny)  # eps = 1e-5: x_hat's spread sqrt(v / (v + eps)) is well below 1
    assert all(v > 1e-2 for v in usual)
