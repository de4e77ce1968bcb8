"""Checkers for the exercises of the chapter "Attention and Transformers".

    check_masked_attention(fn)      fn(q, k, v, mask) -> out: softmax(q kᵀ / sqrt(d)) v with the masked
                                    scores removed (mask True = may attend); q: (N, T_q, d), k: (N, T_k, d),
                                    v: (N, T_k, d_v), mask: (T_q, T_k) booleans
    check_layernorm_backward(fn)    fn(dout, x, gamma, eps) -> (dx, dgamma, dbeta): the backward pass of
                                    y = gamma * (x - mean) / sqrt(var + eps) + beta over each row's D features;
                                    x, dout: (N, D), gamma: (D,)
    check_block_param_count(fn)     fn(d_model, num_heads, dim_feedforward) -> int: the number of parameters of
                                    one pre-norm Transformer block (`dlbook.transformer.TransformerBlock`)

Each checker compares the reader's result with `dlbook` and names the usual mistakes when it
recognizes one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook.attention import scaled_dot_product_attention
from dlbook.exercises import CheckResult, Mismatch, as_numbers, call_on_copies, expect_close, run_checks
from dlbook.transformer import LayerNorm, TransformerBlock

__all__ = ["check_masked_attention", "check_layernorm_backward", "check_block_param_count"]


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _attention_mistakes(q, k, v, mask):
    """What the usual slips give: (message, out)."""
    d = q.shape[-1]
    S = q @ np.swapaxes(k, -1, -2)
    masked = np.where(mask, S / np.sqrt(d), -np.inf)
    after = _softmax(S / np.sqrt(d)) * mask
    return [
        ("divide the scores by sqrt(d) (here sqrt of the query/key size), not leave them unscaled",
         _softmax(np.where(mask, S, -np.inf)) @ v),
        ("divide the scores by sqrt(d), not by d", _softmax(np.where(mask, S / d, -np.inf)) @ v),
        ("the softmax runs over the keys (the last axis), so each query's weights sum to 1",
         _softmax(masked, axis=-2) @ v if np.all(np.isfinite(_softmax(masked, axis=-2))) else None),
        ("the mask was not applied: a masked key must get weight 0", _softmax(S / np.sqrt(d)) @ v),
        ("mask True means the query MAY attend to that key; the mask was used the other way round",
         _softmax(np.where(~mask, S / np.sqrt(d), -np.inf)) @ v if np.all((~mask).any(-1)) else None),
        ("multiplying a score by 0 leaves exp(0) = 1 in the softmax: set masked scores to -inf before it",
         _softmax(S / np.sqrt(d) * mask) @ v),
        ("zeroing weights after the softmax leaves rows that no longer sum to 1: mask before the softmax",
         after @ v),
    ]


def check_masked_attention(fn: Callable) -> CheckResult:
    """Check ``fn(q, k, v, mask) -> out`` against `dlbook.attention.scaled_dot_product_attention`."""
    rng = np.random.default_rng(21)

    def attempt(N: int, T_q: int, T_k: int, d: int, d_v: int, causal: bool) -> None:
        q, k = rng.standard_normal((N, T_q, d)) * 1.5, rng.standard_normal((N, T_k, d)) * 1.5
        v = rng.standard_normal((N, T_k, d_v))
        if causal:
            mask = np.tri(T_q, T_k, dtype=bool)
        else:
            mask = rng.random((T_q, T_k)) < 0.6
            mask[np.arange(T_q), rng.integers(0, T_k, T_q)] = True  # every query keeps a key
        expected, _ = scaled_dot_product_attention(q, k, v, mask)
        with np.errstate(all="ignore"):
            got = call_on_copies(fn, q, k, v, mask, names=("q", "k", "v", "mask"))
        got = as_numbers(got, "out")
        if got.shape != expected.shape:
            raise Mismatch(f"out should have shape {expected.shape} (N, T_q, d_v), got {got.shape}")
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            return
        if not np.all(np.isfinite(got)):
            raise Mismatch("the output has NaN or infinite values: subtract each row's maximum score before exp, "
                           "and keep at least the allowed keys finite")
        with np.errstate(all="ignore"):
            for message, wrong in _attention_mistakes(q, k, v, mask):
                if wrong is not None and np.allclose(got, wrong, rtol=1e-6, atol=1e-9):
                    raise Mismatch(message)
        expect_close(got, expected, what="out")

    return run_checks("masked_attention", {
        "causal mask, N=2, T=5, d=4": lambda: attempt(2, 5, 5, 4, 3, True),
        "random mask, 3 queries over 6 keys, d=8": lambda: attempt(2, 3, 6, 8, 2, False),
        "one sequence, causal, d=16": lambda: attempt(1, 4, 4, 16, 5, True),
    })


def _layernorm_mistakes(dout, x, gamma, eps):
    """What the usual slips give: (message, (dx, dgamma, dbeta))."""
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    g = dout * gamma
    full = inv * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    mean0, var0 = x.mean(axis=0), x.var(axis=0)
    inv0, x_hat0 = 1 / np.sqrt(var0 + eps), (x - mean0) / np.sqrt(var0 + eps)
    batch = inv0 * (g - g.mean(axis=0) - x_hat0 * (g * x_hat0).mean(axis=0))
    return [
        ("dx misses the paths through the row's mean and variance: each x_i moves them too "
         "(dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)))", (g * inv, dgamma, dbeta)),
        ("the means in dx are over each row's features (axis 1), not over the batch (that is BatchNorm)",
         (batch, dgamma, dbeta)),
        ("dx_hat = dout * gamma: the scale gamma was left out of dx",
         (inv * (dout - dout.mean(axis=1, keepdims=True) - x_hat * (dout * x_hat).mean(axis=1, keepdims=True)),
          dgamma, dbeta)),
        ("dgamma = sum over the batch of dout * x_hat, not of dout alone", (full, dbeta, dbeta)),
        ("the variance path is missing: dx = inv_std * (dx_hat - mean(dx_hat)) forgets how x moves the variance",
         (inv * (g - g.mean(axis=1, keepdims=True)), dgamma, dbeta)),
    ]


def check_layernorm_backward(fn: Callable) -> CheckResult:
    """Check ``fn(dout, x, gamma, eps) -> (dx, dgamma, dbeta)`` against `dlbook.transformer.LayerNorm`."""
    rng = np.random.default_rng(22)
    names = ("dx", "dgamma", "dbeta")

    def attempt(N: int, D: int, eps: float) -> None:
        x, dout = rng.standard_normal((N, D)) * 2 + 1, rng.standard_normal((N, D))
        gamma = rng.standard_normal(D)
        ln = LayerNorm(D, eps=eps)
        ln.params["gamma"][:] = gamma
        ln.forward(x)
        expected = (ln.backward(dout), ln.grads["gamma"], ln.grads["beta"])
        got = call_on_copies(fn, dout, x, gamma, eps, names=("dout", "x", "gamma", "eps"))
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise Mismatch("return three arrays: (dx, dgamma, dbeta)")
        got = [as_numbers(g, name) for g, name in zip(got, names)]
        for name, g, e in zip(names, got, expected):
            if g.shape != e.shape:
                raise Mismatch(f"{name} should have shape {e.shape}, got {g.shape}")
        if all(np.allclose(g, e, rtol=1e-6, atol=1e-9) for g, e in zip(got, expected)):
            return
        for message, wrong in _layernorm_mistakes(dout, x, gamma, eps):
            if all(np.allclose(g, w, rtol=1e-6, atol=1e-9) for g, w in zip(got, wrong)):
                raise Mismatch(message)
        for name, g, e in zip(names, got, expected):
            expect_close(g, e, what=name)

    return run_checks("layernorm_backward", {
        "N=4, D=5": lambda: attempt(4, 5, 1e-5),
        "N=3, D=8, eps=0.1": lambda: attempt(3, 8, 0.1),
        "N=6, D=3": lambda: attempt(6, 3, 1e-5),
    })


def check_block_param_count(fn: Callable) -> CheckResult:
    """Check ``fn(d_model, num_heads, dim_feedforward) -> int`` against a built `TransformerBlock`."""

    def attempt(D: int, h: int, F: int) -> None:
        block = TransformerBlock(D, h, F, rng=np.random.default_rng(0))
        expected = sum(p.size for p in block.params.values())
        got = as_numbers(fn(D, h, F), "the count")
        if got.size != 1:
            raise Mismatch(f"return one number, got an array of shape {got.shape}")
        n = float(got.reshape(()))
        if n == expected:
            return
        attn, ffn, norms = 4 * D * D + 4 * D, 2 * D * F + F + D, 4 * D
        slips = [
            (4 * D * D + 2 * D * F + norms, "every Linear has a bias too: the attention's 4 and the feed-forward's 2"),
            (4 * D * D + 2 * D * F, "weights alone: every Linear has a bias too, and each LayerNorm a gamma and "
                                    "a beta"),
            (attn + ffn, "the two LayerNorms have parameters: gamma and beta, D each"),
            (h * attn + ffn + norms, "the heads share W_q, W_k, W_v: each head uses D/h of the columns, "
                                     "so the count does not grow with the heads"),
            (3 * D * D + 3 * D + ffn + norms, "the output projection W_o (D x D, and its bias) is part of attention"),
            (attn + D * F + F + norms, "the feed-forward network has two Linear layers, D -> F and F -> D"),
            (attn + 2 * D * F + norms, "each Linear of the feed-forward network has a bias (F and D numbers)"),
        ]
        for wrong, message in slips:
            if n == wrong:
                raise Mismatch(message)
        raise Mismatch(f"expected {expected:,} parameters, got {n:,.0f}")

    return run_checks("block_param_count", {
        "d_model 128, 4 heads, FFN 512": lambda: attempt(128, 4, 512),
        "d_model 32, 2 heads, FFN 64": lambda: attempt(32, 2, 64),
        "d_model 12, 3 heads, FFN 20": lambda: attempt(12, 3, 20),
    })
