"""dlbook.attention and dlbook.transformer: float64 gradient checks (mask, heads, a value used on
several paths), the causal mask's promise, float32 kept, shape errors naming the layer."""


import numpy as np
import pytest

from dlbook.attention import MultiHeadAttention, attention_backward, causal_mask, scaled_dot_product_attention
from dlbook.gradcheck import check_layer, numerical_gradient, relative_error
from dlbook.transformer import LayerNorm, PositionalEncoding, TransformerBlock, sinusoidal_encoding

TOL = 1e-7


pytestmark = pytest.mark.filterwarnings("error")  # a warning is a failure here


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("masked", [False, True])
def test_attention_backward_matches_numerical_gradients(masked):
    q, k, v, R = rand(2, 3, 4, 5, seed=1), rand(2, 3, 6, 5, seed=2), rand(2, 3, 6, 2, seed=3), rand(2, 3, 4, 2)
    mask = rand(2, 1, 4, 6, seed=4) > 0 if masked else None
    if masked:
        mask[..., 0] = True  # every query keeps a key
    out, A = scaled_dot_product_attention(q, k, v, mask)
    grads = attention_backward(R, q, k, v, A)

    def loss():
        return float(np.sum(scaled_dot_product_attention(q, k, v, mask)[0] * R))

    for g, x in zip(grads, (q, k, v)):
        assert g.shape == x.shape
        assert relative_error(g, numerical_gradient(loss, x)) < TOL
    if masked:  # a masked key gets weight 0 and its value no gradient from that query
        assert np.all(A[~np.broadcast_to(mask, A.shape)] == 0)


def test_one_array_as_query_key_and_value_gets_the_sum_of_three_gradients():
    """Self-attention uses x three times: its gradient is dq + dk + dv."""
    x, R = rand(2, 5, 4, seed=5), rand(2, 5, 4, seed=6)
    out, A = scaled_dot_product_attention(x, x, x, causal_mask(5))
    dq, dk, dv = attention_backward(R, x, x, x, A)

    def loss():
        return float(np.sum(scaled_dot_product_attention(x, x, x, causal_mask(5))[0] * R))

    assert relative_error(dq + dk + dv, numerical_gradient(loss, x)) < TOL


def test_attention_by_hand_and_the_scale():
    q, k, v = np.array([[1.0, 0.0]]), np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([[1.0], [3.0]])
    out, A = scaled_dot_product_attention(q, k, v)
    w = np.exp(2 / np.sqrt(2)) / (np.exp(2 / np.sqrt(2)) + 1)
    np.testing.assert_allclose(A, [[w, 1 - w]])
    np.testing.assert_allclose(out, [[w * 1 + (1 - w) * 3]])
    _, A1 = scaled_dot_product_attention(q, k, v, scale=1.0)
    np.testing.assert_allclose(A1[0, 0], np.exp(2) / (np.exp(2) + 1))


def test_causal_mask_hides_the_future():
    np.testing.assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    mha = MultiHeadAttention(8, 2, causal=True, rng=np.random.default_rng(0))
    x = rand(2, 5, 8)
    y = mha.forward(x)
    x2 = x.copy()
    x2[:, 3:] += 10  # change the future of positions 0..2
    np.testing.assert_allclose(mha.forward(x2)[:, :3], y[:, :3])
    assert np.all(np.triu(mha.attn_weights, 1) == 0)
    np.testing.assert_allclose(mha.attn_weights.sum(axis=-1), 1)


def test_a_query_with_no_key_is_an_error():
    with pytest.raises(ValueError, match="no key"):
        scaled_dot_product_attention(rand(2, 3), rand(2, 3), rand(2, 3), np.array([[True, False], [False, False]]))
    with pytest.raises(ValueError, match="attention expected"):
        scaled_dot_product_attention(rand(2, 3), rand(2, 4), rand(2, 3))


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_gradient_check(causal):
    mha = MultiHeadAttention(6, 3, causal=causal, rng=np.random.default_rng(1))
    for p in mha.params.values():
        p += 0.3 * rand(*p.shape, seed=p.size)  # nonzero biases too
    errors = check_layer(mha, rand(2, 4, 6, seed=7))
    assert set(errors) == {"x", "W_qkv", "b_qkv", "W_o", "b_o"}
    assert max(errors.values()) < TOL, errors


def test_multi_head_attention_with_a_padding_mask():
    mha = MultiHeadAttention(4, 2, rng=np.random.default_rng(2))
    keep = np.array([[True, True, True, False], [True, True, False, False]])[:, None, None, :]  # (N, 1, 1, T)
    x = rand(2, 4, 4, seed=8)
    y = mha.forward(x, mask=keep)
    assert np.all(mha.attn_weights[1, :, :, 2:] == 0)
    x2 = x.copy()
    x2[1, 2:] += 5  # padding positions do not change what the others see
    np.testing.assert_allclose(mha.forward(x2, mask=keep)[1, :2], y[1, :2])
    R = rand(2, 4, 4, seed=9)
    mha.forward(x, mask=keep)
    dx = mha.backward(R)
    num = numerical_gradient(lambda: float(np.sum(mha.forward(x, mask=keep) * R)), x)
    assert relative_error(dx, num) < TOL


def test_heads_are_independent_attentions():
    """Two heads of size 2 = attention on columns 0:2 and 2:4 of Q, K, V, side by side."""
    mha = MultiHeadAttention(4, 2, rng=np.random.default_rng(3))
    x = rand(1, 3, 4)
    y = mha.forward(x)
    qkv = x[0] @ mha.params["W_qkv"] + mha.params["b_qkv"]
    q, k, v = qkv[:, :4], qkv[:, 4:8], qkv[:, 8:]
    heads = [scaled_dot_product_attention(q[:, i:i + 2], k[:, i:i + 2], v[:, i:i + 2])[0] for i in (0, 2)]
    np.testing.assert_allclose(y[0], np.hstack(heads) @ mha.params["W_o"] + mha.params["b_o"])


