"""Notebook validation that compares results of training within a stated tolerance.

nbval compares every printed output of a notebook with the committed one,
character for character. That is right for deterministic arithmetic, but the
results of a long float32 training (an accuracy, a final loss, an error count)
change in the last digits from one CPU to another: OpenBLAS picks different
kernels on different processors, and training amplifies last-bit differences.

A cell whose printed numbers are such results says so in one comment line:

    # tolerance (results of training differ across CPUs): points=1.5 count=4

and its outputs are then compared like this:

- all text except the numbers must match exactly, as in plain nbval (runs of
  spaces count as one, since a padded column shifts when a number's digits do);
- a number written as a percentage ("98.9%" or "98.9 %") may differ by
  ``points`` percentage points;
- a whole number ("4 of 359") may differ by ``count``;
- any other number (a loss, "0.0044", "7.4e-05") may differ by
  ``atol + rtol * |committed value|``, as in ``numpy.isclose``.

A tolerance not named is zero: that kind of number must match exactly. Cells
without the comment are compared exactly, as nbval always does.

The plugin is registered in the repository's root ``conftest.py``.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass

import nbval.plugin

# "# tolerance: points=1.5 count=4" or "# tolerance (why): rtol=0.1 atol=0.005"
MARKER = re.compile(r"^\s*#\s*tolerance\b[^:\n]*:(?P<spec>[^\n]*)$", re.IGNORECASE | re.MULTILINE)
SETTING = re.compile(r"(?P<key>\w+)\s*=\s*(?P<value>[^\s,;]+)")
KEYS = ("points", "count", "rtol", "atol")

# A number as printed: optional sign, digits with optional thousands commas, an
# optional fraction and exponent, and an optional percent sign after it.
NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-−])?(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d+)?"
    r"(?P<exponent>[eE][-+]?\d+)?(?P<percent>\s?%)?"
)
PLACEHOLDER = "<number>"
SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Tolerance:
    """How far each kind of printed number may move from the committed value."""

    points: float = 0.0  # percentage points, for numbers printed with %
    count: float = 0.0   # for whole numbers
    rtol: float = 0.0    # relative, for every other number
    atol: float = 0.0    # absolute, for every other number

    @classmethod
    def parse(cls, spec: str) -> Tolerance:
        """Read ``points=1.5 count=4 rtol=0.1 atol=0.005`` (any subset, any order)."""
        settings = {}
        leftover = SETTING.sub("", spec).strip(" ,;")
        if leftover:
            raise ValueError(f"tolerance line: cannot read {leftover!r} in {spec.strip()!r}; "
                             f"write key=value pairs with keys {', '.join(KEYS)}")
        for match in SETTING.finditer(spec):
            key, value = match["key"], match["value"]
            if key not in KEYS:
                raise ValueError(f"tolerance line: unknown key {key!r}; the keys are {', '.join(KEYS)}")
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"tolerance line: {key}={value!r} is not a number") from None
            if not (math.isfinite(number) and number >= 0):
                raise ValueError(f"tolerance line: {key}={value} must be a finite number ≥ 0")
            settings[key] = number
        if not settings:
            raise ValueError("tolerance line names no tolerance; "
                             f"write key=value pairs with keys {', '.join(KEYS)}")
        return cls(**settings)

    def allows(self, committed: Number, new: Number) -> bool:
        """Is the new value close enough to the committed one for its kind of number?"""
        if (committed.kind == "percent") != (new.kind == "percent"):
            return False
        difference = abs(new.value - committed.value)
        if committed.kind == "percent":
            limit = self.points
        elif committed.kind == new.kind == "count":
            limit = self.count
        else:  # a real number, or one that a "g" format printed as "1" and now as "1.2"
            limit = self.atol + self.rtol * abs(committed.value)
        return difference <= limit * (1 + 1e-9)

    def describe(self, kind: str) -> str:
        if kind == "percent":
            return f"±{self.points:g} points"
        if kind == "count":
            return f"±{self.count:g}"
        return f"atol {self.atol:g} + rtol {self.rtol:g}"


@dataclass(frozen=True)
class Number:
    text: str
    value: float
    kind: str  # "percent", "count" or "real"


def find_tolerance(source: str) -> Tolerance | None:
    """The tolerance a cell's source declares, or None for an exactly compared cell."""
    matches = [match["spec"] for match in MARKER.finditer(source)]
    if not matches:
        return None
    if len(matches) > 1:
        raise ValueError("a cell has more than one tolerance line; write one")
    return Tolerance.parse(matches[0])


