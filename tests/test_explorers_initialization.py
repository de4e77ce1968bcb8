"""The initialization explorer: activations through five layers for each weight scale."""

import math

import numpy as np
import pytest

from dlbook.explorers import initialization as initx


def test_weight_scales():
    assert initx.weight_std("std 1") == 1.0 and initx.weight_std("std 0.01") == 0.01
    assert math.isclose(initx.weight_std("Xavier"), 0.1) and math.isclose(initx.weight_std("He"), math.sqrt(0.02))
    assert initx.weight_std("custom std", 0.3) == 0.3
    with pytest.raises(ValueError, match="Invalid scale"):
        initx.weight_std("huge")


def test_layer_activations_follow_the_recipe_and_are_seeded():
    acts = initx.layer_activations("tanh", 0.1, samples=7, units=5, layers=3, seed=4)
    assert [a.shape for a in acts] == [(7, 5)] * 3
    rng = np.random.default_rng(4)
    a = rng.standard_normal((7, 5))
    for got in acts:
        a = np.tanh(a @ (rng.standard_normal((5, 5)) * 0.1))
        np.testing.assert_allclose(got, a)
    np.testing.assert_array_equal(acts[-1], initx.layer_activations("tanh", 0.1, samples=7, units=5, layers=3,
                                                                    seed=4)[-1])


def test_the_textbook_outcomes():
    spread = {s: initx.spreads(initx.run(s, 0.1, "ReLU")) for s in ("std 0.01", "Xavier", "He", "std 1")}
    assert spread["std 0.01"][-1] < 1e-5 and spread["std 1"][-1] > 1e4
    assert spread["Xavier"][-1] < 0.5 * spread["Xavier"][0]
    assert 0.7 < min(spread["He"]) and max(spread["He"]) < 1.2
    sigmoid_std1 = initx.run("std 1", 0.1, "sigmoid")
    assert initx.saturated(sigmoid_std1.activations[-1], "sigmoid") > 0.5
    assert initx.saturated(initx.run("Xavier", 0.1, "sigmoid").activations[-1], "sigmoid") == 0


def test_explorer_draws_and_reads_out():
    explorer = initx.initialization_explorer()
    # std only matters for "custom std": elsewhere it takes its default, so results are shared.
    assert explorer.settings(scale="He", std=0.5)["std"] == explorer.settings(scale="He")["std"]
    png, text = explorer.render(explorer.result(scale="custom std", std=0.5, activation="ReLU"))
    assert png.startswith(b"\x89PNG")
    assert text.startswith("ReLU, weights std 0.5: std of the activations, layers 1 to 5:")
    assert "exactly 0" in text
    assert "Xavier (std 0.1)" in explorer.text(scale="Xavier", activation="tanh")


def test_weight_gradient_norms_match_central_differences():
    # The same draws as weight_gradient_norms (inputs, then each W), a tiny stack, checked numerically.
    from dlbook import init
    from dlbook.gradcheck import numerical_gradient

    samples, units, layers, std = 3, 4, 3, 0.7
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, units))
    Ws = [init.normal((units, units), rng, std=std) for _ in range(layers)]
    R = np.random.default_rng(1).standard_normal((samples, units)) / samples
    for activation, f in initx.ACTIVATIONS.items():
        def loss():
            a = x
            for W in Ws:
                a = f(a @ W)
            return float(np.sum(a * R))

        expected = [np.linalg.norm(numerical_gradient(loss, W)) for W in Ws]
        got = initx.weight_gradient_norms(activation, std, samples=samples, units=units, layers=layers)
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_the_sigmoid_stack_loses_its_gradient_with_small_weights_not_large_ones():
    ratio = {scale: (lambda n: n[0] / n[-1])(initx.weight_gradient_norms("sigmoid", initx.weight_std(scale)))
             for scale in ("std 1", "Xavier", "std 0.01")}
    assert 0.5 < ratio["std 1"] < 2  # large weights make up for the saturated slopes
    assert 1 / 1000 < ratio["Xavier"] < 1 / 50  # about 0.25 * 0.1 * sqrt(100) = 1/4 per layer
    assert ratio["std 0.01"] < 1e-5  # 0.25 * 0.01 * 10 = 1/40 per layer


def test_unit_spread_tells_per_unit_from_pooled():
    acts = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])  # each unit constant, the two units differ
    assert initx.unit_spread(acts) == (0.0, 0.5)
    xavier = initx.layer_activations("sigmoid", initx.weight_std("Xavier"))[-1]
    per_unit, pooled = initx.unit_spread(xavier)
    assert pooled > 0.1 and per_unit < pooled / 100
