"""Benchmark worker for dlbook: one workload, float32, driven by run.py over a pipe.

    python benchmarks/worker_dlbook.py mlp|cnn WEIGHTS.npz   train; writes the initial weights
    python benchmarks/worker_dlbook.py im2col                 im2col against the reference below
    python benchmarks/worker_dlbook.py lstm WEIGHTS.npz       LSTM forward + backward; writes the weights
    python benchmarks/worker_dlbook.py transformer WEIGHTS.npz  one Transformer block forward + backward

The training loop is the one `dlbook.train` runs, without its end-of-epoch
accuracy pass (PyTorch's loop has none either).
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time

import numpy as np
from common import (BATCH_SIZE, CHECK_BATCHES, LR, LSTM_PASSES, LSTM_SIZES, TRANSFORMER_PASSES,
                    TRANSFORMER_SIZES, current_rss_mb, epoch_rng, lstm_check_numbers, lstm_data, serve,
                    synthetic_data, timed, transformer_data)

import dlbook
from dlbook.conv import Conv2D, MaxPool2D, im2col
from dlbook.data import minibatches
from dlbook.layers import Flatten, Linear, ReLU
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import SGD
from dlbook.rnn import LSTM
from dlbook.transformer import TransformerBlock


def main(argv: list[str]) -> None:
    info = {"library": "dlbook", "version": getattr(dlbook, "__version__", "dev"), "numpy": np.__version__,
            "blas": blas_description(), "baseline_rss_mb": current_rss_mb()}
    workload = argv[0]
    if workload == "im2col":
        serve({"epoch": im2col_round}, {**info, "agree": im2col_agrees()})
        return
    if workload == "lstm":
        serve_lstm(argv[1], info)
        return
    if workload == "transformer":
        serve_transformer(argv[1], info)
        return

    x, y = synthetic_data(workload)
    model = build_model(workload, np.random.default_rng(0))
    model.save(argv[1])  # the torch worker starts from exactly these weights
    trainer = Trainer(model, x, y)
    serve({"check": lambda: {"losses": trainer.run(-1)},
           "epoch": lambda: timed(lambda: trainer.run(trainer.next_epoch())),
           "floor": lambda: gemm_floor(workload)}, info)


def build_model(workload: str, rng: np.random.Generator) -> Sequential:
    """The benchmark networks, every parameter float32."""
    f32 = np.float32
    if workload == "mlp":
        return Sequential(Linear(784, 100, rng=rng, dtype=f32), ReLU(), Linear(100, 10, rng=rng, dtype=f32))
    return Sequential(
        Conv2D(1, 30, 5, rng=rng, dtype=f32), ReLU(), MaxPool2D(2), Flatten(),
        Linear(30 * 12 * 12, 100, rng=rng, dtype=f32), ReLU(), Linear(100, 10, rng=rng, dtype=f32),
    )


class Trainer:
    """SGD on softmax cross-entropy, batch after batch, exactly as `dlbook.train.train` does it."""

    def __init__(self, model, x, y) -> None:
        self.model, self.x, self.y = model, x, y
        self.loss_fn, self.optimizer = SoftmaxCrossEntropy(), SGD(lr=LR)
        self.epochs_done = 0

    def next_epoch(self) -> int:
        self.epochs_done += 1
        return self.epochs_done

    def run(self, epoch: int) -> list[float]:
        """Train one epoch (epoch -1: only the first CHECK_BATCHES batches of epoch 0); the batch losses."""
        batches = minibatches(self.x, self.y, BATCH_SIZE, rng=epoch_rng(max(epoch, 0)))
        if epoch == -1:
            batches = itertools.islice(batches, CHECK_BATCHES)
        model, loss_fn, optimizer = self.model, self.loss_fn, self.optimizer
        losses = []
        for xb, yb in batches:
            losses.append(loss_fn.forward(model.forward(xb, train=True), yb))
            model.backward(loss_fn.backward(), input_grad=False)
            optimizer.step(model.params(), model.grads())
        return losses


def gemm_floor(workload: str, repeats: int = 5) -> dict:
    """Seconds an epoch spends in its matrix products alone (the same products, nothing else):
    medians of wall and CPU time."""
    rng = np.random.default_rng(1)
    n_samples = 10_000 if workload == "mlp" else 2_000

    def r(*shape):
        return rng.random(shape, dtype=np.float32)

    if workload == "mlp":
        x, W1, h, W2, d2, d1 = r(100, 784), r(784, 100), r(100, 100), r(100, 10), r(100, 10), r(100, 100)

        def batch():
            x @ W1, h @ W2  # forward
            h.T @ d2, d2 @ W2.T, x.T @ d1  # backward: dW2, dh, dW1 (no dx for the data)
    else:  # the convolution's columns have C*kh*kw + 1 = 26 rows: the last, all ones, carries the bias
        cols, Wc = r(26, 100 * 576), r(30, 26)
        cols_n, dconv = cols.reshape(26, 100, 576).transpose(1, 0, 2), r(100, 30, 576)
        a, W1, h, W2, d2, d1 = r(100, 4320), r(4320, 100), r(100, 100), r(100, 10), r(100, 10), r(100, 100)

        def batch():
            np.matmul(Wc, cols_n), a @ W1, h @ W2  # forward: convolution, two affine layers
            h.T @ d2, d2 @ W2.T, a.T @ d1, d1 @ W1.T  # backward through the affine layers
            np.matmul(dconv, cols_n.transpose(0, 2, 1))  # dW of the convolution

    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n_samples // BATCH_SIZE):
            batch()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"floor_wall": statistics.median(walls), "floor_cpu": statistics.median(cpus)}


# LSTM ----------------------------------------------------------------------

def serve_lstm(weights: str, info: dict) -> None:
    """LSTM_PASSES forward + backward passes per epoch; x is data, so no dx (as PyTorch without requires_grad)."""
    N, T, D, H = LSTM_SIZES.values()
    lstm = LSTM(D, H, rng=np.random.default_rng(0), dtype=np.float32)
    np.savez(weights, **lstm.params)
    serve_passes(lstm, *lstm_data(), lambda: [lstm.grads[k] for k in ("W_x", "W_h", "b")], LSTM_PASSES,
                 lstm_floor, info)


def serve_passes(layer, x: np.ndarray, dout: np.ndarray, grads, passes: int, floor, info: dict) -> None:
    """Serve `passes` forward + backward passes of `layer` per epoch (no dx: x is data); `grads()` lists the
    gradients the check compares, `floor()` times the matrix products alone."""

    def one_pass() -> np.ndarray:
        y = layer.forward(x)
        layer.backward(dout, input_grad=False)
        return y

    def check() -> dict:
        y = one_pass()
        return {"losses": lstm_check_numbers(y, dout, grads())}

    def run() -> list[float]:
        return [float(one_pass()[0, -1, 0]) for _ in range(passes)]

    serve({"check": check, "epoch": lambda: timed(run), "floor": floor}, info)


def lstm_floor(repeats: int = 5) -> dict:
    """Seconds LSTM_PASSES passes spend in their matrix products alone: medians of wall and CPU time."""
    N, T, D, H = LSTM_SIZES.values()
    rng = np.random.default_rng(1)
    x, W_x, h, W_h = (rng.random(s, dtype=np.float32) for s in ((T * N, D), (D, 4 * H), (N, H), (H, 4 * H)))
    dA, hs, W_hT = rng.random((T * N, 4 * H), dtype=np.float32), rng.random((T * N, H), dtype=np.float32), W_h.T.copy()

    def one_pass():
        x @ W_x  # the input projection of every step
        for t in range(T):
            h @ W_h  # forward, one step
            dA[t * N : (t + 1) * N] @ W_hT  # backward, one step
        x.T @ dA, hs.T @ dA  # dW_x, dW_h

    return median_times(one_pass, LSTM_PASSES, repeats)


# Transformer block ---------------------------------------------------------

def serve_transformer(weights: str, info: dict) -> None:
    """TRANSFORMER_PASSES forward + backward passes of one pre-norm block; x is data, so no dx."""
    N, T, D, heads, ff = TRANSFORMER_SIZES.values()
    block = TransformerBlock(D, heads, ff, rng=np.random.default_rng(0), dtype=np.float32)
    np.savez(weights, **block.params)
    serve_passes(block, *transformer_data(), lambda: list(block.grads.values()), TRANSFORMER_PASSES,
                 transformer_floor, info)


def transformer_floor(repeats: int = 5) -> dict:
    """Seconds TRANSFORMER_PASSES passes spend in their matrix products alone: medians of wall and CPU time."""
    N, T, D, h, ff = TRANSFORMER_SIZES.values()
    rng = np.random.default_rng(1)

    def r(*shape):
        return rng.random(shape, dtype=np.float32)

    x, W_qkv, W_o, W1, W2 = r(N * T, D), r(D, 3 * D), r(D, D), r(D, ff), r(ff, D)
    q, A, u = r(N, h, T, D // h), r(N, h, T, T), r(N * T, ff)
    qT = np.ascontiguousarray(q.transpose(0, 1, 3, 2))

    def one_pass():
        x @ W_qkv, np.matmul(q, qT), np.matmul(A, q), x @ W_o, x @ W1, u @ W2  # forward
        u.T @ x, x @ W2.T, x.T @ u, u @ W1.T  # FFN backward: dW2, du, dW1, dx
        x.T @ x, x @ W_o.T  # dW_o, dconcat
        np.matmul(A, q), np.matmul(q, qT), np.matmul(A, q), np.matmul(A, q)  # dv, dA, dq, dk
        x.T @ r_qkv, r_qkv @ W_qkv.T  # dW_qkv, dx

    r_qkv = r(N * T, 3 * D)
    return median_times(one_pass, TRANSFORMER_PASSES, repeats)


def median_times(one_pass, passes: int, repeats: int) -> dict:
    """Medians over `repeats` of the wall and CPU seconds that `passes` calls of one_pass() take."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(passes):
            one_pass()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"floor_wall": statistics.median(walls), "floor_cpu": statistics.median(cpus)}