def split_numbers(text: str) -> tuple[str, list[Number]]:
    """The text with each number replaced by a placeholder, and the numbers in order."""
    numbers = []

    def take(match: re.Match) -> str:
        digits = match["digits"].replace(",", "")
        literal = digits + (match["fraction"] or "") + (match["exponent"] or "")
        value = float(literal) * (-1 if match["sign"] else 1)
        if match["percent"]:
            kind = "percent"
        elif match["fraction"] or match["exponent"]:
            kind = "real"
        else:
            kind = "count"
        numbers.append(Number(match.group(0), value, kind))
        return PLACEHOLDER + ("%" if match["percent"] else "")

    skeleton = NUMBER.sub(take, text)
    # A number printed in a padded column ("{loss:9.2g}") takes more or less of
    # the padding when its digits change: compare the text with spaces folded.
    return SPACES.sub(" ", skeleton), numbers


def _numbers_out_of(outputs: list) -> tuple[list, dict[str, list[Number]]]:
    """Copies of the outputs with numbers replaced, and the numbers per stream or MIME type."""
    skeletons, numbers = [], {}
    for output in outputs:
        skeleton = copy.deepcopy(output)
        if output.get("output_type") == "stream":
            skeleton["text"], found = split_numbers(output["text"])
            numbers.setdefault(output["name"], []).extend(found)
        for mime, content in output.get("data", {}).items():
            if isinstance(content, str) and mime.startswith("text/"):
                skeleton["data"][mime], found = split_numbers(content)
                numbers.setdefault(mime, []).extend(found)
        skeletons.append(skeleton)
    return skeletons, numbers


def compare_within(tolerance: Tolerance, test: list, ref: list) -> tuple[list[str], list, list]:
    """Compare two cells' outputs number by number.

    Returns the differences found (empty: the numbers agree) and both outputs with
    their numbers replaced by placeholders, for the exact comparison of the text.
    """
    test_skeleton, test_numbers = _numbers_out_of(test)
    ref_skeleton, ref_numbers = _numbers_out_of(ref)
    problems = []
    for key, committed in ref_numbers.items():
        new = test_numbers.get(key, [])
        if len(new) != len(committed):
            problems.append(f"{key}: {len(committed)} numbers committed, {len(new)} printed now")
            continue
        for old, now in zip(committed, new):
            if not tolerance.allows(old, now):
                problems.append(f"{key}: committed {old.text!r}, now {now.text!r}: "
                                f"more than the cell's tolerance ({tolerance.describe(old.kind)})")
    return problems, test_skeleton, ref_skeleton


_exact_compare = nbval.plugin.IPyNbCell.compare_outputs


def compare_outputs(self, test, ref, skip_compare=None):
    """nbval's comparison, with the numbers of a cell that has a tolerance line compared within it."""
    try:
        tolerance = find_tolerance(self.cell.source)
    except ValueError as error:
        self.comparison_traceback = [f"Cell {self.cell_num}: {error}"]
        return False
    if tolerance is None:
        return _exact_compare(self, test, ref, skip_compare)
    problems, test_skeleton, ref_skeleton = compare_within(tolerance, test, ref)
    # The text around the numbers must still match exactly.
    if not _exact_compare(self, test_skeleton, ref_skeleton, skip_compare):
        return False
    if problems:
        self.comparison_traceback = ["Numbers outside the tolerance this cell states:", *problems]
        return False
    return True


def pytest_configure(config):
    nbval.plugin.IPyNbCell.compare_outputs = compare_outputs
