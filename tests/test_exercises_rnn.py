"""The RNN chapter's checkers accept a right answer and reject the likely wrong ones, naming the mistake."""

import math

import numpy as np
import pytest

from dlbook.exercises.rnn import check_clip_grad_norm, check_lstm_cell_forward, check_rnn_step_backward
from reader_answers import lstm_cell_forward, rnn_step_backward  # right answers, and the slips


def text(result):
    return " ".join(str(result).split())


# ---- one RNN step backward ----

def test_rnn_step_backward_reference_passes():
    assert check_rnn_step_backward(rnn_step_backward).passed


@pytest.mark.parametrize("slip, says", [
    ("no tanh'", "forgot tanh's derivative"),
    ("1 - h", "not 1 - h"),
    ("h for dW_h", "not by h"),
    ("W_h not transposed", "transpose"),
    ("mean", "db"),
])
def test_rnn_step_backward_rejects(slip, says):
    result = check_rnn_step_backward(lambda *a: rnn_step_backward(*a, slip=slip))
    assert not result.passed and says in text(result), text(result)


def test_rnn_step_backward_rejects_a_wrong_count_and_in_place_changes():
    assert "five arrays" in text(check_rnn_step_backward(lambda *a: rnn_step_backward(*a)[:4]))

    def in_place(dh, x, h_prev, h, W_x, W_h):
        dh *= 1 - h * h
        return rnn_step_backward(dh / (1 - h * h), x, h_prev, h, W_x, W_h)
    assert "in place" in text(check_rnn_step_backward(in_place))


# ---- one LSTM step forward ----

def test_lstm_cell_forward_reference_passes():
    assert check_lstm_cell_forward(lstm_cell_forward).passed


@pytest.mark.parametrize("slip, says", [
    ("ifog", "order i, f, g, o"),
    ("no tanh(c)", "goes through tanh"),
    ("no i", "input gate scales the candidate"),
    ("sigmoid g", "the candidate g uses tanh"),
    ("h_prev", "h at index"),
])
def test_lstm_cell_forward_rejects(slip, says):
    result = check_lstm_cell_forward(lambda *a: lstm_cell_forward(*a, slip=slip))
    assert not result.passed and says in text(result), text(result)


# ---- clipping by norm ----

def clip(grads, max_norm, *, slip=None):
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
    if slip == "elementwise":
        for g in grads.values():
            np.clip(g, -max_norm, max_norm, out=g)
        return total
    if slip == "per array":
        for g in grads.values():
            g *= min(1.0, max_norm / np.linalg.norm(g))
        return total
    if slip == "copy":
        return total
    scale = max_norm / total if slip == "always" else min(1.0, max_norm / total)
    for g in grads.values():
        g *= scale
    return max_norm if slip == "after" and total > max_norm else total


def test_clip_grad_norm_reference_passes_with_or_without_pytorch_eps():
    assert check_clip_grad_norm(clip).passed

    def with_eps(grads, max_norm):
        total = math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))
        for g in grads.values():
            g *= min(1.0, max_norm / (total + 1e-6))
        return total
    assert check_clip_grad_norm(with_eps).passed


@pytest.mark.parametrize("slip, says", [
    ("elementwise", "clipped each number"),
    ("per array", "each array by its own norm"),
    ("copy", "scale them in place"),
    ("always", "leave the gradients unchanged"),
    ("after", "norm after clipping"),
])
def test_clip_grad_norm_rejects(slip, says):
    result = check_clip_grad_norm(lambda g, m: clip(g, m, slip=slip))
    assert not result.passed and says in text(result), text(result)