def test_layer_norm_gradient_check_and_statistics():
    ln = LayerNorm(5)
    ln.params["gamma"][:] = rand(5, seed=10)
    ln.params["beta"][:] = rand(5, seed=11)
    x = 3 * rand(2, 3, 5, seed=12) + 1
    errors = check_layer(ln, x)
    assert max(errors.values()) < TOL, errors
    ln2 = LayerNorm(5)
    y = ln2.forward(x)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-4)  # eps shrinks it a little


def test_positional_encodings():
    P = sinusoidal_encoding(50, 6)
    t = 7
    np.testing.assert_allclose(P[t], [np.sin(t), np.cos(t), np.sin(t / 10000 ** (2 / 6)),
                                      np.cos(t / 10000 ** (2 / 6)), np.sin(t / 10000 ** (4 / 6)),
                                      np.cos(t / 10000 ** (4 / 6))])
    assert sinusoidal_encoding(4, 5).shape == (4, 5)  # odd width
    pe = PositionalEncoding(6, 50)
    x = rand(2, 4, 6)
    np.testing.assert_allclose(pe.forward(x), x + P[:4])
    learned = PositionalEncoding(6, 10, learned=True, rng=np.random.default_rng(0))
    errors = check_layer(learned, rand(3, 4, 6))
    assert max(errors.values()) < TOL, errors  # P[t] is used by every sequence of the batch
    assert np.all(learned.grads["P"][4:] == 0)
    with pytest.raises(ValueError, match="max_len"):
        learned.forward(rand(1, 11, 6))
    with pytest.raises(ValueError, match="needs rng"):
        PositionalEncoding(6, learned=True)


@pytest.mark.parametrize("causal", [False, True])
def test_transformer_block_gradient_check(causal):
    block = TransformerBlock(4, 2, 6, causal=causal, rng=np.random.default_rng(4))
    for name, p in block.params.items():
        if "b" in name.split(".")[1] or "gamma" in name:
            p += 0.3 * rand(*p.shape, seed=p.size)
    errors = check_layer(block, rand(2, 3, 4, seed=13))
    assert set(errors) == {"x", *block.params} and len(block.params) == 12
    assert max(errors.values()) < TOL, errors


def test_block_params_are_the_sublayers_arrays_and_grads_follow_backward():
    block = TransformerBlock(8, 2, rng=np.random.default_rng(5))
    assert block.params["attn.W_qkv"] is block.attn.params["W_qkv"]
    assert sum(p.size for p in block.params.values()) == 4 * 8 * 8 + 4 * 8 + 2 * 8 * 32 + 32 + 8 + 4 * 8
    block.forward(rand(2, 3, 8))
    block.backward(rand(2, 3, 8))
    assert block.grads["ff1.W"] is block.sublayers["ff1"].grads["W"]
    assert set(block.grads) == set(block.params)


def test_float32_is_kept_end_to_end():
    f32 = np.float32
    x = rand(2, 5, 8).astype(f32)
    for layer in (MultiHeadAttention(8, 2, causal=True, rng=np.random.default_rng(0), dtype=f32),
                  LayerNorm(8, dtype=f32), PositionalEncoding(8, dtype=f32),
                  PositionalEncoding(8, learned=True, rng=np.random.default_rng(0), dtype=f32),
                  TransformerBlock(8, 2, causal=True, rng=np.random.default_rng(0), dtype=f32)):
        y = layer.forward(x)
        assert y.dtype == f32, layer
        assert layer.backward(np.ones_like(y)).dtype == f32, layer
        assert all(g.dtype == f32 for g in layer.grads.values()), layer


def test_bad_shapes_and_arguments_name_the_layer():
    mha = MultiHeadAttention(8, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"MultiHeadAttention\(8, heads=2\) expected input"):
        mha.forward(rand(2, 5, 6))
    with pytest.raises(ValueError, match="call forward first"):
        MultiHeadAttention(8, 2, rng=np.random.default_rng(0)).backward(rand(2, 5, 8))
    mha.forward(rand(2, 5, 8))
    with pytest.raises(ValueError, match=r"MultiHeadAttention.*dout of shape \(2, 5, 8\)"):
        mha.backward(rand(2, 4, 8))
    with pytest.raises(ValueError, match="does not divide"):
        MultiHeadAttention(8, 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"LayerNorm\(4\) expected input of shape \(\.\.\., 4\)"):
        LayerNorm(4).forward(rand(2, 3))
    with pytest.raises(ValueError, match="Invalid epsilon"):
        LayerNorm(4).eps = 0
    block = TransformerBlock(8, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="TransformerBlock"):
        block.forward(rand(2, 8))
    with pytest.raises(ValueError, match="Invalid sequence length"):
        causal_mask(0)


def test_inputs_are_not_modified():
    x, R = rand(2, 3, 8), rand(2, 3, 8, seed=1)
    x0, R0 = x.copy(), R.copy()
    block = TransformerBlock(8, 2, causal=True, rng=np.random.default_rng(0))
    block.forward(x)
    block.backward(R)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(R, R0)


def test_large_scores_stay_finite():
    q = 1e4 * rand(1, 3, 4)
    out, A = scaled_dot_product_attention(q, q, rand(1, 3, 2))
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(A))
    ln = LayerNorm(4)
    assert np.all(np.isfinite(ln.forward(np.full((2, 4), 1e6))))
