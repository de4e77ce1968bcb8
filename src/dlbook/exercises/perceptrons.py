"""Checkers for chapter 1, Perceptrons and neural networks.

* `check_nor(w, b)`: do these weights and bias make a perceptron compute NOR?
* `check_gate(fn, gate)`: does ``fn(x)`` compute a logic gate (e.g. "XNOR") on all four inputs?
  XOR and XNOR must also be *built from* the chapter's gates: the checker wraps the gate
  functions ``fn`` calls (``AND``, ``NAND``, ``OR``, ``NOR``, ``XOR``) and counts the calls.
* `check_sigmoid(fn)`, `check_sigmoid_grad(fn)`: the sigmoid and its derivative, including at ±1000.
* `check_forward(fn)`: a two-layer forward pass ``softmax(sigmoid(x W1 + b1) W2 + b2)`` against `dlbook`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

import numpy as np

from dlbook import functional as F
from dlbook.exercises import CheckResult, Mismatch, as_numbers, distinct_numbers, expect_close, run_checks
from dlbook.exercises.gates import GATE_NAMES, GATES, INPUTS, built_from_gates, compare_rows, truth_table
from dlbook.layers import Linear, Sigmoid
from dlbook.model import Sequential

__all__ = ["GATES", "GATE_NAMES", "INPUTS", "check_nor", "check_gate", "check_sigmoid", "check_sigmoid_grad",
           "check_forward"]

def check_nor(w, b) -> CheckResult:
    """Check that the perceptron y = step(w1 x1 + w2 x2 + b) computes NOR.

    Args:
        w: the two weights, e.g. ``np.array([w1, w2])``.
        b: the bias, a number.
    Returns:
        A `CheckResult`; it names each input on which the perceptron is wrong.
    """

    def numbers() -> tuple[np.ndarray, float]:
        try:
            weights, bias = as_numbers(w, "w"), as_numbers(b, "b")
        except Mismatch as mismatch:
            raise Mismatch(f"w and b should be numbers, got w = {w!r}, b = {b!r} ({mismatch})") from None
        if weights.shape != (2,):
            raise Mismatch(f"w should hold two weights, shape (2,), got shape {weights.shape}")
        if bias.size != 1:
            raise Mismatch(f"b should be one number, got shape {bias.shape}")
        return weights, float(bias.reshape(()))

    def table() -> None:
        weights, bias = numbers()
        compare_rows(lambda x: F.step(x @ weights + bias), GATES["NOR"], "NOR")

    return run_checks("NOR perceptron", {"w is two numbers and b one": numbers,
                                         "NOR's truth table": table})


def check_gate(fn: Callable[[np.ndarray], object], gate: str | Mapping, *,
               from_gates: bool | None = None) -> CheckResult:
    """Check that ``fn(x)`` computes a logic gate for each input x = (x1, x2) in {0, 1}².

    Args:
        fn: the reader's gate; it receives one input ``x``, an array of shape (2,),
            and returns 0 or 1.
        gate: a name from `GATES` ("AND", "NAND", "OR", "NOR", "XOR", "XNOR"), or a
            truth table ``{(x1, x2): y}``.
        from_gates: whether ``fn`` must be built from the gate functions named in
            `GATE_NAMES` (found in ``fn``'s globals, the notebook); by default only for
            XOR and XNOR, which no single perceptron computes. The checker then wraps
            those functions while it calls ``fn``: ``fn`` must call them, and its answer
            must be what the last of them returns.
    Returns:
        A `CheckResult`; it names each input on which ``fn`` is wrong.
    """
    if isinstance(gate, str):
        if gate.upper() not in GATES:
            raise ValueError(f"Unknown gate {gate!r}; choose one of {list(GATES)} or pass a truth table")
        name = gate.upper()

        def expected() -> tuple[int, ...]:
            return GATES[name]
    else:
        name = "the truth table"

        def expected() -> tuple[int, ...]:
            return truth_table(gate)
    label = name if name == "the truth table" else f"{name}'s truth table"
    checks = {label: lambda: compare_rows(fn, expected(), name)}
    if from_gates if from_gates is not None else name in ("XOR", "XNOR"):
        checks[f"{name} built from the gates"] = lambda: built_from_gates(fn, name)
    return run_checks(name, checks)


def _quiet_call(fn: Callable, x: np.ndarray, what: str):
    """fn(x), turning a NumPy warning (overflow in exp, division by zero, ...) into a `Mismatch`."""
    # Underflow (exp(-1000) -> 0) is harmless; overflow, 0/0 and division by zero are not.
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("always")
        out = fn(x)
    numpy_warnings = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    if numpy_warnings:
        hint = ""
        if "overflow" in numpy_warnings[0]:
            hint = (".\n    np.exp overflows above about 709: compute exp only of numbers <= 0"
                    "\n    (and note that np.where evaluates both of its branches)")
        raise Mismatch(f"{what} gave a warning: {numpy_warnings[0]}{hint}")
    return out


def _expect_values(got, expected: np.ndarray, x: np.ndarray, name: str, *,
                   rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Raise `Mismatch` naming the input x where ``got`` is furthest from ``expected``."""
    got = as_numbers(got, f"{name}(x)")
    if got.shape != expected.shape:
        raise Mismatch(f"{name}(x) should have x's shape {expected.shape}, got {got.shape}")
    wrong = ~np.isclose(got, expected, rtol=rtol, atol=atol)  # NaN counts as wrong
    if wrong.any():
        error = np.where(wrong, np.nan_to_num(np.abs(got - expected), nan=np.inf), -1.0)
        i = int(np.argmax(error))
        count = f" ({wrong.sum()} of {wrong.size} wrong)" if wrong.sum() > 1 else ""
        want, have = distinct_numbers(expected.flat[i], got.flat[i])
        raise Mismatch(f"{name}({x.flat[i]:g}) should be {want}, got {have}{count}")


def _activation_checks(fn: Callable[[np.ndarray], np.ndarray], reference: Callable[[np.ndarray], np.ndarray],
                       name: str) -> dict[str, Callable[[], None]]:
    x = np.linspace(-6.0, 6.0, 25)  # (25,)

    def values() -> None:
        _expect_values(fn(x.copy()), reference(x), x, name)

    def zero() -> None:
        x0 = np.array([0.0])
        _expect_values(fn(x0.copy()), reference(x0), x0, name)

    def matrix() -> None:
        xm = x.reshape(5, 5)
        _expect_values(fn(xm.copy()), reference(xm), xm, name)

    def extremes() -> None:
        big = np.array([-1000.0, -50.0, 50.0, 1000.0])
        out = _quiet_call(fn, big.copy(), f"{name}(±1000)")
        _expect_values(out, reference(big), big, name, atol=1e-12)

    def untouched() -> None:
        original = x.copy()
        fn(x_in := x.copy())
        if not np.array_equal(x_in, original):
            raise Mismatch(f"{name} changed its input array in place; return a new array instead")

    return {"x in [-6, 6]": values, "x = 0": zero, "x a 5 x 5 matrix": matrix,
            "large x, no warnings": extremes, "x left unchanged": untouched}


def check_sigmoid(fn: Callable[[np.ndarray], np.ndarray]) -> CheckResult:
    """Check a sigmoid σ(x) = 1 / (1 + exp(-x)) against `dlbook.functional.sigmoid`.

    Checks values, shape, x = 0, inputs of ±1000 (finite, correct, no overflow
    warning) and that the input array is left unchanged.
    """
    return run_checks("sigmoid", _activation_checks(fn, F.sigmoid, "sigmoid"))


def check_sigmoid_grad(fn: Callable[[np.ndarray], np.ndarray]) -> CheckResult:
    """Check the sigmoid's derivative σ'(x) = σ(x)(1 - σ(x)) against `dlbook.functional.sigmoid_grad`."""
    checks = _activation_checks(fn, F.sigmoid_grad, "sigmoid_grad")

    def slope() -> None:
        # The derivative is the slope of the sigmoid: compare with a central difference.
        x, h = np.array([-2.0, -0.5, 0.0, 1.0, 3.0]), 1e-5
        numerical = (F.sigmoid(x + h) - F.sigmoid(x - h)) / (2 * h)
        _expect_values(fn(x.copy()), numerical, x, "sigmoid_grad", rtol=1e-5, atol=1e-9)

    checks["sigmoid's measured slope"] = slope
    return run_checks("sigmoid_grad", checks)


def _reference_forward(x, W1, b1, W2, b2) -> np.ndarray:
    """softmax(sigmoid(x W1 + b1) W2 + b2), computed by dlbook's layers."""
    rng = np.random.default_rng(0)
    first, second = Linear(*W1.shape, rng=rng), Linear(*W2.shape, rng=rng)
    first.params.update(W=W1.copy(), b=b1.copy())
    second.params.update(W=W2.copy(), b=b2.copy())
    return F.softmax(Sequential(first, Sigmoid(), second).forward(x), axis=1)


def _diagnose(got: np.ndarray, x, W1, b1, W2, b2) -> str:
    """A hint if `got` matches a typical slip: a missing softmax, bias or activation, softmax's axis."""
    scores = F.sigmoid(x @ W1 + b1) @ W2 + b2
    slips = {
        "the softmax at the end is missing": scores,
        "the softmax normalizes each column (axis 0) instead of each row (axis 1)": F.softmax(scores, axis=0),
        "the hidden layer's bias b1 is missing": F.softmax(F.sigmoid(x @ W1) @ W2 + b2, axis=1),
        "the output layer's bias b2 is missing": F.softmax(F.sigmoid(x @ W1 + b1) @ W2, axis=1),
        "the sigmoid after the first layer is missing": F.softmax((x @ W1 + b1) @ W2 + b2, axis=1),
    }
    for hint, slip in slips.items():
        if slip.shape == got.shape and np.allclose(got, slip, rtol=1e-6, atol=1e-9):
            return f"\n    (it looks as if {hint})"
    return ""


def check_forward(fn: Callable[..., np.ndarray]) -> CheckResult:
    """Check a two-layer forward pass ``fn(x, W1, b1, W2, b2)`` against `dlbook`'s layers.

    The network: h = sigmoid(x W1 + b1), o = softmax(h W2 + b2) with the
    softmax over each row. Shapes: x (N, D), W1 (D, H), b1 (H,), W2 (H, K),
    b2 (K,); o (N, K). The checker uses D, H, K all different, so a
    transposed matrix shows up, and names the usual slips.
    """
    rng = np.random.default_rng(7)
    D, H, K = 3, 4, 2
    W1, b1 = rng.normal(size=(D, H)), rng.normal(size=H)
    W2, b2 = rng.normal(size=(H, K)), rng.normal(size=K)

    def batch(N: int) -> Callable[[], None]:
        def check() -> None:
            x = rng.normal(size=(N, D))
            expected = _reference_forward(x, W1, b1, W2, b2)
            got = fn(x.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy())
            try:
                expect_close(got, expected, what="the output")
            except Mismatch as mismatch:
                hint = _diagnose(as_numbers(got, "the output"), x, W1, b1, W2, b2) \
                    if np.shape(got) == expected.shape else ""
                raise Mismatch(f"{mismatch}{hint}") from None
        return check

    def rows_sum_to_one() -> None:
        x = rng.normal(size=(5, D))
        sums = as_numbers(fn(x, W1.copy(), b1.copy(), W2.copy(), b2.copy()), "the output").sum(axis=-1)
        expect_close(sums, np.ones(5), what="the row sums")

    return run_checks("two-layer forward pass", {
        "N=5 inputs, D=3, H=4, K=2": batch(5),
        "N=1 input": batch(1),
        "each row sums to 1": rows_sum_to_one,
    })
