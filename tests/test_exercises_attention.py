"""The attention chapter's checkers: more slips than the shared wrong-answer table, and inputs left unchanged."""

import numpy as np
import pytest

from dlbook.exercises import attention as att

pytestmark = pytest.mark.filterwarnings("error")


def softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention(q, k, v, mask):
    S = np.where(mask, q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), -np.inf)
    return softmax(S) @ v


def text(result):
    return " ".join(str(result).split())


def test_reference_attention_passes_and_more_slips_are_named():
    assert att.check_masked_attention(attention).passed

    def inverted(q, k, v, mask):
        return attention(q, k, v, ~mask | np.eye(*mask.shape, dtype=bool))

    def zero_after(q, k, v, mask):
        return softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])) * mask @ v

    assert "mask before the softmax" in text(att.check_masked_attention(zero_after))
    assert not att.check_masked_attention(inverted).passed

    def in_place(q, k, v, mask):
        q /= np.sqrt(q.shape[-1])
        return attention(q * np.sqrt(q.shape[-1]), k, v, mask)

    assert not att.check_masked_attention(in_place).passed


def test_layernorm_dgamma_slip_and_wrong_shapes():
    def backward(dout, x, gamma, eps):
        mean, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
        inv = 1 / np.sqrt(var + eps)
        x_hat, g = (x - mean) * inv, dout * gamma
        dx = inv * (g - g.mean(1, keepdims=True) - x_hat * (g * x_hat).mean(1, keepdims=True))
        return dx, (dout * x_hat).sum(0), dout.sum(0)

    assert att.check_layernorm_backward(backward).passed
    assert "not of dout alone" in text(att.check_layernorm_backward(
        lambda *a: (backward(*a)[0], backward(*a)[2], backward(*a)[2])))
    assert "shape" in text(att.check_layernorm_backward(lambda *a: (backward(*a)[0], backward(*a)[1][None], 0 * a[2])))


def test_block_count_slips():
    def count(D, h, F, ffn_layers=2):
        ffn = 2 * D * F + F + D if ffn_layers == 2 else D * F + F  # one layer: D -> F only
        return 4 * D * D + 4 * D + ffn + 4 * D

    assert att.check_block_param_count(count).passed
    assert "two Linear layers" in text(att.check_block_param_count(lambda D, h, F: count(D, h, F, 1)))
    assert "W_o" in text(att.check_block_param_count(lambda D, h, F: count(D, h, F) - D * D - D))
    assert "expected 198,272" in text(att.check_block_param_count(lambda D, h, F: 7))
