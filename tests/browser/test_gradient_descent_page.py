"""Browser test: the chapter "Gradient descent" as a website page — its two precomputed explorers respond."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chapter_site(tmp_path_factory) -> Path:
    """book/gradient-descent.ipynb built alone by Jupyter Book with the book's configuration: its html dir."""
    source = tmp_path_factory.mktemp("gradient-descent-book")
    shutil.copy(ROOT / "_config.yml", source)
    shutil.copytree(ROOT / "book" / "_ext", source / "book" / "_ext")
    for name in ("gradient-descent.ipynb", "references.bib"):
        shutil.copy(ROOT / "book" / name, source / "book" / name)
    (source / "_toc.yml").write_text("format: jb-book\nroot: book/gradient-descent\n")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jupyter_book), "build", str(source), "--all", "-W", "--keep-going"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"jupyter-book build failed:\n{(proc.stdout + proc.stderr)[-4000:]}"
    return source / "_build" / "html"


def image(block) -> str:
    return block.locator("img.dlbx-img").get_attribute("src")


def readout(block) -> str:
    return block.locator(".dlbx-readout").inner_text()


def test_gradient_descent_explorers_respond_to_their_controls(chapter_site, serve, open_page):
    base = serve(chapter_site)
    watched = open_page(base)
    page = watched.page
    page.goto(f"{base}/book/gradient-descent.html", wait_until="load")
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 2

    # 1. The bowl: the learning rate moves the path; the divergent case is stated, not crashed.
    bowl = blocks.nth(0)
    assert readout(bowl).startswith("η = 0.1 on the round bowl")
    before = image(bowl)
    lr = bowl.get_by_label("learning rate η")
    lr.focus()
    page.keyboard.press("End")  # the largest precomputed learning rate, 1.2
    assert image(bowl) != before
    assert "diverged at step 11" in readout(bowl)
    bowl.get_by_label("surface").select_option(label="elongated bowl")
    assert "elongated bowl" in readout(bowl) and "diverged at step" in readout(bowl)
    assert bowl.get_by_label("steps").is_disabled()  # fixed on the website

    # 2. Logistic regression: the batch size changes the updates per epoch.
    logistic = blocks.nth(1)
    assert readout(logistic).startswith("Batch size 10, η = 0.1: 20 updates per epoch")
    before = image(logistic)
    size = logistic.get_by_label("batch size")
    size.focus()
    page.keyboard.press("End")  # 200: the whole training set
    assert image(logistic) != before
    assert readout(logistic).startswith("Batch size 200, η = 0.1: 1 update per epoch")

    assert watched.errors == [], watched.errors
    assert watched.foreign == [], f"requests left the local server: {watched.foreign}"
