"""Recurrent layers over whole sequences: RNN, LSTM and GRU, x: (N, T, D) -> h: (N, T, H).

Each layer runs the same cell at every time step t = 1..T, feeding the hidden
state h_t back in at step t + 1, so one weight matrix W_h is used T times and
its gradient is the sum over the steps (backpropagation through time, BPTT).

    h = layer.forward(x, h0=None)   # h: (N, T, H); the last state also in layer.h_n
    dx = layer.backward(dh)         # fills layer.grads; dL/dh0 in layer.dh0

Truncated BPTT: cut a long sequence into chunks and pass each chunk the
previous chunk's last state, ``h0=layer.h_n``. The state flows forward across
the cut; the gradient stops at it (``h0`` is treated as a constant input, as
PyTorch's ``h.detach()``), so backward never runs further back than one chunk.

Layout: the weights act on rows, as `Linear`'s ``x W + b``; the gates of the
LSTM (i, f, g, o) and GRU (r, z, n) sit side by side in one matrix, in
PyTorch's order, so one product computes all of them. Inside, arrays are kept
time-major, (T, N, ...), so that the slice of one step is contiguous.
"""

from __future__ import annotations

import numpy as np

from dlbook.layers import Layer

__all__ = ["RNN", "LSTM", "GRU"]


def sigmoid_(a: np.ndarray) -> np.ndarray:
    """sigmoid(a) = (1 + tanh(a / 2)) / 2, computed IN PLACE in a (stable: tanh never overflows)."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1
    a *= 0.5
    return a


class _Recurrent(Layer):
    """What RNN, LSTM and GRU share: weights, input checks, the time-major input projection."""

    n_gates = 1

    def __init__(self, input_size: int, hidden_size: int, *, rng: np.random.Generator,
                 dtype: np.dtype | type = np.float64) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Invalid {name}: {value}")
        self.input_size, self.hidden_size = D, H = int(input_size), int(hidden_size)
        G = self.n_gates * H
        # PyTorch's default: every weight and bias uniform in [-1/sqrt(H), 1/sqrt(H)].
        bound = 1.0 / np.sqrt(H)
        self.params = {
            "W_x": rng.uniform(-bound, bound, (D, G)).astype(dtype),
            "W_h": rng.uniform(-bound, bound, (H, G)).astype(dtype),
            "b": rng.uniform(-bound, bound, G).astype(dtype),
        }
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.h_n: np.ndarray | None = None
        self.dh0: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.input_size} -> {self.hidden_size})"

    def _start(self, x: np.ndarray, h0: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Check shapes; return x time-major (T, N, D), x W_x + b for every step (T, N, G), and h0 (N, H)."""
        self.check_input_shape(x, ("N", "T", self.input_size))
        N, T, D = x.shape
        W_x = self.params["W_x"]
        dtype = W_x.dtype
        if h0 is None:
            h0 = np.zeros((N, self.hidden_size), dtype=dtype)
        elif h0.shape != (N, self.hidden_size):
            raise ValueError(f"{self!r} expected h0 of shape ({N}, {self.hidden_size}), got {h0.shape}")
        x_tm = x.transpose(1, 0, 2).astype(dtype)  # (T, N, D), a time-major copy
        # The input part of every step in one product: (T*N, D) @ (D, G).
        xw = x_tm.reshape(T * N, D) @ W_x
        xw += self.params["b"]
        return x_tm, xw.reshape(T, N, -1), h0.astype(dtype, copy=False)

    def _finish_backward(self, x_tm: np.ndarray, h_prev: np.ndarray, dA: np.ndarray,
                         dHW: np.ndarray | None = None, input_grad: bool = True) -> np.ndarray | None:
        """Sum the weight gradients over all steps in one product each; return dx (N, T, D) or None.

        x_tm: (T, N, D) inputs; h_prev: (T, N, H) the state each step read;
        dA: (T, N, G) the gradient at x W_x + b; dHW: the gradient at h_{t-1} W_h
        where it differs from dA (the GRU's candidate), else None.
        """
        T, N, G = dA.shape
        dA2 = dA.reshape(T * N, G)
        dHW2 = dA2 if dHW is None else dHW.reshape(T * N, G)
        self.grads["W_x"] = x_tm.reshape(T * N, -1).T @ dA2  # (D, G)
        self.grads["W_h"] = h_prev.reshape(T * N, -1).T @ dHW2  # (H, G)
        self.grads["b"] = dA2.sum(axis=0)  # (G,)
        if not input_grad:
            return None
        dx = (dA2 @ self.params["W_x"].T).reshape(T, N, -1)  # (T, N, D)
        return dx.transpose(1, 0, 2)  # (N, T, D)

    def _check_dout(self, dh: np.ndarray) -> None:
        if self.cache is None:
            raise ValueError(f"{self!r}: backward called before forward")
        T, N = self.cache[0].shape[:2]
        if dh.shape != (N, T, self.hidden_size):
            raise ValueError(f"{self!r} expected dout of shape ({N}, {T}, {self.hidden_size}), got {dh.shape}")


