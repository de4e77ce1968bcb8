"""Checkers of chapter 1: right answers pass, the usual wrong ones fail with a helpful message."""

import numpy as np
import pytest

from dlbook import functional as F
from dlbook.exercises.perceptrons import (
    check_forward, check_gate, check_nor, check_sigmoid, check_sigmoid_grad,
)
from reader_answers import AND, NAND, NOR, OR, XOR  # by their notebook names: check_gate finds them here


# --------------------------------------------------------------- gates --

def test_nor_weights_pass_and_others_name_the_wrong_inputs():
    assert check_nor(np.array([-0.5, -0.5]), 0.2).passed
    assert check_nor([-1, -1], 0.5).passed
    result = check_nor(np.array([-0.5, -0.5]), 0.7)  # NAND's weights
    assert not result.passed
    text = str(result)
    assert "x = (1, 0) gives 1, NOR is 0" in text and "x = (0, 1) gives 1, NOR is 0" in text
    assert "x = (0, 0)" not in text and "x = (1, 1)" not in text  # NAND and NOR agree there


def test_nor_reports_bad_shapes_and_non_numbers():
    assert "shape (2,)" in str(check_nor(np.array([1.0, 2.0, 3.0]), 0.0))
    assert "one number" in str(check_nor([-1, -1], [0.5, 0.5]))
    result = check_nor("ab", None)
    assert not result.passed and "should be numbers" in str(result)


@pytest.mark.parametrize("gate, fn", [("AND", AND), ("nand", NAND), ("OR", OR), ("NOR", NOR)])
def test_check_gate_accepts_the_chapter_gates(gate, fn):
    assert check_gate(fn, gate).passed


def test_xnor_from_gates_passes_and_xor_fails_on_every_row():
    def xnor(x):
        return OR(np.array([AND(x), NOR(x)]))

    def xor(x):
        return AND(np.array([NAND(x), OR(x)]))

    assert check_gate(xnor, "XNOR").passed
    text = str(check_gate(xor, "XNOR"))
    assert "NOT YET" in text and all(f"x = {row} gives" in text for row in ["(0, 0)", "(1, 0)", "(0, 1)", "(1, 1)"])


def test_check_gate_takes_a_truth_table_and_reports_bad_outputs():
    table = {(0, 0): 1, (1, 0): 0, (0, 1): 0, (1, 1): 1}
    assert check_gate(lambda x: float(x[0] == x[1]), table).passed
    assert "should be 0 or 1, got 0.5" in str(check_gate(lambda x: 0.5, "AND"))
    assert "single number" in str(check_gate(lambda x: x, "AND"))  # returned the input itself
    with pytest.raises(ValueError, match="Unknown gate"):
        check_gate(AND, "IMPLIES")


def test_gate_exceptions_are_reported():
    def broken(x):
        return x[2]

    result = check_gate(broken, "AND")
    assert not result.passed and "your code raised IndexError" in str(result)


# ------------------------------------------------------------- sigmoid --

def stable_sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def test_a_stable_sigmoid_passes():
    assert check_sigmoid(stable_sigmoid).passed
    assert check_sigmoid(F.sigmoid).passed


def test_naive_sigmoid_fails_only_on_the_overflow_check():
    result = check_sigmoid(lambda x: 1 / (1 + np.exp(-x)))
    assert len(result.failures) == 1
    assert "overflow" in result.failures[0] and "sigmoid(±1000)" in result.failures[0]


def test_where_with_both_branches_still_warns():
    def sigmoid(x):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))

    result = check_sigmoid(sigmoid)
    assert not result.passed and "np.where evaluates both" in str(result)


def test_wrong_sigmoids_fail_with_values():
    text = str(check_sigmoid(lambda x: x))  # the notebook's starting point
    assert "NOT YET sigmoid" in text and "sigmoid(-6) should be 0.00247262, got -6 (25 of 25 wrong)" in text
    text = str(check_sigmoid(lambda x: 1 / (1 + np.exp(x))))  # sign slip: sigmoid(-x)
    assert "NOT YET" in text and "sigmoid(0)" not in text


def test_sigmoid_that_mutates_its_input_is_caught():
    def in_place(x):
        x *= -1
        np.exp(x, out=x)
        x += 1
        return 1 / x

    result = check_sigmoid(in_place)
    assert not result.passed and "in place" in str(result)


def test_sigmoid_exceptions_are_reported():
    import math

    result = check_sigmoid(lambda x: 1 / (1 + math.exp(-x)))
    assert not result.passed and "your code raised TypeError" in str(result)


