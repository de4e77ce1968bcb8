"""Put the chapters and the package on the website as one zip, for readers who run the book themselves.

The "Run it yourself" page links to ``_static/deep-learning-from-scratch.zip``:
every chapter notebook, the ``dlbook`` package and the files that install it
(``pyproject.toml``, ``requirements.txt``). Unpacked, the page's two commands
set up JupyterLab with the explorers live. The notebooks go in without their
outputs — a reader runs them, and the archive stays small (the outputs, mostly
figures, are twenty times the size of everything else).

The zip is written after an HTML build, into the built site only; its entries
carry a fixed date, so the same sources give the same archive.

Only regular files inside the project go in: a symbolic link (a file or folder
linked from elsewhere, an editor's lock file) is skipped, so nothing outside
the project can slip into a public download. The install files must be real
files; a linked one stops the build with a ValueError.
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


def _regular(path: Path, root: Path) -> bool:
    """A regular file reached from `root` without following any symbolic link."""
    inside = path.relative_to(root)
    links = [root.joinpath(*inside.parts[: i + 1]).is_symlink() for i in range(len(inside.parts))]
    return not any(links) and path.is_file()


def archive_members(root: Path) -> dict[str, str | bytes]:
    """Path inside the archive -> contents."""
    members: dict[str, str | bytes] = {}
    for notebook in sorted((root / "book").glob("*.ipynb")):
        if _regular(notebook, root):
            members[f"book/{notebook.name}"] = without_outputs(notebook)
    for source in sorted((root / "src" / "dlbook").rglob("*.py")):
        if _regular(source, root):
            members[source.relative_to(root).as_posix()] = source.read_bytes()
    for name in INSTALL_FILES:
        if not _regular(root / name, root):
            raise ValueError(f"reader_download: {name} is a symbolic link or not a file; "
                             "the readers' zip takes only regular files from the project")
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
