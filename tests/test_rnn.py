"""dlbook.rnn, dlbook.time_layers, dlbook.clipping, dlbook.sequences: gradient checks in float64,
state carried between chunks (truncated BPTT), float32 kept, shape errors, clipping by hand."""

import math

import numpy as np
import pytest

from dlbook.clipping import clip_grad_norm
from dlbook.gradcheck import check_layer, numerical_gradient, relative_error
from dlbook.rnn import GRU, LSTM, RNN
from dlbook.sequences import CharVocab, addition_text, delayed_recall, noisy_sines
from dlbook.time_layers import Embedding, TimeLinear, TimeSoftmaxCrossEntropy

TOL = 1e-7
CELLS = [RNN, LSTM, GRU]


pytestmark = pytest.mark.filterwarnings("error")  # a warning is a failure here


def make(cell, dtype=np.float64, D=3, H=4):
    layer = cell(D, H, rng=np.random.default_rng(0), dtype=dtype)
    for p in layer.params.values():  # larger than the default ±1/sqrt(H): gates away from 0.5
        p *= 2
    return layer


@pytest.mark.parametrize("cell", CELLS)
def test_gradient_check_over_many_steps(cell):
    """W_h is used at every one of the 6 steps: its gradient is the sum over them (BPTT)."""
    layer = make(cell)
    x = np.random.default_rng(1).standard_normal((2, 6, 3))
    errors = check_layer(layer, x)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("cell", CELLS)
def test_input_grad_false_gives_the_same_parameter_gradients_and_no_dx(cell):
    layer = make(cell)
    rng = np.random.default_rng(8)
    x, R = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 4))
    layer.forward(x)
    assert layer.backward(R).shape == x.shape
    full = {name: g.copy() for name, g in layer.grads.items()}
    layer.forward(x)
    assert layer.backward(R, input_grad=False) is None
    for name, g in layer.grads.items():
        np.testing.assert_array_equal(g, full[name])


@pytest.mark.parametrize("cell", CELLS)
def test_gradient_with_respect_to_initial_state(cell):
    layer = make(cell)
    rng = np.random.default_rng(2)
    x, h0 = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4))
    R = rng.standard_normal((2, 5, 4))
    layer.forward(x, h0=h0)
    layer.backward(R)
    analytic = layer.dh0.copy()
    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x, h0=h0) * R)), h0)
    assert relative_error(analytic, numeric) < TOL


def test_lstm_gradient_with_respect_to_initial_cell_state():
    layer = make(LSTM)
    rng = np.random.default_rng(3)
    x, c0 = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4))
    R = rng.standard_normal((2, 4, 4))
    layer.forward(x, c0=c0)
    layer.backward(R)
    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x, c0=c0) * R)), c0)
    assert relative_error(layer.dc0, numeric) < TOL


@pytest.mark.parametrize("cell", CELLS)
def test_chunks_with_carried_state_equal_one_long_sequence(cell):
    layer = make(cell)
    x = np.random.default_rng(4).standard_normal((2, 8, 3))
    whole = layer.forward(x)
    first = layer.forward(x[:, :5])
    state = {"h0": layer.h_n} | ({"c0": layer.c_n} if cell is LSTM else {})
    second = layer.forward(x[:, 5:], **state)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_truncated_bptt_is_the_gradient_of_the_chunk_with_its_start_state_held_fixed(cell):
    """Truncated BPTT: the second chunk starts from the first chunk's state, a constant."""
    layer = make(cell)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 7, 3))
    layer.forward(x[:, :4])
    state = {"h0": layer.h_n} | ({"c0": layer.c_n} if cell is LSTM else {})
    chunk = x[:, 4:].copy()
    R = rng.standard_normal((2, 3, 4))
    layer.forward(chunk, **state)
    dx = layer.backward(R)
    analytic = {name: g.copy() for name, g in layer.grads.items()}

    def loss():
        return float(np.sum(layer.forward(chunk, **state) * R))

    assert relative_error(dx, numerical_gradient(loss, chunk)) < TOL
    for name, p in layer.params.items():
        assert relative_error(analytic[name], numerical_gradient(loss, p)) < TOL, name
    # ... and it differs from the full gradient through all 7 steps, which reaches back further.
    layer.forward(x)
    layer.backward(np.concatenate([np.zeros((2, 4, 4)), R], axis=1))
    assert relative_error(layer.grads["W_h"], analytic["W_h"]) > 1e-3


