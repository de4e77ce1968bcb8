"""Serve MathJax from the built site itself, so the book renders maths with no internet.

MathJax 3 comes from the PyPI package ``django-static-mathjax`` (pure static
files, no dependencies; listed in requirements.txt). After an HTML build this
extension copies the parts the book uses into ``_static/mathjax/``, which is
where ``mathjax_path: mathjax/tex-chtml.js`` in _config.yml points. The files
are copied after the build, not placed in a source ``_static`` folder, because
Jupyter Book would add every script found there to every page.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

# tex-chtml.js bundles the TeX input and HTML output; the rest is loaded on demand.
PARTS = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y", "sre"]


def mathjax_source() -> Path:
    return Path(str(resources.files("mathjax"))) / "static" / "mathjax" / "es5"


def copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in PARTS:
        src, dst = source / part, target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def setup(app):
    if not (mathjax_source() / "tex-chtml.js").is_file():
        raise RuntimeError("MathJax files not found: pip install -r requirements.txt (django-static-mathjax)")
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
