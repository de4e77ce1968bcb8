"""Put the chapters and the package on the website as one zip, for readers who run the book themselves.

The "Run it yourself" page links to ``_static/deep-learning-from-scratch.zip``:
every chapter notebook, the ``dlbook`` package and the files that install it
(``pyproject.toml``, ``requirements.txt``). Unpacked, the page's two commands
set up JupyterLab with the explorers live. The notebooks go in without their
outputs — a reader runs them, and the archive stays small (the outputs, mostly
figures, are twenty times the size of everything else).

The zip is written after an HTML build, into the built site only; its entries
carry a fixed date, so the same sources give the same archive.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

ARCHIVE = "deep-learning-from-scratch.zip"
FOLDER = "deep-learning-from-scratch"  # everything unpacks into this one folder
FIXED_DATE = (2026, 1, 1, 0, 0, 0)
INSTALL_FILES = ["pyproject.toml", "requirements.txt"]


def without_outputs(notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def archive_members(root: Path) -> dict[str, str | bytes]:
    """Path inside the archive -> contents."""
    members: dict[str, str | bytes] = {}
    for notebook in sorted((root / "book").glob("*.ipynb")):
        members[f"book/{notebook.name}"] = without_outputs(notebook)
    for source in sorted((root / "src" / "dlbook").rglob("*.py")):
        members[source.relative_to(root).as_posix()] = source.read_bytes()
    for name in INSTALL_FILES:
        members[name] = (root / name).read_bytes()
    return members


def write_archive(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / ARCHIVE
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, contents in archive_members(Path(app.srcdir)).items():
            info = zipfile.ZipInfo(f"{FOLDER}/{name}", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, contents)


def setup(app):
    app.connect("build-finished", write_archive)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
