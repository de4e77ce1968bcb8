"""Logic gates for the chapter 1 checkers: truth tables, and gates built from other gates.

A reader's gate is a function ``fn(x)`` of one input ``x = (x1, x2)``, an array of shape (2,),
returning 0 or 1. `compare_rows` compares it with a truth table on the four inputs `INPUTS`.
`built_from_gates` checks that XOR or XNOR is *composed* of the chapter's gates: while it
calls ``fn``, the gate functions in ``fn``'s globals (the reader's notebook), by the names in
`GATE_NAMES`, are replaced by wrappers that count the calls or answer falsely, and put back
afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from dlbook.exercises import Mismatch, as_numbers

__all__ = ["INPUTS", "GATES", "GATE_NAMES", "as_bit", "row_text", "compare_rows", "truth_table",
           "built_from_gates"]

INPUTS = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float64)  # (4, 2): rows (x1, x2)
# Each gate's outputs for the rows of INPUTS.
GATES: dict[str, tuple[int, int, int, int]] = {
    "AND": (0, 0, 0, 1),
    "NAND": (1, 1, 1, 0),
    "OR": (0, 1, 1, 1),
    "NOR": (1, 0, 0, 0),
    "XOR": (0, 1, 1, 0),
    "XNOR": (1, 0, 0, 1),
}
# The gate functions a reader builds XOR and XNOR from, by these names in the reader's notebook.
GATE_NAMES = ("AND", "NAND", "OR", "NOR", "XOR")


def as_bit(value, what: str) -> int:
    """The reader's output as 0 or 1, or a `Mismatch` saying why it is not one."""
    array = as_numbers(value, what)
    if array.size != 1:
        raise Mismatch(f"{what} should be a single number (0 or 1), got shape {array.shape}: {value!r}")
    number = float(array.reshape(()))
    if number not in (0.0, 1.0):
        raise Mismatch(f"{what} should be 0 or 1, got {number:g}")
    return int(number)


def row_text(x: np.ndarray) -> str:
    return f"({int(x[0])}, {int(x[1])})"


def compare_rows(fn: Callable[[np.ndarray], object], expected: tuple[int, ...], name: str) -> None:
    """Call fn on each row of INPUTS; one `Mismatch` lists every wrong row."""
    wrong = []
    for x, want in zip(INPUTS, expected):
        got = as_bit(fn(x.copy()), f"the output for x = {row_text(x)}")
        if got != want:
            wrong.append(f"x = {row_text(x)} gives {got}, {name} is {want}")
    if wrong:
        raise Mismatch("\n    ".join(wrong))


def truth_table(table: Mapping) -> tuple[int, ...]:
    """A truth table ``{(x1, x2): y}`` as the outputs for the rows of INPUTS (or a `Mismatch`: what is off)."""
    outputs: dict[tuple[int, int], int] = {}
    for key, value in table.items():
        try:
            row = tuple(int(v) for v in key)
        except (TypeError, ValueError):
            row = ()
        if len(row) != 2 or not set(row) <= {0, 1} or any(float(v) != r for v, r in zip(key, row)):
            raise Mismatch(f"the truth table's key {key!r} is not an input (x1, x2) with x1, x2 in {{0, 1}}")
        outputs[row] = as_bit(value, f"the truth table's output for {key!r}")
    missing = [row_text(x) for x in INPUTS if (int(x[0]), int(x[1])) not in outputs]
    if missing:
        raise Mismatch(f"the truth table has no output for x = {', '.join(missing)}: give y for all four "
                       "inputs (0, 0), (1, 0), (0, 1), (1, 1)")
    return tuple(outputs[(int(x[0]), int(x[1]))] for x in INPUTS)


class _GatesWatched:
    """While active, the gates in ``fn``'s globals are replaced by wrappers that count calls (or lie).

    ``mode`` "count" passes every call through; "zeros" and "ones" return zeros or ones of the
    gate's own output shape, to see whether ``fn``'s answer comes out of the gates at all.
    """

    def __init__(self, fn: Callable, mode: str = "count"):
        namespace = getattr(fn, "__globals__", {})
        self.namespace, self.mode = namespace, mode
        self.calls = 0  # calls made by fn itself, not by a gate inside another (XOR calls NAND, OR, AND)
        self.depth = 0
        self.originals = {name: namespace[name] for name in GATE_NAMES
                          if callable(namespace.get(name)) and namespace[name] is not fn}

    def _wrap(self, gate: Callable) -> Callable:
        def watched(*args, **kwargs):
            self.calls += self.depth == 0
            self.depth += 1
            try:
                out = gate(*args, **kwargs)
            finally:
                self.depth -= 1
            if self.mode == "count":
                return out
            return np.full_like(np.asarray(out, dtype=np.float64), 0.0 if self.mode == "zeros" else 1.0)
        return watched

    def __enter__(self) -> "_GatesWatched":
        for name, gate in self.originals.items():
            self.namespace[name] = self._wrap(gate)
        return self

    def __exit__(self, *exc) -> None:
        self.namespace.update(self.originals)


def built_from_gates(fn: Callable, name: str) -> None:
    """Raise `Mismatch` unless fn calls the chapter's gates and its answer is what they return."""
    for x in INPUTS:
        with _GatesWatched(fn) as watched:
            if not watched.originals:
                raise Mismatch(f"build {name} from the chapter's gates ({', '.join(GATE_NAMES)}): none of "
                               "them is defined where your function is")
            fn(x.copy())
        if watched.calls < 2:  # one gate alone (on x, or on a comparison of x) is not XOR or XNOR
            calls = "no gate" if watched.calls == 0 else "only one gate"
            raise Mismatch(f"for x = {row_text(x)} your {name} calls {calls}; build it from the gates "
                           f"{', '.join(watched.originals)}, without new weights or comparisons of the inputs")
    outputs = {}
    for mode in ("zeros", "ones"):
        with _GatesWatched(fn, mode):
            outputs[mode] = [as_bit(fn(x.copy()), f"the output for x = {row_text(x)}") for x in INPUTS]
    if outputs["zeros"] != [0] * 4 or outputs["ones"] != [1] * 4:
        raise Mismatch(f"your {name} calls the gates, but its answer is not what the last gate returns "
                       "(it stays the same, or is flipped, when the gates answer differently); make the "
                       "last step a gate too (NOT a is NAND(a, a))")