@pytest.mark.parametrize("cell", CELLS)
def test_float32_is_kept_and_inputs_are_not_modified(cell):
    layer = make(cell, dtype=np.float32)
    x = np.random.default_rng(6).standard_normal((3, 5, 3)).astype(np.float32)
    x_before = x.copy()
    h = layer.forward(x)
    dout = np.ones_like(h)
    dx = layer.backward(dout)
    assert h.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, 1)
    # float32 agrees with float64 on the same weights
    layer64 = make(cell)
    np.testing.assert_allclose(h, layer64.forward(x.astype(np.float64)), atol=1e-5)


@pytest.mark.parametrize("cell", CELLS)
def test_shape_errors_name_the_layer(cell):
    layer = make(cell)
    with pytest.raises(ValueError, match=rf"{cell.__name__}\(3 -> 4\).*\(N, T, 3\)"):
        layer.forward(np.zeros((2, 5, 2)))
    with pytest.raises(ValueError, match=rf"{cell.__name__}\(3 -> 4\).*h0"):
        layer.forward(np.zeros((2, 5, 3)), h0=np.zeros((3, 4)))
    layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=rf"{cell.__name__}\(3 -> 4\).*dout"):
        layer.backward(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="hidden_size"):
        cell(3, 0, rng=np.random.default_rng(0))


def test_rnn_matches_the_formula_step_by_step():
    layer = make(RNN)
    x = np.random.default_rng(7).standard_normal((2, 3, 3))
    W_x, W_h, b = layer.params["W_x"], layer.params["W_h"], layer.params["b"]
    h = np.zeros((2, 4))
    expected = []
    for t in range(3):
        h = np.tanh(x[:, t] @ W_x + h @ W_h + b)
        expected.append(h)
    np.testing.assert_allclose(layer.forward(x), np.stack(expected, axis=1), rtol=1e-12)


def test_lstm_forget_gate_one_and_input_gate_zero_keep_the_cell_state():
    """With f = 1 and i = 0 the cell state is copied unchanged: the additive path."""
    layer = LSTM(2, 3, rng=np.random.default_rng(0))
    for p in layer.params.values():
        p[...] = 0
    layer.params["b"][:3] = -50  # i = sigmoid(-50) ~ 0
    layer.params["b"][3:6] = 50  # f ~ 1
    c0 = np.array([[0.3, -0.2, 0.9]])
    layer.forward(np.random.default_rng(1).standard_normal((1, 20, 2)), c0=c0)
    np.testing.assert_allclose(layer.c_n, c0, rtol=1e-12)


def test_embedding_equals_one_hot_times_the_matrix_and_gradient_check():
    emb = Embedding(5, 3, rng=np.random.default_rng(0))
    ids = np.array([[0, 4, 4], [2, 0, 1]])
    y = emb.forward(ids)
    np.testing.assert_allclose(y, np.eye(5)[ids] @ emb.params["W"], rtol=1e-15)
    R = np.random.default_rng(1).standard_normal(y.shape)
    emb.backward(R)
    numeric = numerical_gradient(lambda: float(np.sum(emb.forward(ids) * R)), emb.params["W"])
    assert relative_error(emb.grads["W"], numeric) < TOL  # id 4 and id 0 appear twice: gradients add
    with pytest.raises(ValueError, match=r"Embedding\(5, 3\).*\[0, 5\)"):
        emb.forward(np.array([[5]]))
    with pytest.raises(ValueError, match=r"Embedding\(5, 3\).*integer"):
        emb.forward(np.array([[0.5]]))
    assert Embedding(5, 3, rng=np.random.default_rng(0), dtype=np.float32).forward(ids).dtype == np.float32


