"""The shared machinery of the exercise checkers."""

import numpy as np

from dlbook.exercises import CheckResult, Mismatch, expect_close, run_checks


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
