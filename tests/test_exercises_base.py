"""The shared machinery of the exercise checkers."""

import sys
import warnings

import numpy as np
import pytest

from dlbook.exercises import (CheckResult, Mismatch, as_numbers, distinct_arrays, distinct_numbers, expect_close,
                              run_checks)


def test_report_lists_each_failure_and_survives_exceptions():
    def fails():
        raise Mismatch("expected 1, got 2")

    def crashes():
        raise ZeroDivisionError("division by zero")

    result = run_checks("thing", {"ok": lambda: None, "values": fails, "edge case": crashes})
    assert not result.passed and result.total == 3
    text = str(result)
    assert "2 of 3 checks failed" in text
    assert "values: expected 1, got 2" in text
    assert "edge case: your code raised ZeroDivisionError: division by zero" in text


def test_passing_report():
    result = run_checks("thing", {"a": lambda: None})
    assert result.passed and bool(result)
    assert str(result) == "PASSED thing: all 1 checks passed."


def test_expect_close_names_shape_and_the_worst_index():
    expect_close([1.0, 2.0], [1.0, 2.0], what="y")
    for got, message in [([1.0], "shape (2,)"), ([1.0, 2.5], "index (1,): expected 2.0, got 2.5"), ("ab", "numbers")]:
        try:
            expect_close(got, np.array([1.0, 2.0]), what="y")
        except Mismatch as mismatch:
            assert message in str(mismatch)
        else:
            raise AssertionError(f"{got!r} should not pass")
    assert isinstance(run_checks("x", {}), CheckResult)


def test_jupyter_shows_the_report_wrapped_to_the_page():
    long = "expected the gradient to be zero wherever the forward pass dropped a value, " * 3
    result = run_checks("thing", {"check": lambda: (_ for _ in ()).throw(Mismatch(long))})
    assert max(len(line) for line in repr(result).splitlines()) <= 76
    assert " ".join(repr(result).split()) == " ".join(str(result).split())


def test_a_multi_line_failure_keeps_its_lines_in_jupyter():
    rows = "x = (0, 0) gives 0, XNOR is 1\n    x = (1, 1) gives 0, XNOR is 1"
    result = run_checks("XNOR", {"truth table": lambda: (_ for _ in ()).throw(Mismatch(rows))})
    shown = repr(result).splitlines()
    assert shown[1] == "  - truth table: x = (0, 0) gives 0, XNOR is 1"
    assert shown[2] == "    x = (1, 1) gives 0, XNOR is 1"
    assert str(result).splitlines()[1:] == shown[1:]


def test_numbers_that_differ_are_shown_with_enough_digits_to_see_it():
    try:
        expect_close([12.0100002], [12.01], what="g", rtol=1e-9)
    except Mismatch as mismatch:
        assert "expected 12.01, got 12.0100002" in str(mismatch)
    else:
        raise AssertionError("12.0100002 should not pass as 12.01")
    assert distinct_numbers(2.0, 2.5) == ("2", "2.5")  # the usual format when it already differs
    assert distinct_numbers(1.0, 1.0 + 2**-52) == ("1", "1.0000000000000002")


def test_sys_exit_in_the_readers_code_is_reported_and_keyboard_interrupt_goes_through():
    def exits():
        sys.exit("bye")

    result = run_checks("thing", {"a": exits, "b": lambda: None})
    assert not result.passed and result.total == 2
    assert "your code called sys.exit('bye')" in str(result)

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # the reader pressed stop: the checker must not swallow it
        run_checks("thing", {"a": interrupted})


def test_complex_numbers_are_refused_not_cut_to_their_real_part():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for value in (1 + 2j, np.array([0.5, 1j]), [1.0, 2 + 0j]):
            with pytest.raises(Mismatch, match="got complex numbers"):
                as_numbers(value, "y")
        result = run_checks("thing", {"a": lambda: float(np.complex128(1 + 1j))})  # a cast in the reader's code
    assert not result.passed and "complex numbers" in str(result)
    for value in ("1.5", None, [None, 1.0]):
        with pytest.raises(Mismatch, match="should be numbers"):
            as_numbers(value, "y")


def test_arrays_that_differ_are_shown_with_enough_digits_to_see_it():
    assert distinct_arrays([0.5, 1.0], [0.5, 2.0]) == ("[0.5, 1.0]", "[0.5, 2.0]")
    assert distinct_arrays([0.5, 1.0], [0.5, 1.0 + 1e-9]) == ("[0.5, 1.0]", "[0.5, 1.000000001]")
