"""Re-execute every chapter in a fresh kernel and save its outputs.

This is `make notebooks`. It runs each notebook under book/ top to bottom, in
website mode (explorers precomputed as static HTML), and writes the outputs
back into the .ipynb, so that what is committed is exactly what the website
shows and what `make test` checks with nbval.

Usage: python tools/refresh_notebooks.py [NOTEBOOK ...]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 300


def notebooks(args: list[str]) -> list[Path]:
    if args:
        return [Path(a).resolve() for a in args]
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def refresh(path: Path) -> float:
    """Execute one notebook in its own directory; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # timestamps would make every refresh a diff
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    # Widget state would embed live (non-working) widgets in the website.
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return seconds


def main(args: list[str]) -> int:
    os.environ["DLBOOK_EXPLORERS"] = "static"
    # One BLAS thread: on 2 shared cores OpenBLAS's second thread makes the
    # chapters' small matrix products several times slower, never faster.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    for path in notebooks(args):
        seconds = refresh(path)
        print(f"{path.relative_to(ROOT)}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
