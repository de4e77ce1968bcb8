"""Fixtures shared by the tests in tests/."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def build_book(output_dir: Path, source_dir: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the README's build (`jupyter-book build --all -W --keep-going`) into output_dir."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    return subprocess.run(
        [str(jupyter_book), "build", str(source_dir), "--all", "-W", "--keep-going",
         "--path-output", str(output_dir)],
        capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The website built once per test session from the committed notebooks: (process, html dir).

    The process carries the build's wall time in seconds as ``proc.seconds``.
    """
    out = tmp_path_factory.mktemp("book")
    start = time.perf_counter()
    proc = build_book(out)
    proc.seconds = time.perf_counter() - start
    return proc, out / "_build" / "html"
