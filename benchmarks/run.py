"""dlbook against PyTorch on the CPU: the same work, measured in the same run.

    python benchmarks/run.py --torch-python /path/to/venv-with-torch/bin/python
    python benchmarks/run.py --only mlp,cnn,im2col      # the core table only (about a minute)

Each library trains in its own worker process (worker_dlbook.py,
worker_torch.py), with BLAS and OpenMP pinned to one thread. The workers stay
alive and are told over a pipe to run one epoch at a time, so imports are not
timed; epochs alternate between the libraries (dlbook first in even rounds,
PyTorch first in odd ones) so a change in machine load hits both alike.
Reported: the median over the rounds of each epoch's wall time, the ratio of
the medians, and the peak resident memory of each worker, also minus its
resident memory right after its imports. The table is printed as Markdown and
everything is written to benchmarks/results.json.

Workloads: mlp, cnn (training epochs), lstm (forward + backward passes of one LSTM layer),
transformer (forward + backward passes of one pre-norm Transformer block),
im2col (against the reference im2col in worker_dlbook.py), explorers (benchmarks/explorer_speed.py, when present),
chapters (each book/*.ipynb executed in website mode).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ALL = ("mlp", "cnn", "lstm", "transformer", "im2col", "explorers", "chapters")
TRAINING = ("mlp", "cnn", "lstm", "transformer")  # run by bench_training: check, interleaved epochs, floor
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TARGETS = {"mlp": 0.75, "cnn": 1.0, "lstm": 1.5, "transformer": 1.5, "cnn_memory": 1.5, "im2col": 3.0,
           "loss_agreement": 1e-4}
TITLES = {"mlp": "MLP 784-100-10, 1 epoch of 10,000 samples", "cnn": "Simple CNN, 1 epoch of 2,000 samples",
          "lstm": "LSTM 128→128 units, batch 32, 50 steps, 10 forward + backward passes",
          "transformer": "Transformer block (pre-norm, d_model 128, 4 heads, FFN 512), batch 32, length 64, "
                         "10 forward + backward passes"}


def worker_env(args: argparse.Namespace, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every worker runs in: one BLAS/OpenMP thread, the --env settings, dlbook from
    this checkout."""
    env = {**os.environ, **ONE_THREAD, **dict(kv.split("=", 1) for kv in args.env), **(extra or {})}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    return env


class Worker:
    """A worker process and its pipe: send a command, read the one-line JSON reply."""

    def __init__(self, python: str, script: str, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([python, str(HERE / script), *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env, cwd=HERE)
        self.info = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.proc.args[1]} exited with code {self.proc.wait()}")
        return json.loads(line)

    def ask(self, cmd: str) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": cmd}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def bench_training(workload: str, args: argparse.Namespace, tmp: Path) -> dict:
    """Interleaved epochs of dlbook and PyTorch on one workload, after a loss-agreement check."""
    weights = str(tmp / f"{workload}-initial.npz")
    dl = Worker(args.dlbook_python, "worker_dlbook.py", [workload, weights], worker_env(args))
    pt = Worker(args.torch_python, "worker_torch.py", [workload, weights], worker_env(args))
    try:
        dl_losses, pt_losses = dl.ask("check")["losses"], pt.ask("check")["losses"]
        disagreement = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(dl_losses, pt_losses))
        dl.ask("epoch"), pt.ask("epoch")  # warm-up: caches, allocator, lazy initialization
        runs = {"dlbook": [], "torch": []}
        for r in range(args.rounds):
            order = [("dlbook", dl), ("torch", pt)]
            for name, worker in order if r % 2 == 0 else reversed(order):
                runs[name].append(worker.ask("epoch"))
        floor = dl.ask("floor")
    finally:
        dl.close(), pt.close()

    def summary(name: str, worker: Worker) -> dict:
        epochs = runs[name]
        peak = max(e["peak_rss_mb"] for e in epochs)
        return {"info": worker.info, "epochs": epochs,
                "median_wall": statistics.median(e["wall"] for e in epochs),
                "median_cpu": statistics.median(e["cpu"] for e in epochs),
                "median_sys": statistics.median(e["sys"] for e in epochs),
                "median_page_faults": statistics.median(e["page_faults"] for e in epochs),
                "peak_rss_mb": peak, "peak_above_baseline_mb": peak - worker.info["baseline_rss_mb"]}

    result = {"dlbook": summary("dlbook", dl), "torch": summary("torch", pt),
              "check_losses": {"dlbook": dl_losses, "torch": pt_losses}, "loss_disagreement": disagreement,
              "dlbook_gemm_floor": floor}
    result["ratio_wall"] = result["dlbook"]["median_wall"] / result["torch"]["median_wall"]
    result["ratio_cpu"] = result["dlbook"]["median_cpu"] / result["torch"]["median_cpu"]
    result["ratio_memory"] = (result["dlbook"]["peak_above_baseline_mb"]
                              / result["torch"]["peak_above_baseline_mb"])
    return result


