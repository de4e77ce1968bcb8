"""The universal-approximation explorer: the fit is what it says, and more units fit better."""

import numpy as np
import pytest

from dlbook.explorers.approximation import ACTIVATIONS, TARGETS, approximation_explorer, fit, hidden_layer


def test_output_is_the_sum_of_the_units_shares():
    result = fit(7, "tanh", "sine")
    assert result.contributions.shape == (7, result.x.size)
    np.testing.assert_allclose(result.contributions.sum(axis=0) + result.a0, result.y_hat, atol=1e-12)
    # The shares are the hidden layer's outputs times the output weights.
    h = np.tanh(np.outer(result.x, result.w) + result.b)
    np.testing.assert_allclose(h * result.a, result.contributions.T, atol=1e-12)


def test_hidden_units_are_centered_inside_the_interval_with_alternating_slopes():
    w, b = hidden_layer(3)
    np.testing.assert_allclose(-b / w, [-0.5, 0.0, 0.5], atol=1e-12)
    assert np.all(np.sign(w) == [1, -1, 1])
    with pytest.raises(ValueError, match="Invalid units"):
        hidden_layer(0)


def test_least_squares_beats_any_nudge_of_the_output_weights():
    result = fit(5, "relu", "|x|")
    hidden = np.maximum(np.outer(result.x, result.w) + result.b, 0)  # (M, N) relu units
    design = np.column_stack([hidden, np.ones_like(result.x)])
    coef = np.append(result.a, result.a0)
    best = np.mean((design @ coef - result.target) ** 2)
    rng = np.random.default_rng(0)
    for _ in range(20):
        nudged = coef + 1e-3 * rng.normal(size=coef.size)
        assert np.mean((design @ nudged - result.target) ** 2) > best


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "step"])
def test_more_units_fit_the_sine_better(activation):
    errors = [fit(n, activation, "sine").rms_error for n in (5, 10, 20, 40)]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:]))
    assert errors[-1] < 0.08


def test_linear_units_always_give_the_best_straight_line():
    x = np.linspace(-1, 1, 200)
    slope, intercept = np.polyfit(x, np.sin(2 * np.pi * x), 1)
    for n in (1, 4, 40):
        np.testing.assert_allclose(fit(n, "linear", "sine").y_hat, slope * x + intercept, atol=1e-9)


def test_bad_names_are_rejected():
    with pytest.raises(ValueError, match="Invalid activation"):
        fit(3, "softplus", "sine")
    with pytest.raises(ValueError, match="Invalid target"):
        fit(3, "relu", "cosine")


def test_explorer_renders_every_choice_and_states_the_error():
    explorer = approximation_explorer(max_units=6)
    assert set(explorer.controls["activation"].choices) == set(ACTIVATIONS)
    assert set(explorer.controls["target"].choices) == set(TARGETS)
    png, text = explorer.render(explorer.result(units=6, activation="relu", target="jump"))
    assert png.startswith(b"\x89PNG")
    assert text == f"6 hidden relu units fitting the jump target: RMS error {fit(6, 'relu', 'jump').rms_error:.3f}."
    assert explorer.text(units=1).startswith("1 hidden sigmoid unit fitting")
