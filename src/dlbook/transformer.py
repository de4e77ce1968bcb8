"""The pieces of a Transformer around attention: LayerNorm, PositionalEncoding, TransformerBlock.

A pre-norm block (as GPT-2 and PyTorch's ``norm_first=True``) adds two
sublayers to a residual stream, each reading a normalized copy of it:

    x = x + MultiHeadAttention(LayerNorm(x))
    x = x + FeedForward(LayerNorm(x))          FeedForward(u) = ReLU(u W_1 + b_1) W_2 + b_2

The residual additions are the shortcut of the backpropagation chapter: the
gradient reaches x unchanged through them, plus what each sublayer adds.
"""

from __future__ import annotations

import math

import numpy as np

from dlbook.attention import MultiHeadAttention
from dlbook.layers import Layer, Linear, ReLU
from dlbook.validation import as_float, check_float_dtype, number_check

__all__ = ["LayerNorm", "PositionalEncoding", "sinusoidal_encoding", "TransformerBlock"]


class LayerNorm(Layer):
    """Layer normalization: y = gamma * (x - mean) / sqrt(var + eps) + beta over the LAST axis of each row.

    Unlike BatchNorm, the statistics are each position's own (mean and variance of
    its D features), so training and inference compute the same thing and a batch
    of one is fine.

    Args:
        normalized_shape: int, D. eps: float > 0, default 1e-5. dtype: default np.float64.
    Shapes:
        x: (..., D) -> y: (..., D); gamma, beta: (D,).
    """

    hyperparameter_checks = {"eps": number_check(lambda eps: 0 < eps < math.inf, "epsilon value")}

    def __init__(self, normalized_shape: int, *, eps: float = 1e-5, dtype: np.dtype | type = np.float64) -> None:
        super().__init__()
        if not isinstance(normalized_shape, (int, np.integer)) or normalized_shape <= 0:
            raise ValueError(f"Invalid normalized_shape: {normalized_shape}")
        self.normalized_shape, self.eps = int(normalized_shape), eps
        dtype = check_float_dtype(dtype, who=repr(self))
        self.params = {"gamma": np.ones(self.normalized_shape, dtype=dtype),
                       "beta": np.zeros(self.normalized_shape, dtype=dtype)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape})"

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        D = self.normalized_shape
        if not isinstance(x, np.ndarray) or x.ndim < 1 or x.shape[-1] != D:
            raise ValueError(f"{self!r} expected input of shape (..., {D}), got {np.shape(x)}")
        gamma = self.params["gamma"]
        x = as_float(x, who=repr(self)).astype(gamma.dtype, copy=False)
        xc = x - x.mean(axis=-1, keepdims=True)
        var = np.mean(xc * xc, axis=-1, keepdims=True)  # (..., 1), biased as PyTorch
        inv_std = 1 / np.sqrt(var + gamma.dtype.type(self.eps))
        x_hat = xc
        x_hat *= inv_std  # in place: xc is not needed any more
        self.cache = (x_hat, inv_std)
        return x_hat * gamma + self.params["beta"]

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)), means over the last axis.

        The same formula as BatchNorm's, with the mean taken over a row's features
        instead of over the batch: each x_i moves its row's mean and variance too.
        """
        x_hat, inv_std = self.cached()
        self.check_dout(dout, x_hat.shape)
        gamma = self.params["gamma"]
        D = self.normalized_shape
        rows = dout.reshape(-1, D)
        self.grads["beta"] = rows.sum(axis=0).astype(gamma.dtype, copy=False)
        self.grads["gamma"] = np.einsum("nd,nd->d", rows, x_hat.reshape(-1, D)).astype(gamma.dtype, copy=False)
        if not input_grad:
            return None
        dx_hat = dout * gamma
        dx = dx_hat - dx_hat.mean(axis=-1, keepdims=True)
        dx -= x_hat * np.mean(dx_hat * x_hat, axis=-1, keepdims=True)
        dx *= inv_std
        return dx


def sinusoidal_encoding(max_len: int, d_model: int, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """P[t, 2i] = sin(t / 10000^(2i/d)), P[t, 2i+1] = cos(t / 10000^(2i/d)): (max_len, d_model).

    Each pair of columns is a clock at its own frequency, from one turn every
    2π steps down to one every 2π·10000 steps, so every position has its own pattern.
    """
    for name, value in (("max_len", max_len), ("d_model", d_model)):
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"Invalid {name}: {value}")
    t = np.arange(max_len)[:, None]  # (max_len, 1)
    freq = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)  # (ceil(d/2),)
    P = np.zeros((max_len, d_model))
    P[:, 0::2] = np.sin(t * freq)
    P[:, 1::2] = np.cos(t * freq[: d_model // 2])
    return P.astype(dtype)


class PositionalEncoding(Layer):
    """y[n, t] = x[n, t] + P[t]: tells attention, which ignores order, where each token sits.

    Args:
        d_model: int, D. max_len: int, the longest sequence. Default 512.
        learned: bool. False (default): P is the fixed `sinusoidal_encoding`, no parameters.
            True: P is a parameter (max_len, D), drawn N(0, 0.02²) from rng, learned like a weight.
        rng: np.random.Generator, needed when learned. dtype: default np.float64.
    Shapes:
        x: (N, T, D) with T <= max_len -> y: (N, T, D).
    """

    def __init__(self, d_model: int, max_len: int = 512, *, learned: bool = False,
                 rng: np.random.Generator | None = None, dtype: np.dtype | type = np.float64) -> None:
        super().__init__()
        dtype = check_float_dtype(dtype, who="PositionalEncoding")
        self.d_model, self.max_len, self.learned = int(d_model), int(max_len), bool(learned)
        if learned:
            if rng is None:
                raise ValueError("PositionalEncoding(learned=True) needs rng to draw its parameter P")
            self.params = {"P": (0.02 * rng.standard_normal((self.max_len, self.d_model))).astype(dtype)}
            self.grads = {"P": np.zeros_like(self.params["P"])}
            _ = sinusoidal_encoding(max_len, d_model)  # the same checks of max_len and d_model
        else:
            self.P = sinusoidal_encoding(max_len, d_model, dtype)

    def __repr__(self) -> str:
        return f"PositionalEncoding({self.d_model}, max_len={self.max_len}{', learned' if self.learned else ''})"

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        self.check_input_shape(x, ("N", "T", self.d_model))
        T = x.shape[1]
        if T > self.max_len:
            raise ValueError(f"{self!r} got a sequence of length {T} > max_len {self.max_len}")
        self.cache = x.shape
        P = self.params["P"] if self.learned else self.P
        return x + P[:T]

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """dx = dout; dP[t] = the sum of dout[:, t] over the batch (rows past T get 0)."""
        shape = self.cached()
        self.check_dout(dout, shape)
        if self.learned:
            dP = np.zeros_like(self.params["P"])
            dP[: shape[1]] = dout.sum(axis=0)
            self.grads["P"] = dP
        return dout if input_grad else None


class TransformerBlock(Layer):
    """Pre-norm Transformer block: x + MHA(LN1(x)), then + FFN(LN2(·)), FFN = Linear-ReLU-Linear.

    Args:
        d_model: int, D. num_heads: int, divides D. dim_feedforward: int, the FFN's
            hidden width; default 4 * D. causal: bool, the attention's causal mask.
        rng: np.random.Generator. dtype: default np.float64.
    Shapes:
        x: (N, T, D) -> y: (N, T, D). Parameters are the sublayers' own arrays, named
        "ln1.gamma", "attn.W_qkv", "ff1.W", …; ``self.attn.attn_weights`` holds the last weights.
    """

    def __init__(self, d_model: int, num_heads: int, dim_feedforward: int | None = None, *,
                 causal: bool = False, rng: np.random.Generator, dtype: np.dtype | type = np.float64) -> None:
        super().__init__()
        dim_feedforward = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.attn = MultiHeadAttention(d_model, num_heads, causal=causal, rng=rng, dtype=dtype)
        self.d_model = self.attn.embed_dim
        # PyTorch's Linear default (uniform ±1/sqrt(fan_in)) keeps the residual stream's scale.
        def uniform(shape, rng, dtype=np.float64):
            bound = 1 / np.sqrt(shape[0])
            return rng.uniform(-bound, bound, shape).astype(dtype)
        self.sublayers = {
            "ln1": LayerNorm(d_model, dtype=dtype), "attn": self.attn, "ln2": LayerNorm(d_model, dtype=dtype),
            "ff1": Linear(d_model, dim_feedforward, rng=rng, weight_init=uniform, dtype=dtype),
            "relu": ReLU(),
            "ff2": Linear(dim_feedforward, d_model, rng=rng, weight_init=uniform, dtype=dtype),
        }
        self.params = self._named("params")
        self.grads = self._named("grads")

    def _named(self, attr: str) -> dict[str, np.ndarray]:
        return {f"{s}.{k}": a for s, layer in self.sublayers.items() for k, a in getattr(layer, attr).items()}

    def __repr__(self) -> str:
        ff = self.sublayers["ff1"].out_features
        return (f"TransformerBlock({self.d_model}, heads={self.attn.num_heads}, ff={ff}"
                f"{', causal' if self.attn.causal else ''})")

    def forward(self, x: np.ndarray, *, mask: np.ndarray | None = None, train: bool = False) -> np.ndarray:
        self.check_input_shape(x, ("N", "T", self.d_model))
        N, T, D = x.shape
        s = self.sublayers
        x = x + s["attn"].forward(s["ln1"].forward(x), mask=mask)  # (N, T, D), the residual stream
        u = s["ln2"].forward(x).reshape(N * T, D)  # the FFN acts on every position alone
        y = x + s["ff2"].forward(s["relu"].forward(s["ff1"].forward(u))).reshape(N, T, D)
        self.cache = (N, T, D)
        return y

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Each residual passes dout straight through and adds the sublayer's own gradient."""
        N, T, D = self.cached()
        self.check_dout(dout, (N, T, D))
        s = self.sublayers
        du = s["ff1"].backward(s["relu"].backward(s["ff2"].backward(dout.reshape(N * T, D))))
        dx = dout + s["ln2"].backward(du.reshape(N, T, D))  # the gradient at the middle of the stream
        dx = dx + s["ln1"].backward(s["attn"].backward(dx))
        self.grads = self._named("grads")  # the sublayers' backward made new gradient arrays
        return dx if input_grad else None
