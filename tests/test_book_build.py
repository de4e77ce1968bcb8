"""The website builds from the committed notebooks with warnings as errors."""

import re
from pathlib import Path

import pytest
import yaml  # installed with jupyter-book

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

# The website uses the committed outputs and executes nothing, so the whole
# build takes seconds; two minutes is the budget in which it must stay.
BUILD_BUDGET_SECONDS = 120


def test_book_builds_without_warnings(built_book):
    proc, html = built_book
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"jupyter-book build failed:\n{log[-5000:]}"
    warnings = [line for line in log.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert not warnings, "build log has warnings:\n" + "\n".join(warnings)


def test_book_builds_in_under_two_minutes(built_book):
    proc, _ = built_book
    assert proc.seconds <= BUILD_BUDGET_SECONDS, f"the build took {proc.seconds:.0f} s"


def test_every_toc_page_is_built(built_book):
    _, html = built_book
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    for file in files:
        page = html / f"{file}.html"
        assert page.is_file(), f"{file} missing from the built site"
    assert (html / "index.html").is_file()


def test_intro_shows_title_and_links_getting_started(built_book):
    _, html = built_book
    intro = (html / "book" / "intro.html").read_text()
    assert "Deep Learning from Scratch" in intro
    assert "getting-started.html" in intro