class RNN(_Recurrent):
    """Plain (Elman) recurrent layer: h_t = tanh(x_t W_x + h_{t-1} W_h + b).

    Args:
        input_size: int, D. hidden_size: int, H.
        rng: np.random.Generator, draws the weights (uniform in ±1/sqrt(H), as PyTorch).
        dtype: dtype of the weights and of every computation. Default np.float64.
    Shapes:
        x: (N, T, D), h0: (N, H) or None (zeros) -> h: (N, T, H);
        W_x: (D, H), W_h: (H, H), b: (H,).
    """

    def forward(self, x: np.ndarray, *, h0: np.ndarray | None = None, train: bool = False) -> np.ndarray:
        x_tm, xw, h0 = self._start(x, h0)
        T, N, H = xw.shape
        W_h = self.params["W_h"]
        hs = np.empty((T + 1, N, H), dtype=xw.dtype)  # hs[0] = h0, hs[t + 1] = h_t
        hs[0] = h0
        for t in range(T):
            a = xw[t]
            a += hs[t] @ W_h
            np.tanh(a, out=hs[t + 1])
        self.cache = (x_tm, hs)
        self.h_n = hs[T].copy()
        return hs[1:].transpose(1, 0, 2)  # (N, T, H)

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagation through time: dh_{t-1} = (dh_t ⊙ (1 - h_t²)) W_hᵀ, plus dout at step t-1.

        With input_grad=False (x is data) dx is not computed and None is returned.
        """
        self._check_dout(dout)
        x_tm, hs = self.cache
        T = x_tm.shape[0]
        W_h = self.params["W_h"]
        dout_tm = dout.transpose(1, 0, 2)  # (T, N, H)
        dA = np.empty_like(hs[1:])  # (T, N, H): dL/d(pre-activation) at each step
        dh_next = np.zeros_like(hs[0])  # what step t + 1 sends back to h_t
        for t in reversed(range(T)):
            dh = dout_tm[t] + dh_next
            h = hs[t + 1]
            np.multiply(dh, 1 - h * h, out=dA[t])
            dh_next = dA[t] @ W_h.T
        self.dh0 = dh_next
        return self._finish_backward(x_tm, hs[:-1], dA, input_grad=input_grad)


class LSTM(_Recurrent):
    """Long short-term memory: gates i, f, o = sigmoid, candidate g = tanh, all from one product.

        [a_i a_f a_g a_o] = x_t W_x + h_{t-1} W_h + b
        c_t = f ⊙ c_{t-1} + i ⊙ g          (the additive path the gradient can travel along)
        h_t = o ⊙ tanh(c_t)

    Args:
        input_size: int, D. hidden_size: int, H.
        rng: np.random.Generator (weights uniform in ±1/sqrt(H), as PyTorch).
        dtype: default np.float64.
    Shapes:
        x: (N, T, D), h0, c0: (N, H) or None -> h: (N, T, H); the last states in h_n, c_n;
        W_x: (D, 4H), W_h: (H, 4H), b: (4H,), gates in PyTorch's order i, f, g, o.
    """

    n_gates = 4

    def forward(self, x: np.ndarray, *, h0: np.ndarray | None = None, c0: np.ndarray | None = None,
                train: bool = False) -> np.ndarray:
        x_tm, gates, h0 = self._start(x, h0)  # gates: (T, N, 4H), filled with x W_x + b
        T, N, G = gates.shape
        H = G // 4
        if c0 is not None and c0.shape != (N, H):
            raise ValueError(f"{self!r} expected c0 of shape ({N}, {H}), got {c0.shape}")
        # sigmoid(a) = (1 + tanh(a / 2)) / 2: with the i, f, o columns halved first, one tanh over
        # all 4H columns, then * half + half, gives sigmoid there and tanh for g (half = 1, shift = 0).
        half = np.full(G, 0.5, dtype=gates.dtype)
        half[2 * H : 3 * H] = 1
        shift = (1 - half).astype(gates.dtype)
        gates *= half
        W_h = self.params["W_h"] * half  # (H, 4H), columns scaled like the gates
        hs = np.empty((T + 1, N, H), dtype=gates.dtype)
        cs = np.empty((T + 1, N, H), dtype=gates.dtype)
        tanh_c = np.empty((T, N, H), dtype=gates.dtype)
        hw = np.empty((N, G), dtype=gates.dtype)
        ig = np.empty((N, H), dtype=gates.dtype)
        hs[0] = h0
        cs[0] = 0 if c0 is None else c0
        for t in range(T):
            a = gates[t]  # (N, 4H), becomes [i f g o] in place
            a += np.matmul(hs[t], W_h, out=hw)
            np.tanh(a, out=a)
            a *= half
            a += shift
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            c = cs[t + 1]
            np.multiply(f, cs[t], out=c)
            c += np.multiply(i, g, out=ig)
            np.tanh(c, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t + 1])
        self.cache = (x_tm, hs, cs, gates, tanh_c)
        self.h_n, self.c_n = hs[T].copy(), cs[T].copy()
        return hs[1:].transpose(1, 0, 2)  # (N, T, H)

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """BPTT through the cell: dc_{t-1} = dc_t ⊙ f (the additive path), dh_{t-1} = dA W_hᵀ."""
        self._check_dout(dout)
        x_tm, hs, cs, gates, tanh_c = self.cache
        T, N, G = gates.shape
        H = G // 4
        W_hT = np.ascontiguousarray(self.params["W_h"].T)  # (4H, H)
        dout_tm = dout.transpose(1, 0, 2)
        dA = np.empty_like(gates)  # (T, N, 4H)
        dtype = gates.dtype
        # The gates' derivatives, sigmoid' = s - s² for i, f, o and tanh' = 1 - g² for g, are
        # a * is_sig + is_tanh - a²: four whole-row operations instead of three per gate.
        is_sig = np.ones(G, dtype=dtype)
        is_sig[2 * H : 3 * H] = 0
        is_tanh = (1 - is_sig).astype(dtype)
        deriv, sq = np.empty((N, G), dtype=dtype), np.empty((N, G), dtype=dtype)
        dh, tmp = np.empty((N, H), dtype=dtype), np.empty((N, H), dtype=dtype)
        dh_next = np.zeros((N, H), dtype=dtype)
        dc = np.zeros((N, H), dtype=dtype)  # dL/dc_t, carried backwards
        for t in reversed(range(T)):
            a = gates[t]
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            np.add(dout_tm[t], dh_next, out=dh)
            tc = tanh_c[t]
            np.multiply(tc, tc, out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp  # dc_t = dc from step t + 1 (through f) + dh ⊙ o ⊙ (1 - tanh²(c_t))
            d = dA[t]
            np.multiply(dc, g, out=d[:, :H])  # dL/di
            np.multiply(dc, cs[t], out=d[:, H : 2 * H])  # dL/df
            np.multiply(dc, i, out=d[:, 2 * H : 3 * H])  # dL/dg
            np.multiply(dh, tc, out=d[:, 3 * H :])  # dL/do
            np.multiply(a, is_sig, out=deriv)
            deriv += is_tanh
            deriv -= np.multiply(a, a, out=sq)
            d *= deriv  # through the nonlinearities: now dL/d(pre-activation)
            dc *= f
            dh_next = d @ W_hT
        self.dh0, self.dc0 = dh_next, dc
        return self._finish_backward(x_tm, hs[:-1], dA, input_grad=input_grad)


class GRU(_Recurrent):
    """Gated recurrent unit, as PyTorch: reset r, update z, candidate n.

        r = sigmoid(x_t W_xr + h_{t-1} W_hr + b_r),  z = sigmoid(x_t W_xz + h_{t-1} W_hz + b_z)
        n = tanh(x_t W_xn + b_n + r ⊙ (h_{t-1} W_hn + b_hn))
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    Args:
        input_size: int, D. hidden_size: int, H.
        rng: np.random.Generator (uniform in ±1/sqrt(H), as PyTorch). dtype: default np.float64.
    Shapes:
        x: (N, T, D), h0: (N, H) or None -> h: (N, T, H);
        W_x: (D, 3H), W_h: (H, 3H), b: (3H,) in the order r, z, n; b_hn: (H,).
    """

    n_gates = 3

    def __init__(self, input_size: int, hidden_size: int, *, rng: np.random.Generator,
                 dtype: np.dtype | type = np.float64) -> None:
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype)
        bound = 1.0 / np.sqrt(self.hidden_size)
        self.params["b_hn"] = rng.uniform(-bound, bound, self.hidden_size).astype(dtype)
        self.grads["b_hn"] = np.zeros_like(self.params["b_hn"])

    def forward(self, x: np.ndarray, *, h0: np.ndarray | None = None, train: bool = False) -> np.ndarray:
        x_tm, gates, h0 = self._start(x, h0)  # gates: (T, N, 3H) = x W_x + b
        T, N, G = gates.shape
        H = G // 3
        W_h, b_hn = self.params["W_h"], self.params["b_hn"]
        hs = np.empty((T + 1, N, H), dtype=gates.dtype)
        hn = np.empty((T, N, H), dtype=gates.dtype)  # h_{t-1} W_hn + b_hn, kept for backward
        hs[0] = h0
        for t in range(T):
            a = gates[t]  # becomes [r z n] in place
            hw = hs[t] @ W_h  # (N, 3H)
            a[:, : 2 * H] += hw[:, : 2 * H]
            sigmoid_(a[:, : 2 * H])
            np.add(hw[:, 2 * H :], b_hn, out=hn[t])
            r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            n += r * hn[t]
            np.tanh(n, out=n)
            hs[t + 1] = n + z * (hs[t] - n)  # (1 - z) n + z h_{t-1}
        self.cache = (x_tm, hs, gates, hn)
        self.h_n = hs[T].copy()
        return hs[1:].transpose(1, 0, 2)

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """BPTT: h_{t-1} reaches h_t directly (through z) and through r, z and n's products with W_h."""
        self._check_dout(dout)
        x_tm, hs, gates, hn = self.cache
        T, N, G = gates.shape
        H = G // 3
        W_h = self.params["W_h"]
        dout_tm = dout.transpose(1, 0, 2)
        dA = np.empty_like(gates)  # dL/d(x W_x + b) per gate: (T, N, 3H)
        dHW = np.empty_like(gates)  # dL/d(h_{t-1} W_h) per gate; differs from dA for n only
        dh_next = np.zeros((N, H), dtype=gates.dtype)
        for t in reversed(range(T)):
            a = gates[t]
            r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            h_prev = hs[t]
            dh = dout_tm[t] + dh_next
            dn = dh * (1 - z) * (1 - n * n)  # at n's pre-activation
            dz = dh * (h_prev - n) * z * (1 - z)
            dr = dn * hn[t] * r * (1 - r)
            dA[t, :, :H], dA[t, :, H : 2 * H], dA[t, :, 2 * H :] = dr, dz, dn
            dHW[t, :, : 2 * H] = dA[t, :, : 2 * H]
            np.multiply(dn, r, out=dHW[t, :, 2 * H :])
            dh_next = dh * z + dHW[t] @ W_h.T
        self.dh0 = dh_next
        self.grads["b_hn"] = dHW[:, :, 2 * H :].sum(axis=(0, 1))
        return self._finish_backward(x_tm, hs[:-1], dA, dHW, input_grad)
