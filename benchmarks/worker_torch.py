"""Benchmark worker for PyTorch (CPU): the same networks, data, weights and batch order as dlbook's.

    python benchmarks/worker_torch.py mlp|cnn WEIGHTS.npz
    python benchmarks/worker_torch.py lstm WEIGHTS.npz     nn.LSTM forward + backward
    python benchmarks/worker_torch.py transformer WEIGHTS.npz   nn.TransformerEncoderLayer forward + backward

WEIGHTS.npz is what the dlbook worker saved (`Sequential.save`): "0.W", "0.b", …
with dlbook's layouts (Linear W is (in, out); PyTorch's weight is its transpose).
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from common import (CHECK_BATCHES, LR, LSTM_PASSES, LSTM_SIZES, TRANSFORMER_PASSES, TRANSFORMER_SIZES, batches,
                    current_rss_mb, lstm_check_numbers, lstm_data, serve, synthetic_data, timed, transformer_data)

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


def main(argv: list[str]) -> None:
    info = {"library": "torch", "version": torch.__version__, "numpy": np.__version__,
            "blas": blas_description(), "baseline_rss_mb": current_rss_mb()}
    workload, weights = argv
    if workload == "lstm":
        serve_lstm(weights, info)
        return
    if workload == "transformer":
        serve_transformer(weights, info)
        return
    x, y = synthetic_data(workload)
    x, y = torch.from_numpy(x), torch.from_numpy(y)  # shares the NumPy memory: no copy
    model = build_model(workload)
    load_dlbook_weights(model, weights)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    epochs_done = 0

    def run(epoch: int) -> list[float]:
        losses = []
        for idx in batches(len(x), epoch):
            idx = torch.from_numpy(idx)
            xb, yb = x[idx], y[idx]
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())  # dlbook's loss is a Python float too
        return losses

    def epoch() -> dict:
        nonlocal epochs_done
        epochs_done += 1
        return timed(lambda: run(epochs_done))

    serve({"check": lambda: {"losses": run(-1)[:CHECK_BATCHES]}, "epoch": epoch}, info)


def build_model(workload: str) -> torch.nn.Sequential:
    nn = torch.nn
    if workload == "mlp":
        return nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
    return nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(30 * 12 * 12, 100), nn.ReLU(), nn.Linear(100, 10))


def load_dlbook_weights(model: torch.nn.Sequential, path: str) -> None:
    """Copy dlbook's initial parameters into the PyTorch layers with the same indices."""
    with np.load(path) as saved:
        for name, array in saved.items():
            index, kind = name.split(".")
            layer = model[int(index)]
            if kind == "W":
                # Linear: dlbook (in, out) -> torch (out, in); Conv2d: both (F, C, kh, kw).
                w = array.T if isinstance(layer, torch.nn.Linear) else array
                layer.weight.data.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            else:
                layer.bias.data.copy_(torch.from_numpy(array))


def serve_lstm(weights: str, info: dict) -> None:
    """nn.LSTM with dlbook's weights (dlbook's W_x (D, 4H) is weight_ih's transpose; one bias, so bias_hh = 0);
    the same gate order i, f, g, o. x does not require grad, so backward computes no dx."""
    N, T, D, H = LSTM_SIZES.values()
    lstm = torch.nn.LSTM(D, H, batch_first=True)
    with np.load(weights) as w, torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(w["W_x"].T)))
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(w["W_h"].T)))
        lstm.bias_ih_l0.copy_(torch.from_numpy(w["b"]))
        lstm.bias_hh_l0.zero_()
    x, dout = (torch.from_numpy(a) for a in lstm_data())

    def one_pass() -> torch.Tensor:
        lstm.zero_grad()
        h, _ = lstm(x)
        h.backward(dout)
        return h

    def check() -> dict:
        h = one_pass().detach().numpy()
        grads = [lstm.weight_ih_l0.grad, lstm.weight_hh_l0.grad, lstm.bias_ih_l0.grad]
        return {"losses": lstm_check_numbers(h, dout.numpy(), [g.numpy() for g in grads])}

    def run() -> list[float]:
        return [one_pass()[0, -1, 0].item() for _ in range(LSTM_PASSES)]

    serve({"check": check, "epoch": lambda: timed(run)}, info)


def serve_transformer(weights: str, info: dict) -> None:
    """nn.TransformerEncoderLayer (pre-norm, ReLU, no dropout) with dlbook's weights; every dlbook matrix
    is (in, out), PyTorch's weight its transpose. x does not require grad, so backward computes no dx."""
    N, T, D, heads, ff = TRANSFORMER_SIZES.values()
    layer = torch.nn.TransformerEncoderLayer(D, heads, ff, dropout=0.0, batch_first=True, norm_first=True)
    targets = {"ln1.gamma": layer.norm1.weight, "ln1.beta": layer.norm1.bias,
               "attn.W_qkv": layer.self_attn.in_proj_weight, "attn.b_qkv": layer.self_attn.in_proj_bias,
               "attn.W_o": layer.self_attn.out_proj.weight, "attn.b_o": layer.self_attn.out_proj.bias,
               "ln2.gamma": layer.norm2.weight, "ln2.beta": layer.norm2.bias,
               "ff1.W": layer.linear1.weight, "ff1.b": layer.linear1.bias,
               "ff2.W": layer.linear2.weight, "ff2.b": layer.linear2.bias}
    with np.load(weights) as w, torch.no_grad():
        for name, p in targets.items():
            p.copy_(torch.from_numpy(np.ascontiguousarray(w[name].T if w[name].ndim == 2 else w[name])))
    layer.train()  # as dlbook: no inference fast path
    x, dout = (torch.from_numpy(a) for a in transformer_data())

    def one_pass() -> torch.Tensor:
        layer.zero_grad()
        y = layer(x)
        y.backward(dout)
        return y

    def check() -> dict:
        y = one_pass().detach().numpy()
        return {"losses": lstm_check_numbers(y, dout.numpy(), [p.grad.numpy() for p in targets.values()])}

    def run() -> list[float]:
        return [one_pass()[0, -1, 0].item() for _ in range(TRANSFORMER_PASSES)]

    serve({"check": check, "epoch": lambda: timed(run)}, info)


def blas_description() -> str:
    """The math library PyTorch was built with, and the CPU instructions it uses."""
    lines = [line.strip(" -") for line in torch.__config__.show().splitlines()]
    library = next((line for line in lines if "Math Kernel Library" in line or "BLAS" in line), "unknown")
    return f"{library}; CPU capability {torch.backends.cpu.get_cpu_capability()}"


if __name__ == "__main__":
    main(sys.argv[1:])
