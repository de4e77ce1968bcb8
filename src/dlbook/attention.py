"""Attention: scaled dot-product attention, its backward, and multi-head self-attention.

Attention is a soft dictionary lookup. Each query q is compared with every key
k by a dot product; a softmax turns the scores into weights that sum to 1; the
output is the weighted sum of the values v:

    S = Q Kᵀ / sqrt(d)      A = softmax(S) along the keys      out = A V

A boolean mask (True = may attend, as PyTorch's ``attn_mask``) removes scores
before the softmax: a causal mask lets position t see positions 0..t only.

    out, A = scaled_dot_product_attention(q, k, v, mask=causal_mask(T))
    dq, dk, dv = attention_backward(dout, q, k, v, A)
"""

from __future__ import annotations

import numpy as np

from dlbook.layers import Layer
from dlbook.validation import check_float_dtype

__all__ = ["causal_mask", "scaled_dot_product_attention", "attention_backward", "MultiHeadAttention"]


def causal_mask(T: int) -> np.ndarray:
    """(T, T) booleans, True on and below the diagonal: query t may look at keys 0..t."""
    if not isinstance(T, (int, np.integer)) or T <= 0:
        raise ValueError(f"Invalid sequence length T: {T}")
    return np.tri(T, dtype=bool)


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None,
                                 scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """out = softmax(q kᵀ · scale, masked) v, with scale = 1/sqrt(d) unless given.

    Args:
        q: (..., T_q, d) queries. k: (..., T_k, d) keys. v: (..., T_k, d_v) values.
            Leading axes (batch, heads) broadcast as in np.matmul.
        mask: booleans broadcastable to (..., T_q, T_k), True where the query may
            attend; every query needs at least one key. Default None: all keys.
        scale: float multiplying the scores. Default 1/sqrt(d).
    Returns:
        out: (..., T_q, d_v); A: (..., T_q, T_k), the attention weights (rows sum to 1).
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention expected q (..., T_q, d), k (..., T_k, d), v (..., T_k, d_v); "
                         f"got {q.shape}, {k.shape}, {v.shape}")
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    S = np.matmul(q, np.swapaxes(k, -1, -2))  # (..., T_q, T_k)
    S *= S.dtype.type(scale)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any(axis=-1).all():
            raise ValueError("attention mask leaves a query with no key to attend to")
        # -inf is exact: exp(-inf) = 0, so a masked key gets weight 0 and no gradient.
        S = np.where(mask, S, S.dtype.type(-np.inf))
    S -= S.max(axis=-1, keepdims=True)  # softmax without overflow, in place
    A = np.exp(S, out=S)
    A /= A.sum(axis=-1, keepdims=True)
    return np.matmul(A, v), A


def attention_backward(dout: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, A: np.ndarray,
                       scale: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three gradients of out = A v with A = softmax(q kᵀ · scale):

        dv = Aᵀ dout      dA = dout vᵀ      dS = A ⊙ (dA - rowsum(dA ⊙ A))   (softmax's backward)
        dq = dS k · scale      dk = dSᵀ q · scale

    A masked key has A = 0, so dS = 0 there: the mask needs no extra step.
    Args are forward's inputs and its A; returns dq, dk, dv (the shapes of q, k, v;
    summed over any axis that was broadcast).
    """
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    dv = np.matmul(np.swapaxes(A, -1, -2), dout)  # (..., T_k, d_v)
    dA = np.matmul(dout, np.swapaxes(v, -1, -2))  # (..., T_q, T_k)
    dS = dA - (dA * A).sum(axis=-1, keepdims=True)
    dS *= A
    dS *= dS.dtype.type(scale)
    dq = np.matmul(dS, k)  # (..., T_q, d)
    dk = np.matmul(np.swapaxes(dS, -1, -2), q)  # (..., T_k, d)
    return _unbroadcast(dq, q.shape), _unbroadcast(dk, k.shape), _unbroadcast(dv, v.shape)


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum g over the axes where an input of `shape` was broadcast, so g gets that shape."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


