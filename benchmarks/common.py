"""What both benchmark workers share: the workloads' data, the pipe protocol, memory readings.

A worker is a separate process that holds one library and one workload. The
runner (``run.py``) talks to it over stdin/stdout, one JSON object per line:

    worker -> runner   {"ready": true, ...}  once imports are done: versions, baseline memory
    runner -> worker   {"cmd": "check"}      train CHECK_BATCHES batches, reply with their losses
    runner -> worker   {"cmd": "epoch"}      train one epoch, reply with its times and peak memory
    runner -> worker   {"cmd": "quit"}

Both libraries see the same data, the same initial weights (the dlbook worker
writes them, the torch worker reads them) and the same order of samples, so
they do exactly the same arithmetic.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Callable

import numpy as np

SEED = 0
BATCH_SIZE = 100
LR = 0.1
CHECK_BATCHES = 5

# workload -> (number of samples, shape of one sample)
WORKLOADS = {
    "mlp": (10_000, (784,)),
    "cnn": (2_000, (1, 28, 28)),
}


# The LSTM workload: forward + backward of one LSTM layer over a whole sequence, no optimizer step.
LSTM_SIZES = {"N": 32, "T": 50, "D": 128, "H": 128}  # batch, time steps, input size, hidden units
LSTM_PASSES = 10  # forward + backward passes per timed "epoch"


def lstm_data() -> tuple[np.ndarray, np.ndarray]:
    """x: (N, T, D) inputs and dout: (N, T, H), the gradient fed to backward; float32, the same in every process."""
    N, T, D, H = LSTM_SIZES.values()
    rng = np.random.default_rng(SEED)
    return rng.standard_normal((N, T, D), dtype=np.float32), rng.standard_normal((N, T, H), dtype=np.float32)


def lstm_check_numbers(h: np.ndarray, dout: np.ndarray, grads: list[np.ndarray]) -> list[float]:
    """What both workers report after one pass, to compare: mean(h * dout) and each gradient's norm."""
    return [float(np.mean(h * dout))] + [float(np.linalg.norm(g)) for g in grads]


# The Transformer workload: forward + backward of one pre-norm encoder block, no optimizer step.
TRANSFORMER_SIZES = {"N": 32, "T": 64, "D": 128, "heads": 4, "ff": 512}  # batch, length, d_model, heads, FFN width
TRANSFORMER_PASSES = 10  # forward + backward passes per timed "epoch"


def transformer_data() -> tuple[np.ndarray, np.ndarray]:
    """x: (N, T, D) inputs and dout: (N, T, D), the gradient fed to backward; float32, the same in every process."""
    N, T, D = (TRANSFORMER_SIZES[k] for k in "NTD")
    rng = np.random.default_rng(SEED + 1)
    return rng.standard_normal((N, T, D), dtype=np.float32), rng.standard_normal((N, T, D), dtype=np.float32)


def synthetic_data(workload: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped float32 inputs in [0, 1) and labels 0..9; the same arrays in every process."""
    n, shape = WORKLOADS[workload]
    rng = np.random.default_rng(SEED)
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    return x, y


def epoch_rng(epoch: int) -> np.random.Generator:
    """The generator that shuffles epoch `epoch`: both workers draw the same permutation from it."""
    return np.random.default_rng([SEED, epoch])


def current_rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """Highest resident memory this process has had, in MB (ru_maxrss is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serve(commands: dict[str, Callable[[], dict]], info: dict) -> None:
    """Answer the runner's commands, one JSON line each, until it says quit.

    Args:
        commands: command name -> function returning the reply (a JSON-able dict).
        info: facts about this worker (library version, baseline memory), sent first.
    """
    send({"ready": True, **info})
    for line in sys.stdin:
        cmd = json.loads(line)["cmd"]
        if cmd == "quit":
            return
        send(commands[cmd]())


def timed(run: Callable[[], list[float]]) -> dict:
    """Run one training epoch: wall and CPU seconds (of which system time, mostly page faults),
    page faults, the last loss and the peak memory so far."""
    before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    losses = run()
    wall, after = time.perf_counter() - wall, resource.getrusage(resource.RUSAGE_SELF)
    user, sys_ = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {"wall": wall, "cpu": user + sys_, "sys": sys_, "page_faults": after.ru_minflt - before.ru_minflt,
            "last_loss": losses[-1], "peak_rss_mb": peak_rss_mb()}


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def batches(n: int, epoch: int) -> list[np.ndarray]:
    """Index arrays of one epoch's batches; epoch -1 is the check run (the first batches of epoch 0)."""
    order = epoch_rng(max(epoch, 0)).permutation(n)
    idx = [order[i : i + BATCH_SIZE] for i in range(0, n, BATCH_SIZE)]
    return idx[:CHECK_BATCHES] if epoch == -1 else idx