def test_time_linear_gradient_check_float32_and_shape_error():
    layer = TimeLinear(3, 2, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((2, 4, 3))
    assert max(check_layer(layer, x).values()) < TOL
    np.testing.assert_allclose(layer.forward(x)[:, 2], x[:, 2] @ layer.params["W"] + layer.params["b"])
    with pytest.raises(ValueError, match=r"TimeLinear\(3 -> 2\).*\(N, T, 3\)"):
        layer.forward(np.zeros((2, 3)))
    layer32 = TimeLinear(3, 2, rng=np.random.default_rng(0), dtype=np.float32)
    y32 = layer32.forward(x.astype(np.float32))
    assert y32.dtype == layer32.backward(np.ones_like(y32)).dtype == np.float32


def test_time_softmax_cross_entropy_gradient_and_ignore_index():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((2, 3, 4))
    y = np.array([[1, 3, -100], [0, -100, 2]])
    loss_fn = TimeSoftmaxCrossEntropy()
    loss = loss_fn.forward(scores, y)
    counted = y != -100
    log_p = scores - np.log(np.exp(scores).sum(axis=2, keepdims=True))
    expected = -np.mean(log_p[counted, y[counted]])
    assert loss == pytest.approx(expected, rel=1e-12)
    numeric = numerical_gradient(lambda: loss_fn.forward(scores, y), scores)
    loss_fn.forward(scores, y)
    dscores = loss_fn.backward()
    assert relative_error(dscores, numeric) < TOL
    assert np.all(dscores[~counted] == 0)
    with pytest.raises(ValueError, match=r"TimeSoftmaxCrossEntropy.*\(N, T, K\)"):
        loss_fn.forward(scores, y[:, :2])
    with pytest.raises(ValueError, match="ignore_index"):
        loss_fn.forward(scores, np.full((2, 3), -100))
    assert loss_fn.forward(scores.astype(np.float32), y) == pytest.approx(expected, rel=1e-5)
    assert loss_fn.backward().dtype == np.float32


def test_a_whole_model_embedding_lstm_time_linear_gradient_check():
    """Embedding -> LSTM -> TimeLinear -> loss: every parameter through the whole chain."""
    rng = np.random.default_rng(0)
    emb, lstm, head = Embedding(6, 3, rng=rng), LSTM(3, 4, rng=rng), TimeLinear(4, 6, rng=rng)
    loss_fn = TimeSoftmaxCrossEntropy()
    ids = rng.integers(0, 6, size=(2, 5))
    targets = rng.integers(0, 6, size=(2, 5))

    def loss():
        return loss_fn.forward(head.forward(lstm.forward(emb.forward(ids))), targets)

    loss()
    emb.backward(lstm.backward(head.backward(loss_fn.backward())))
    for layer in (emb, lstm, head):
        analytic = {name: g.copy() for name, g in layer.grads.items()}
        for name, p in layer.params.items():
            assert relative_error(analytic[name], numerical_gradient(loss, p)) < TOL, (layer, name)


# ---- clipping ----

def test_clip_grad_norm_by_hand():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[0.0], [4.0]])}  # joint norm 5
    total = clip_grad_norm(grads, max_norm=1.0)
    assert total == 5.0
    scale = 1.0 / (5.0 + 1e-6)  # PyTorch's coefficient, eps in the denominator
    np.testing.assert_allclose(grads["a"], [3 * scale, 0.0], rtol=1e-15)
    np.testing.assert_allclose(grads["b"], [[0.0], [4 * scale]], rtol=1e-15)


def test_clip_grad_norm_below_the_bound_changes_nothing_and_inf_norm():
    grads = {"a": np.array([0.3, -0.4], dtype=np.float32)}
    assert clip_grad_norm(grads, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(grads["a"], np.array([0.3, -0.4], dtype=np.float32))
    grads = {"a": np.array([1.0, -8.0]), "b": np.array([2.0])}
    assert clip_grad_norm(grads, max_norm=2.0, norm_type=math.inf) == 8.0
    np.testing.assert_allclose(grads["a"], np.array([1.0, -8.0]) * 2.0 / (8.0 + 1e-6))
    assert grads["a"].dtype == np.float64


def test_clip_grad_norm_keeps_float32_and_rejects_bad_values():
    grads = {"a": np.full(4, 1e20, dtype=np.float32)}  # squares overflow float32
    assert clip_grad_norm(grads, max_norm=1.0) == pytest.approx(2e20, rel=1e-6)
    assert grads["a"].dtype == np.float32
    np.testing.assert_allclose(grads["a"], 0.5, rtol=1e-6)
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="max_norm"):
            clip_grad_norm({"a": np.ones(2)}, max_norm=bad)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm({"a": np.ones(2)}, max_norm=1.0, norm_type=1.0)


# ---- data ----

def test_generators_are_seeded_and_shaped():
    a = noisy_sines(3, 50, rng=np.random.default_rng(0))
    assert a.shape == (3, 50) and np.all(np.abs(a) < 2)
    np.testing.assert_array_equal(a, noisy_sines(3, 50, rng=np.random.default_rng(0)))
    assert noisy_sines(2, 5, rng=np.random.default_rng(0), dtype=np.float32).dtype == np.float32
    x, y = delayed_recall(100, 6, rng=np.random.default_rng(0))
    assert x.shape == (100, 7)
    np.testing.assert_array_equal(x[:, 0], y)
    assert np.all((x[:, 1:6] >= 4) & (x[:, 1:6] < 8)) and np.all(x[:, 6] == 8)
    text = addition_text(50, rng=np.random.default_rng(0))
    for line in text.splitlines():
        left, right = line.split("=")
        a_, b_ = left.split("+")
        assert int(a_) + int(b_) == int(right)
    vocab = CharVocab("0123456789+=\n")
    assert vocab.decode(vocab.encode(text)) == text
    with pytest.raises(ValueError, match="cannot encode"):
        vocab.encode("1-2")
    with pytest.raises(ValueError, match="delay"):
        delayed_recall(10, 0, rng=np.random.default_rng(0))
