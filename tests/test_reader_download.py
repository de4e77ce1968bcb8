"""The download on "Run it yourself": the chapters and the package, and they run as unpacked."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "deep-learning-from-scratch"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archive(built_book) -> Path:
    _, html = built_book
    path = html / "_static" / f"{FOLDER}.zip"
    assert path.is_file(), "the build wrote no archive for readers"
    return path


def toc_notebooks() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return sorted(f"{file}.ipynb" for file in files if (ROOT / f"{file}.ipynb").is_file())


def test_run_it_yourself_page_links_the_archive(built_book, archive):
    _, html = built_book
    page = (html / "book" / "run-it-yourself.html").read_text(encoding="utf-8")
    assert f'href="../_static/{FOLDER}.zip"' in page
    assert archive.stat().st_size < 1_000_000, "the download should stay small (outputs are left out)"


def test_archive_holds_every_chapter_without_outputs_and_the_package(archive):
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
        assert all(name.startswith(f"{FOLDER}/") for name in names), "everything unpacks into one folder"
        for notebook in toc_notebooks():
            assert f"{FOLDER}/{notebook}" in names, f"{notebook} missing"
            cells = json.loads(z.read(f"{FOLDER}/{notebook}"))["cells"]
            assert not any(cell.get("outputs") for cell in cells), f"{notebook} still has outputs"
        package = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "src" / "dlbook").rglob("*.py"))
        assert {f"{FOLDER}/{name}" for name in package} <= names
        assert {f"{FOLDER}/pyproject.toml", f"{FOLDER}/requirements.txt"} <= names


def test_unpacked_chapter_runs_with_the_unpacked_package(archive, tmp_path, monkeypatch):
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path)
    unpacked = tmp_path / FOLDER
    monkeypatch.setenv("PYTHONPATH", str(unpacked / "src"))  # the archive's dlbook, not this checkout's
    where = subprocess.run([sys.executable, "-c", "import dlbook; print(dlbook.__file__)"],
                           capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).is_relative_to(unpacked)

    notebook = nbformat.read(unpacked / "book" / "getting-started.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(unpacked / "book")}}).execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))
    assert "Python 3.10 or newer: True" in printed and "test accuracy:" in printed
