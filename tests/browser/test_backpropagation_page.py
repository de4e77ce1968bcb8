"""Browser test: the chapter "Backpropagation" as a website page — its two precomputed explorers respond."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chapter_site(tmp_path_factory) -> Path:
    """book/backpropagation.ipynb built alone by Jupyter Book with the book's configuration: its html dir."""
    source = tmp_path_factory.mktemp("backpropagation-book")
    shutil.copy(ROOT / "_config.yml", source)
    shutil.copytree(ROOT / "book" / "_ext", source / "book" / "_ext")
    for name in ("backpropagation.ipynb", "references.bib"):
        shutil.copy(ROOT / "book" / name, source / "book" / name)
    (source / "_toc.yml").write_text("format: jb-book\nroot: book/backpropagation\n")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jupyter_book), "build", str(source), "--all", "-W", "--keep-going"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"jupyter-book build failed:\n{(proc.stdout + proc.stderr)[-4000:]}"
    return source / "_build" / "html"


def image(block) -> str:
    return block.locator("img.dlbx-img").get_attribute("src")


def readout(block) -> str:
    return block.locator(".dlbx-readout").inner_text()


def test_backpropagation_explorers_respond_to_their_controls(chapter_site, serve, open_page):
    base = serve(chapter_site)
    watched = open_page(base)
    page = watched.page
    page.goto(f"{base}/book/backpropagation.html", wait_until="load")
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 2

    # 1. The digits trainer: a large learning rate diverges; the epoch slider replays training.
    digits = blocks.nth(0)
    assert readout(digits).startswith("Epoch 20: test accuracy 97.2%")
    before = image(digits)
    lr = digits.get_by_label("learning rate")
    lr.focus()
    page.keyboard.press("End")  # 0.5, the largest precomputed learning rate
    assert image(digits) != before
    assert readout(digits).startswith("Diverged at epoch 1")
    digits.get_by_label("activation").select_option(label="sigmoid")
    assert readout(digits).startswith("Epoch 20: test accuracy")  # sigmoid units survive 0.5
    epoch = digits.get_by_label("epoch")
    epoch.focus()
    page.keyboard.press("Home")  # before training
    assert readout(digits).startswith("Epoch 0: test accuracy")

    # 2. Gradient size layer by layer: shortcuts stop the sigmoid network's gradient from vanishing.
    depth = blocks.nth(1)
    assert "(vanishing)" in readout(depth)
    before = image(depth)
    depth.get_by_label("shortcuts (residual)").check()
    assert image(depth) != before
    assert "(about steady)" in readout(depth)
    depth.get_by_label("activation").select_option(label="ReLU")
    assert "(exploding)" in readout(depth)

    assert watched.errors == [], watched.errors
    assert watched.foreign == [], f"requests left the local server: {watched.foreign}"
