"""Make every page work offline: MathJax served from the site, no Thebe scripts.

Thebe (live code through a remote Binder kernel) is loaded by Jupyter Book 1
from a CDN; the book has no Binder set-up, and sphinx-thebe's inline
configuration ends up on every page twice, which is a JavaScript error
("THEBE_JS_URL has already been declared"). So the Thebe scripts are left out.


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


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files", [])
    context["script_files"] = [
        script for script in scripts
        if "sphinx-thebe" not in str(script) and "THEBE_JS_URL" not in str(getattr(script, "attributes", {}).get("body", ""))
    ]


def setup(app):
    if not (mathjax_source() / "tex-chtml.js").is_file():
        raise RuntimeError("MathJax files not found: pip install -r requirements.txt (django-static-mathjax)")
    app.connect("build-finished", copy_mathjax)
    app.connect("html-page-context", drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
