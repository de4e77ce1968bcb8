"""The logistic-neuron explorer of chapter 2: both runs train, deterministically, and draw."""

import numpy as np

from dlbook.explorers import logistic_neuron as neuron


def test_data_are_separable_at_zero_and_seeded():
    x, y = neuron.toy_data()
    assert x.shape == (16, 1) and y.shape == (16,)
    assert np.all((x[:, 0] > 0) == (y == 1))
    np.testing.assert_array_equal(x, neuron.toy_data()[0])


def test_badly_wrong_start_slows_mse_but_not_cross_entropy():
    state = neuron.step(neuron.init("badly wrong", 1.0), 300)
    assert state.epoch == 300 and state.diverged_at is None
    mse, ce = state.runs["MSE"], state.runs["cross-entropy"]
    assert len(mse.losses) == len(ce.losses) == 301
    assert mse.losses[0] == neuron.init("badly wrong", 1.0).runs["MSE"].losses[0]  # same start each time
    assert neuron.first_all_right(ce) < 20 < 100 < neuron.first_all_right(mse)
    # From the neutral start both learn at once.
    neutral = neuron.step(neuron.init("neutral", 1.0), 5)
    assert all(neuron.first_all_right(run) == 1 for run in neutral.runs.values())


def test_explorer_reads_out_and_draws():
    explorer = neuron.logistic_neuron_explorer(max_epochs=20)
    text = explorer.text(epoch=20)
    assert text.startswith("Epoch 20.") and "MSE: loss" in text and "cross-entropy: loss" in text
    state = explorer.advance(explorer.start(lr=0.5), 10)
    png, readout = explorer.render(state, dpi=40)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and readout.startswith("Epoch 10.")
    # A different start rebuilds the figure (its loss axes differ) and still draws.
    png2, _ = explorer.render(explorer.start(start="neutral"), dpi=40)
    assert png2 != png