def bench_im2col(args: argparse.Namespace) -> dict:
    """dlbook's im2col against the reference, rounds interleaved inside one worker."""
    worker = Worker(args.dlbook_python, "worker_dlbook.py", ["im2col"], worker_env(args))
    try:
        rounds = [worker.ask("epoch") for _ in range(args.rounds)]
    finally:
        worker.close()
    cases = {}
    for case in rounds[0]:
        dl = statistics.median(r[case]["dlbook"] for r in rounds)
        ref = statistics.median(r[case]["reference"] for r in rounds)
        cases[case] = {"dlbook": dl, "reference": ref, "speedup": ref / dl}
    return {"agree": worker.info["agree"], "cases": cases}


def bench_explorers(args: argparse.Namespace) -> dict:
    """Run benchmarks/explorer_speed.py (slider-to-image latency, redraws per second) if it exists."""
    script = HERE / "explorer_speed.py"
    if not script.exists():
        return {"skipped": "benchmarks/explorer_speed.py not found"}
    start = time.perf_counter()
    proc = subprocess.run([args.dlbook_python, str(script)], capture_output=True, text=True,
                          env=worker_env(args), cwd=ROOT, timeout=1800)
    return {"seconds": time.perf_counter() - start, "returncode": proc.returncode,
            "lines": proc.stdout.splitlines(), "stderr_tail": proc.stderr.splitlines()[-5:]}


CHAPTER_RUNNER = """
import sys, time, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}})
start = time.perf_counter()
client.execute()
print(time.perf_counter() - start)
"""


def bench_chapters(args: argparse.Namespace) -> dict:
    """Wall time of each chapter executed top to bottom in a fresh kernel, in website mode."""
    env = worker_env(args, {"DLBOOK_EXPLORERS": "static"})
    result = {}
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        proc = subprocess.run([args.dlbook_python, "-c", CHAPTER_RUNNER, str(path), str(path.parent)],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)
        ok = proc.returncode == 0
        result[path.name] = ({"seconds": float(proc.stdout.split()[-1])} if ok
                             else {"error": proc.stderr.strip().splitlines()[-1:]})
    return result


def machine() -> dict:
    """What the numbers were measured on."""
    with open("/proc/cpuinfo") as f:
        fields = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    avx512 = "AVX-512" if "avx512f" in fields.get("flags", "") else "no AVX-512"
    cpu = (f"{fields.get('model name', 'unknown CPU')} (family {fields.get('cpu family', '?')}, "
           f"model {fields.get('model', '?')}, {avx512})")
    with open("/proc/meminfo") as f:
        mem_gb = int(f.readline().split()[1]) / 2**20
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "memory_gb": round(mem_gb, 1),
            "os": platform.platform(), "python": platform.python_version()}


# The table ------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def training_rows(w: str, r: dict) -> list[str]:
    dl, pt, target = r["dlbook"], r["torch"], TARGETS[w]
    floor, mem_target = r["dlbook_gemm_floor"], TARGETS["cnn_memory"]
    memory_verdict = f"≤ {mem_target} | {verdict(r['ratio_memory'] <= mem_target)}" if w == "cnn" else " |"
    return [
        f"| {TITLES[w]}: wall time | {ms(dl['median_wall'])} | {ms(pt['median_wall'])} | "
        f"{r['ratio_wall']:.2f} | ≤ {target} | {verdict(r['ratio_wall'] <= target)} |",
        f"| ↳ CPU time (of which system: page faults) | {ms(dl['median_cpu'])} ({dl['median_sys'] * 1e3:.0f}) "
        f"| {ms(pt['median_cpu'])} ({pt['median_sys'] * 1e3:.0f}) | {r['ratio_cpu']:.2f} | ≤ {target} | "
        f"{verdict(r['ratio_cpu'] <= target)} |",
        f"| ↳ page faults per epoch | {dl['median_page_faults']:,.0f} | "
        f"{pt['median_page_faults']:,.0f} | | | |",
        f"| ↳ peak memory above baseline (peak RSS) | {dl['peak_above_baseline_mb']:.1f} MB "
        f"({dl['peak_rss_mb']:.0f}) | {pt['peak_above_baseline_mb']:.1f} MB ({pt['peak_rss_mb']:.0f}) | "
        f"{r['ratio_memory']:.2f} | {memory_verdict} |",
        f"| ↳ dlbook's matrix products alone, wall (CPU) | {ms(floor['floor_wall'])} "
        f"({floor['floor_cpu'] * 1e3:.1f}) | | | | |",
        f"| ↳ same losses: max difference over the first batches | {r['loss_disagreement']:.1e} | | | "
        f"≤ {TARGETS['loss_agreement']:.0e} | {verdict(r['loss_disagreement'] <= TARGETS['loss_agreement'])} |",
    ]


