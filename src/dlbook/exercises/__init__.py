"""Checkers for the reader's own implementations, one module per chapter.

An exercise hands the reader's function to a checker::

    from dlbook.exercises.perceptrons import check_sigmoid
    check_sigmoid(my_sigmoid)

The checker calls it on inputs chosen to expose the usual mistakes and returns a
`CheckResult` that Jupyter displays as a short report: every check passed, or
what was wrong — which input, what was expected, what came back. A checker never
raises because of the reader's code: a wrong answer, an exception inside the
reader's function or a call of ``sys.exit`` is reported, not thrown (only
``KeyboardInterrupt`` goes through, so that the reader can stop a checker).
Complex numbers are refused as answers, never silently cut to their real part.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CheckResult", "Mismatch", "run_checks", "expect_close", "as_numbers", "call_on_copies",
           "distinct_numbers", "distinct_arrays", "GRADCHECK_TOLERANCE", "GRADCHECK_TOLERANCE_TEXT"]

# The largest relative error a gradient checker accepts. The chapter "Backpropagation" calls
# about 1e-7 or less right, 1e-7 to 1e-4 suspicious; a correct float64 gradient gives about 1e-10.
GRADCHECK_TOLERANCE = 1e-7
GRADCHECK_TOLERANCE_TEXT = "1e-7"  # as the chapter writes it


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
            # A failure may hold several lines (e.g. one per wrong input): each keeps its own line.
            first, *more = failure.split("\n")
            if width is None:
                lines += [f"  - {first}", *more]
                continue
            lines += _wrap(first, width, "  - ", "    ")
            for line in more:
                indent = " " * max(4, len(line) - len(line.lstrip()))
                lines += _wrap(line.strip(), width, indent, indent + "  ")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        # What Jupyter shows: wrapped to fit the book's page column.
        return self.report(width=76)

    def __bool__(self) -> bool:
        return self.passed


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


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
            # A complex number cast to float loses its imaginary part: an error here, not a warning.
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                check()
        except Mismatch as mismatch:
            failures.append(f"{description}: {mismatch}")
        except np.exceptions.ComplexWarning:
            failures.append(f"{description}: your code gave complex numbers; the answer must be real")
        except SystemExit as stop:  # sys.exit() or exit() in the reader's code: report it, keep the kernel
            code = "" if stop.code is None else repr(stop.code)
            failures.append(f"{description}: your code called sys.exit({code}); return the answer instead")
        except Exception as error:  # the reader's code raised: report it, do not crash the notebook
            failures.append(f"{description}: your code raised {type(error).__name__}: {error}")
    return CheckResult(name, len(checks), failures)


def as_numbers(value, what: str) -> np.ndarray:
    """The reader's answer as a float64 array, or a `Mismatch` saying why it is not real numbers.

    Complex answers are refused (``np.asarray(z, dtype=float)`` would drop the
    imaginary part with only a warning), and so are strings, ``None`` and ragged lists.
    """
    try:
        array = np.asarray(value)
        objects = list(array.flat) if array.dtype == object else []
        if np.iscomplexobj(array) or any(isinstance(v, complex) for v in objects):
            numbers = [complex(v) for v in array.flat]
            example = next((z for z in numbers if z.imag != 0), numbers[0] if numbers else 0j)
            raise Mismatch(f"{what} should be real numbers, got complex numbers "
                           f"(e.g. {example:.6g}); the answer must be real")
        if array.dtype.kind in "USV" or any(v is None for v in objects):
            raise TypeError  # text, bytes or None: np.asarray would turn "1.5" into 1.5 and None into nan
        return np.asarray(array, dtype=np.float64)
    except Mismatch:
        raise
    except (TypeError, ValueError):
        shown = repr(value) if len(repr(value)) <= 60 else f"a {type(value).__name__}"
        raise Mismatch(f"{what} should be numbers, got {shown}") from None


def distinct_numbers(expected: float, got: float, render: Callable[[float], str] = lambda v: f"{v:.6g}"
                     ) -> tuple[str, str]:
    """``expected`` and ``got`` as text, with enough digits that different numbers look different.

    ``render`` is the usual format; only when it shows two different numbers alike
    (12.01 and 12.0100001) are more significant digits used, up to all 17.
    """
    first, second = render(expected), render(got)
    if first != second or expected == got or (np.isnan(expected) and np.isnan(got)):
        return first, second
    for digits in range(7, 18):
        first, second = f"{expected:.{digits}g}", f"{got:.{digits}g}"
        if first != second:
            return first, second
    return repr(float(expected)), repr(float(got))


def distinct_arrays(first, second) -> tuple[str, str]:
    """Two arrays as lists rounded to 6 decimals, or in full precision if rounding would show them alike."""
    a, b = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    shown = str(np.round(a, 6).tolist()), str(np.round(b, 6).tolist())
    if shown[0] == shown[1] and not np.array_equal(a, b):
        return str(a.tolist()), str(b.tolist())
    return shown


def call_on_copies(fn: Callable, *args, names: tuple[str, ...] | None = None):
    """``fn(*args)`` on copies of the array arguments (and of dicts of arrays), NumPy's warnings off.

    Raises `Mismatch` if the reader's function changed one of them in place: the
    caller's data must survive a call. ``names`` name the arguments in that report.
    """
    def copy(a):
        if isinstance(a, np.ndarray):
            return a.copy()
        return {k: v.copy() for k, v in a.items()} if isinstance(a, dict) else a

    copies = [copy(a) for a in args]
    with np.errstate(all="ignore"):
        out = fn(*copies)
    for k, (original, mine) in enumerate(zip(args, copies)):
        pairs = zip(original.values(), mine.values()) if isinstance(original, dict) else [(original, mine)]
        if any(isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True) for a, b in pairs):
            which = f"its input {names[k]}" if names else "one of its input arrays"
            raise Mismatch(f"your function changed {which} in place; compute into new arrays instead")
    return out


def expect_close(got, expected, *, what: str, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Raise `Mismatch` unless ``got`` has ``expected``'s shape and values (within tolerance)."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_numbers(got, what)
    if got.shape != expected.shape:
        raise Mismatch(f"{what} should have shape {expected.shape}, got {got.shape}")
    if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False):
        with np.errstate(invalid="ignore"):  # inf - inf: nan counts as the largest difference
            difference = np.nan_to_num(np.abs(got - expected), nan=np.inf)
        bad = np.unravel_index(np.argmax(difference), got.shape) if got.ndim else ()
        where = f" at index {tuple(int(i) for i in bad)}" if got.ndim else ""
        shown = distinct_numbers(expected[bad], got[bad], lambda v: str(np.round(v, 6)))
        raise Mismatch(f"{what}{where}: expected {shown[0]}, got {shown[1]}")
