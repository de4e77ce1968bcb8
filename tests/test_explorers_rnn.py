"""The explorers of the RNN chapter: gradient flow through time, the memory trainer, the text sampler."""

import numpy as np
import pytest

from dlbook.explorers import gradient_flow as flow
from dlbook.explorers import memory_trainer as memory
from dlbook.explorers import text_sampler as text
from dlbook.static import explorer_html


def test_gradient_flow_vanishes_through_the_rnn_and_an_open_forget_gate_keeps_it():
    rnn = flow.gradient_through_time("RNN", 100, 1.0)
    assert rnn.norms.shape == (100,) and rnn.ratio < 1e-10
    lstm_open = flow.gradient_through_time("LSTM", 100, 1.0, gate_bias=3.0)
    assert 1e-2 < lstm_open.ratio < 1e2
    assert flow.gradient_through_time("LSTM", 100, 1.0).ratio < 1e-10  # closed-ish gate (f ~ 0.5): vanishes
    assert "vanishing" in flow.describe(rnn)
    with pytest.raises(ValueError, match="Invalid cell"):
        flow.gradient_through_time("CNN", 10)


def test_gradient_flow_explorer_draws_and_fits_its_budget():
    explorer = flow.gradient_flow_explorer()
    png, readout = explorer.render(explorer.result(cell="GRU", length=30, weight_scale=2.0, gate_bias=3.0))
    assert png.startswith(b"\x89PNG") and readout.startswith("GRU, 30 steps, weight scale 2")
    assert len(explorer_html(explorer)) < 2_000_000


def test_memory_model_gradient_check_float64_path():
    """The model's backward (zeros except at the last step) agrees with central differences."""
    from dlbook.gradcheck import numerical_gradient, relative_error
    from dlbook.losses import SoftmaxCrossEntropy

    model = memory.MemoryModel("GRU", rng=np.random.default_rng(0))
    # Without the open gate: with it, W_h's gradient is tiny and central differences only see round-off.
    model.recurrent.params["b"][memory.HIDDEN : 2 * memory.HIDDEN] -= memory.GATE_BIAS
    for layer in model.layers.values():
        for k in layer.params:
            layer.params[k] = layer.params[k].astype(np.float64)
    x, y = memory.delayed_recall(3, 4, rng=np.random.default_rng(1))
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(model.forward(x).astype(np.float64), y)
    model.backward(loss_fn.backward())
    grads = {k: g.copy() for k, g in model.grads().items()}
    for name, p in model.params().items():
        numeric = numerical_gradient(lambda: loss_fn.forward(model.forward(x), y), p)
        assert relative_error(grads[name], numeric) < 1e-6, name


def test_memory_trainer_learns_a_short_delay_records_and_reads_out():
    state = memory.train_memory("LSTM", 5, epochs=2)
    h = state.history
    assert state.epoch == 2 and h["epoch"] == [0, 1, 2] and len(h["val_acc"]) == 3
    assert h["val_acc"][-1] > 0.9 and state.diverged_at is None
    assert memory.readout(state).startswith("LSTM, delay 5, epoch 2 (50 batches): validation accuracy")
    again = memory.train_memory("LSTM", 5, epochs=2)  # seeded: the same curve (here from the cache)
    assert again.history == h and again is not state


def test_memory_trainer_explorer_draws():
    explorer = memory.memory_explorer(max_epochs=2)
    state = explorer.advance(explorer.start(cell="RNN", delay=5, lr=0.01, clip=False), 1)
    png, readout = explorer.render(state)
    assert png.startswith(b"\x89PNG") and readout.startswith("RNN, delay 5, epoch 1")


def test_text_model_sampling_and_scoring():
    assert text.score_lines("12+3=15\n1+1=3\n=+4\n7+") == (3, 2, 1)
    model = text.CharModel(rng=np.random.default_rng(0))
    a = text.sample(model, 30, temperature=1.0, rng=np.random.default_rng(1))
    assert len(a) == 30 and set(a) <= set(text.VOCAB.chars)
    assert a == text.sample(model, 30, temperature=1.0, rng=np.random.default_rng(1))
    cold = text.sample(model, 20, temperature=1e-3, rng=np.random.default_rng(2))
    assert cold == text.sample(model, 20, temperature=1e-3, rng=np.random.default_rng(3))  # ~ argmax
    with pytest.raises(ValueError, match="temperature"):
        text.sample(model, 5, temperature=0.0, rng=np.random.default_rng(0))
    train, val, test = text.texts()
    assert len({train, val, test}) == 3


def test_text_training_lowers_the_validation_loss_and_learns_the_format():
    run = text.train_text(epochs=2)
    assert len(run.snapshots) == 3 and run.val_loss[2] < run.val_loss[0] - 0.5
    sampled = text.sample(run.snapshots[2], 100, temperature=0.5, rng=np.random.default_rng(0))
    lines, formed, _correct = text.score_lines(sampled)
    assert lines >= 5 and formed >= 0.8 * lines


def test_memory_trainer_learning_rate_is_hot_and_a_changed_run_is_not_cached():
    explorer = memory.memory_explorer(max_epochs=3)
    assert explorer.hot == {"lr"}
    state = explorer.advance(explorer.start(cell="LSTM", delay=5, lr=0.01, clip=True), 1)
    adam = state.optimizer
    state = explorer.adjust(state, lr=0.001)
    assert state.optimizer is adam and adam.lr == 0.001 and adam.t  # Adam keeps its moments and step count
    assert [c.label for c in state.changes] == ["lr 0.01 → 0.001"]
    state = explorer.advance(state, 2)
    assert state.epoch == 3 and state.optimizer.lr == 0.001
    assert "Changed while training: lr 0.01 → 0.001 at epoch 1." in memory.readout(state)
    plain = memory.train_memory("LSTM", 5, lr=0.001, epochs=3)  # a run at 0.001 from the start differs
    assert plain.history["loss"] != state.history["loss"]
    png, _ = explorer.render(state)
    assert png.startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="Cannot change"):
        explorer.adjust(state, delay=10)