# im2col -------------------------------------------------------------------

IM2COL_CASES = {  # name -> (x shape, kernel size, padding)
    "CNN layer: x 100×1×28×28, 5×5": ((100, 1, 28, 28), 5, 0),
    "x 100×16×14×14, 3×3, pad 1": ((100, 16, 14, 14), 3, 1),
}


def reference_im2col(x, kh: int, kw: int, stride: int = 1, padding: int = 0):
    """The straightforward im2col (as in "Deep Learning from Scratch"): loop over the kernel
    positions into (N, C, kh, kw, OH, OW), then transpose to rows (N*OH*OW, C*kh*kw).

    Given x's dtype (the book's original silently makes float64), so only the layout differs.
    """
    N, C, H, W = x.shape
    OH, OW = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    col = np.zeros((N, C, kh, kw, OH, OW), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            col[:, :, i, j, :, :] = img[:, :, i : i + stride * OH : stride, j : j + stride * OW : stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)


def _inputs():
    rng = np.random.default_rng(2)
    return {name: (rng.random(shape, dtype=np.float32), k, p) for name, (shape, k, p) in IM2COL_CASES.items()}


def im2col_agrees() -> bool:
    """Both functions give the same numbers (dlbook's layout is the reference's transpose)."""
    return all(np.array_equal(im2col(x, k, k, 1, p).T, reference_im2col(x, k, k, 1, p))
               for x, k, p in _inputs().values())


def im2col_round(calls: int = 20) -> dict:
    """Seconds per call of dlbook's im2col and of the reference, for each case, measured back to back."""
    result = {}
    for name, (x, k, p) in _inputs().items():
        for label, fn in (("dlbook", im2col), ("reference", reference_im2col)):
            fn(x, k, k, 1, p)  # warm: page in the output buffer
            start = time.perf_counter()
            for _ in range(calls):
                fn(x, k, k, 1, p)
            result.setdefault(name, {})[label] = (time.perf_counter() - start) / calls
    return result


def blas_description() -> str:
    """The BLAS NumPy calls, and the CPU kernels it picked (via threadpoolctl, if installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return "; ".join(f"{p['internal_api']} {p['version']}, {p.get('architecture', '?')} kernels, "
                     f"{p['num_threads']} thread(s)" for p in pools)


if __name__ == "__main__":
    main(sys.argv[1:])