class MultiHeadAttention(Layer):
    """Multi-head self-attention: h heads, each attending in its own d_k = D / h dimensions.

        [Q K V] = x W_qkv + b_qkv           (one product for all three; then split into heads)
        head_i  = attention(Q_i, K_i, V_i)  (for all heads at once: arrays (N, h, T, d_k))
        y       = concat(head_1..head_h) W_o + b_o

    Args:
        embed_dim: int, D (PyTorch's name). num_heads: int, h, must divide D.
        causal: bool, mask the future (position t attends to 0..t). Default False.
        rng: np.random.Generator; weights Xavier-uniform as PyTorch, biases zero.
        dtype: default np.float64.
    Shapes:
        x: (N, T, D) -> y: (N, T, D); W_qkv: (D, 3D), b_qkv: (3D,), W_o: (D, D), b_o: (D,).
        After forward, ``self.attn_weights``: (N, h, T, T), each head's weights (for heatmaps).
    """

    def __init__(self, embed_dim: int, num_heads: int, *, causal: bool = False, rng: np.random.Generator,
                 dtype: np.dtype | type = np.float64) -> None:
        super().__init__()
        for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Invalid {name}: {value}")
        if embed_dim % num_heads:
            raise ValueError(f"Invalid num_heads: {num_heads} does not divide embed_dim {embed_dim}")
        dtype = check_float_dtype(dtype, who="MultiHeadAttention")
        self.embed_dim, self.num_heads, self.causal = int(embed_dim), int(num_heads), bool(causal)
        D = self.embed_dim
        # Xavier uniform, as PyTorch's in_proj_weight (fan-in D, fan-out 3D) and a plain D x D out_proj.
        b_in, b_out = np.sqrt(6 / (D + 3 * D)), np.sqrt(6 / (2 * D))
        self.params = {
            "W_qkv": rng.uniform(-b_in, b_in, (D, 3 * D)).astype(dtype),
            "b_qkv": np.zeros(3 * D, dtype=dtype),
            "W_o": rng.uniform(-b_out, b_out, (D, D)).astype(dtype),
            "b_o": np.zeros(D, dtype=dtype),
        }
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.attn_weights: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"MultiHeadAttention({self.embed_dim}, heads={self.num_heads}{', causal' if self.causal else ''})"

    def forward(self, x: np.ndarray, *, mask: np.ndarray | None = None, train: bool = False) -> np.ndarray:
        """mask: optional booleans broadcastable to (N, h, T, T), True = may attend; combined with causal."""
        self.check_input_shape(x, ("N", "T", self.embed_dim))
        N, T, D = x.shape
        h = self.num_heads
        W_qkv = self.params["W_qkv"]
        x = x.astype(W_qkv.dtype, copy=False)
        qkv = x.reshape(N * T, D) @ W_qkv  # (N*T, 3D)
        qkv += self.params["b_qkv"]
        qkv = qkv.reshape(N, T, 3, h, D // h).transpose(2, 0, 3, 1, 4)  # (3, N, h, T, d_k)
        q, k, v = qkv  # each (N, h, T, d_k), views
        if self.causal:
            mask = causal_mask(T) if mask is None else np.logical_and(mask, causal_mask(T))
        heads, A = scaled_dot_product_attention(q, k, v, mask)  # (N, h, T, d_k), (N, h, T, T)
        concat = heads.transpose(0, 2, 1, 3).reshape(N * T, D)  # (N*T, D): heads side by side
        y = concat @ self.params["W_o"]
        y += self.params["b_o"]
        self.cache = (x, qkv, A, concat)
        self.attn_weights = A
        return y.reshape(N, T, D)

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Mirror of forward: through W_o, the heads' attention (attention_backward), then W_qkv."""
        x, qkv, A, concat = self.cached()
        N, T, D = x.shape
        self.check_dout(dout, (N, T, D))
        h = self.num_heads
        W_o, W_qkv = self.params["W_o"], self.params["W_qkv"]
        dy = dout.reshape(N * T, D).astype(W_o.dtype, copy=False)
        self.grads["W_o"] = concat.T @ dy  # (D, D)
        self.grads["b_o"] = dy.sum(axis=0)
        dheads = (dy @ W_o.T).reshape(N, T, h, D // h).transpose(0, 2, 1, 3)  # (N, h, T, d_k)
        dq, dk, dv = attention_backward(dheads, *qkv, A)
        dqkv = np.stack((dq, dk, dv)).transpose(1, 3, 0, 2, 4).reshape(N * T, 3 * D)  # (N*T, 3D)
        self.grads["W_qkv"] = x.reshape(N * T, D).T @ dqkv  # (D, 3D)
        self.grads["b_qkv"] = dqkv.sum(axis=0)
        return (dqkv @ W_qkv.T).reshape(N, T, D) if input_grad else None