def test_sigmoid_grad_right_and_wrong():
    assert check_sigmoid_grad(lambda x: stable_sigmoid(x) * (1 - stable_sigmoid(x))).passed
    wrong = check_sigmoid_grad(lambda x: stable_sigmoid(x) * (1 + stable_sigmoid(x)))
    assert not wrong.passed and "sigmoid's measured slope" in str(wrong)
    # Forgetting it is a derivative: returning the sigmoid itself.
    assert not check_sigmoid_grad(stable_sigmoid).passed


# ------------------------------------------------------- forward pass --

def forward(x, W1, b1, W2, b2):
    h = stable_sigmoid(x @ W1 + b1)
    scores = h @ W2 + b2
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_a_correct_forward_pass_passes():
    result = check_forward(forward)
    assert result.passed, str(result)


@pytest.mark.parametrize("slip, hint", [
    (lambda x, W1, b1, W2, b2: stable_sigmoid(x @ W1 + b1) @ W2 + b2, "softmax at the end is missing"),
    (lambda x, W1, b1, W2, b2: F.softmax(stable_sigmoid(x @ W1 + b1) @ W2 + b2, axis=0), "axis 0"),
    (lambda x, W1, b1, W2, b2: F.softmax(stable_sigmoid(x @ W1) @ W2 + b2), "b1 is missing"),
    (lambda x, W1, b1, W2, b2: F.softmax(stable_sigmoid(x @ W1 + b1) @ W2), "b2 is missing"),
    (lambda x, W1, b1, W2, b2: F.softmax((x @ W1 + b1) @ W2 + b2), "sigmoid after the first layer"),
])
def test_typical_slips_are_named(slip, hint):
    result = check_forward(slip)
    assert not result.passed and hint in str(result), str(result)


def test_forward_shape_errors_and_exceptions_are_reported():
    transposed = check_forward(lambda x, W1, b1, W2, b2: forward(x, W1, b1, W2, b2).T)
    assert not transposed.passed and "shape (5, 2)" in str(transposed)
    crashed = check_forward(lambda x, W1, b1, W2, b2: W1 @ x)  # matrix product in the wrong order
    assert not crashed.passed and "your code raised ValueError" in str(crashed)
    start = check_forward(lambda x, W1, b1, W2, b2: x)  # the notebook's starting point
    assert "NOT YET" in str(start)


# ------------------------------------------------------ built from gates --

def test_xnor_must_be_built_from_the_gates():
    assert check_gate(lambda x: NAND(np.stack([NAND(x), OR(x)], axis=-1)), "XNOR").passed  # "not XOR"
    assert check_gate(lambda x: NAND(np.array([XOR(x), XOR(x)])), "XNOR").passed  # NOT a = NAND(a, a)
    no_gates = check_gate(lambda x: float(x[0] == x[1]), "XNOR")
    assert not no_gates.passed and "calls no gate" in str(no_gates)
    ignored = check_gate(lambda x: (AND(x), OR(x), float(x[0] == x[1]))[2], "XNOR")  # gates called, not used
    assert not ignored.passed and "not what the last gate returns" in str(ignored)
    assert check_gate(lambda x: float(x[0] == x[1]), "XNOR", from_gates=False).passed


def test_the_gates_are_put_back_even_when_the_readers_code_raises():
    gates = {name: globals()[name] for name in ("AND", "NAND", "OR", "NOR", "XOR")}

    def broken(x):
        AND(x)
        raise RuntimeError("oops")

    assert not check_gate(broken, "XNOR").passed
    assert check_gate(lambda x: OR(np.stack([AND(x), NOR(x)], axis=-1)), "XNOR").passed
    assert all(globals()[name] is gate for name, gate in gates.items())


def test_an_incomplete_or_wrong_truth_table_is_reported():
    result = check_gate(AND, {(0, 0): 0, (1, 1): 1})
    assert not result.passed and "no output for x = (1, 0), (0, 1)" in str(result)
    assert "not an input" in str(check_gate(AND, {(0, 0): 0, (1, 0): 0, (0, 1): 0, (1, 2): 1}))
    assert "should be 0 or 1" in str(check_gate(AND, {(0, 0): 0, (1, 0): 0, (0, 1): 0, (1, 1): 2}))


def test_one_gate_on_a_comparison_of_the_inputs_is_not_built_from_gates():
    # XOR(x) calls NAND, OR and AND inside, but XNOR itself called one gate, on a comparison.
    result = check_gate(lambda x: XOR(np.array([float(x[0] == x[1]), 0.0])), "XNOR")
    assert not result.passed and "calls only one gate" in str(result)
