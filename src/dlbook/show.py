"""`show(obj)`: display the real source of a `dlbook` object in a notebook.

The package is the single source of truth: chapters show its code with
``show(Linear.backward)`` instead of pasting a copy that could drift.
"""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

__all__ = ["show", "source"]


def source(obj: object) -> tuple[str, str]:
    """Return ``(where, code)``: the object's file and qualified name, and its dedented source."""
    try:
        code = inspect.getsource(obj)
        path = Path(inspect.getsourcefile(obj))
    except (TypeError, OSError) as err:
        raise TypeError(f"show: no Python source is available for {obj!r}") from err
    package_root = Path(__file__).resolve().parent.parent
    try:
        path = path.resolve().relative_to(package_root)
    except ValueError:
        path = Path(path.name)
    name = getattr(obj, "__qualname__", None)
    # No line numbers: they would change the page whenever the file is edited.
    where = f"{path.as_posix()}: {name}" if name else path.as_posix()
    return where, textwrap.dedent(code).rstrip("\n")


class _Source:
    """What `show` returns: rendered as a highlighted code block in Jupyter and in the book."""

    def __init__(self, where: str, code: str) -> None:
        self.where, self.code = where, code

    def _repr_markdown_(self) -> str:
        return f"`{self.where}`\n\n```python\n{self.code}\n```"

    def __repr__(self) -> str:
        return f"# {self.where}\n{self.code}"


def show(obj: object) -> _Source:
    """Display the source code of a function, class or method from `dlbook`.

    Args:
        obj: e.g. ``dlbook.layers.Linear`` or ``dlbook.layers.Linear.backward``.

    Returns:
        An object that Jupyter renders as the syntax-highlighted source, headed
        by the file and the name it comes from.
    """
    return _Source(*source(obj))
