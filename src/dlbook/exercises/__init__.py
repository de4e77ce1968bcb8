"""Checkers for the reader's own implementations, one module per chapter.

An exercise hands the reader's function to a checker::

    from dlbook.exercises.perceptrons import check_sigmoid
    check_sigmoid(my_sigmoid)

The checker calls it on inputs chosen to expose the usual mistakes and returns a
`CheckResult` that Jupyter displays as a short report: every check passed, or
what was wrong — which input, what was expected, what came back. A checker never
raises because of the reader's code: a wrong answer or an exception inside the
reader's function is reported, not thrown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CheckResult", "Mismatch", "run_checks", "expect_close"]


class Mismatch(Exception):
    """Raised by one check to say what was wrong, in words for the reader."""


@dataclass
class CheckResult:
    """The outcome of a checker: its name, how many checks ran, what failed."""

    name: str
    total: int
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def report(self, width: int | None = None) -> str:
        """The report as text; with ``width``, each failure is wrapped to that many characters."""
        if self.passed:
            return f"PASSED {self.name}: all {self.total} checks passed."
        lines = [f"NOT YET {self.name}: {len(self.failures)} of {self.total} checks failed."]
        for failure in self.failures:
            if width is None:
                lines.append(f"  - {failure}")
            else:
                lines += textwrap.wrap(failure, width=width, initial_indent="  - ", subsequent_indent="    ",
                                       break_long_words=False, break_on_hyphens=False)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        # What Jupyter shows: wrapped to fit the book's page column.
        return self.report(width=76)

    def __bool__(self) -> bool:
        return self.passed


def run_checks(name: str, checks: dict[str, Callable[[], None]]) -> CheckResult:
    """Run every check (a function that raises `Mismatch` to fail) and collect the results.

    Args:
        name: what is being checked, e.g. ``"sigmoid"``.
        checks: a description of each check -> the check itself.
    Returns:
        A `CheckResult` listing every failed check with its reason.
    """
    failures = []
    for description, check in checks.items():
        try:
            check()
        except Mismatch as mismatch:
            failures.append(f"{description}: {mismatch}")
        except Exception as error:  # the reader's code raised: report it, do not crash the notebook
            failures.append(f"{description}: your code raised {type(error).__name__}: {error}")
    return CheckResult(name, len(checks), failures)


def expect_close(got, expected, *, what: str, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Raise `Mismatch` unless ``got`` has ``expected``'s shape and values (within tolerance)."""
    expected = np.asarray(expected)
    try:
        got = np.asarray(got, dtype=np.result_type(expected.dtype, np.float64))
    except (TypeError, ValueError):
        raise Mismatch(f"{what} should be numbers, got {got!r}") from None
    if got.shape != expected.shape:
        raise Mismatch(f"{what} should have shape {expected.shape}, got {got.shape}")
    if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False):
        bad = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape) if got.ndim else ()
        where = f" at index {tuple(int(i) for i in bad)}" if got.ndim else ""
        raise Mismatch(
            f"{what}{where}: expected {np.round(expected[bad], 6)}, got {np.round(got[bad], 6)}"
        )