def table(results: dict) -> str:
    """The results as Markdown tables, ready for benchmarks/README.md."""
    lines = []
    training = [w for w in TRAINING if w in results]
    if training:
        lines += ["| workload (float32, 1 thread) | dlbook | PyTorch | dlbook / PyTorch | target | met |",
                  "|---|---:|---:|---:|---:|:---:|"]
        for w in training:
            lines += training_rows(w, results[w])
    if "im2col" in results:
        r = results["im2col"]
        lines += ["", "| im2col (float32) | dlbook | reference | speed-up | target | met |",
                  "|---|---:|---:|---:|---:|:---:|"]
        for case, c in r["cases"].items():
            lines.append(f"| {case} | {c['dlbook'] * 1e3:.2f} ms | {c['reference'] * 1e3:.2f} ms | "
                         f"{c['speedup']:.1f}× | ≥ {TARGETS['im2col']:.0f}× | "
                         f"{verdict(c['speedup'] >= TARGETS['im2col'])} |")
        lines.append(f"| same numbers as the reference | {r['agree']} | | | | |")
    if "explorers" in results:
        r = results["explorers"]
        lines += ["", "Explorers (benchmarks/explorer_speed.py):", ""]
        if "skipped" in r:
            lines.append(f"    {r['skipped']}")
        else:
            lines += [f"    {line}" for line in r["lines"]]
            if r["returncode"] != 0:
                lines += [f"    exit code {r['returncode']}:"] + [f"    {line}" for line in r["stderr_tail"]]
    if "chapters" in results:
        lines += ["", "| chapter (website mode, fresh kernel) | execution time |", "|---|---:|"]
        for name, c in results["chapters"].items():
            outcome = f"{c['seconds']:.1f} s" if "seconds" in c else f"failed: {c['error']}"
            lines.append(f"| {name} | {outcome} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--rounds", type=int, default=11, help="timed epochs per library (default 11)")
    parser.add_argument("--torch-python", default=sys.executable, help="a Python with torch (CPU build)")
    parser.add_argument("--dlbook-python", default=sys.executable, help="a Python with numpy (dlbook from src/)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra environment variable for every worker (repeatable), e.g. "
                             "OPENBLAS_CORETYPE=SkylakeX; the default is the environment as it is")
    parser.add_argument("--output", default=str(HERE / "results.json"))
    parser.add_argument("--merge", action="store_true",
                        help="keep the other workloads' results already in --output (replace only those run now)")
    args = parser.parse_args()
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(only) - set(ALL))
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {ALL}")
    for kv in args.env:
        if "=" not in kv:
            parser.error(f"--env expects KEY=VALUE, got {kv!r}")

    results: dict = {}
    meta = {"machine": machine(), "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "rounds": args.rounds, "threads": ONE_THREAD, "extra_env": args.env,
            "load_average_before": os.getloadavg(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    with tempfile.TemporaryDirectory() as tmp:
        for w in only:
            print(f"running {w} ...", file=sys.stderr, flush=True)
            if w in TRAINING:
                results[w] = bench_training(w, args, Path(tmp))
            elif w == "im2col":
                results[w] = bench_im2col(args)
            elif w == "explorers":
                results[w] = bench_explorers(args)
            else:
                results[w] = bench_chapters(args)
    meta["load_average_after"] = os.getloadavg()
    for w in TRAINING:
        if w in results:
            meta.setdefault("libraries", {w2: results[w][w2]["info"] for w2 in ("dlbook", "torch")})
    # The headline ratios in one place, e.g. "lstm_ratio_wall": dlbook's median time / PyTorch's.
    meta["ratios"] = {f"{w}_ratio_{kind}": results[w][f"ratio_{kind}"]
                      for w in TRAINING if w in results for kind in ("wall", "cpu")}

    print(table(results))
    m = meta["machine"]
    print(f"\n{m['cpu']}, {m['logical_cpus']} logical CPUs, {m['memory_gb']} GB; {m['os']}; "
          f"Python {m['python']}")
    for lib, info in meta.get("libraries", {}).items():
        print(f"{lib} {info['version']}, NumPy {info['numpy']}, {info['blas']}")
    before, after = meta["load_average_before"][0], meta["load_average_after"][0]
    print(f"load average before / after: {before:.2f} / {after:.2f}; {args.rounds} rounds; "
          f"extra environment: {' '.join(args.env) or 'none'}")
    out = Path(args.output)
    if args.merge and out.exists():
        earlier = json.loads(out.read_text())
        meta["ratios"] = {**earlier["meta"].get("ratios", {}), **meta["ratios"]}
        meta["merged_with"] = earlier["meta"]  # the run the kept results come from
        results = {**earlier["results"], **results}
    tmp_out = out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    tmp_out.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
