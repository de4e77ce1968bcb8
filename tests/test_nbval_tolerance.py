"""The tolerance comparison for results of training in notebooks (tools/nbval_tolerance.py)."""

from types import SimpleNamespace

import nbformat
import nbval.plugin
import pytest

from tools import nbval_tolerance
from tools.nbval_tolerance import Tolerance, compare_within, find_tolerance, split_numbers


def stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_numbers_are_found_with_their_kind():
    skeleton, numbers = split_numbers("test accuracy 98.9%: 4 of 359 wrong, loss 7.4e-05, 68,522 params, −0.5")
    assert skeleton == ("test accuracy <number>%: <number> of <number> wrong, loss <number>, "
                        "<number> params, <number>")
    assert [(n.value, n.kind) for n in numbers] == [
        (98.9, "percent"), (4, "count"), (359, "count"), (7.4e-05, "real"), (68522, "count"), (-0.5, "real")]


def test_padding_that_shifts_with_the_digits_is_not_a_difference():
    problems, test, ref = compare_within(TOL, [stream("Momentum     0.15    0.021\n")],
                                         [stream("Momentum     0.15     0.02\n")])
    assert problems == [] and test == ref


def test_a_percent_sign_after_a_space_counts_too():
    _, numbers = split_numbers("CNN 99.2 % and MLP 96 %")
    assert [(n.value, n.kind) for n in numbers] == [(99.2, "percent"), (96, "percent")]


def test_the_tolerance_line_is_read_from_the_cell_source():
    source = "acc = run()\n# tolerance (results of training differ across CPUs): points=1.5 count=4\nprint(acc)"
    assert find_tolerance(source) == Tolerance(points=1.5, count=4)
    assert find_tolerance("print(1)  # no marker here") is None
    assert find_tolerance("# tolerance: rtol=0.1, atol=0.005") == Tolerance(rtol=0.1, atol=0.005)


@pytest.mark.parametrize("line, words", [
    ("# tolerance: points=one", "not a number"),
    ("# tolerance: pts=1", "unknown key"),
    ("# tolerance: points=-1", "≥ 0"),
    ("# tolerance: about one point", "cannot read"),
    ("# tolerance:", "names no tolerance"),
])
def test_a_tolerance_line_that_cannot_be_read_is_an_error(line, words):
    with pytest.raises(ValueError, match=words):
        find_tolerance(line)


def test_two_tolerance_lines_are_an_error():
    with pytest.raises(ValueError, match="more than one"):
        find_tolerance("# tolerance: points=1\n# tolerance: count=2")


TOL = Tolerance(points=1.5, count=4, rtol=0.1, atol=0.005)
COMMITTED = [stream("test accuracy 98.9%: 4 of 359 wrong\nfinal loss 0.1219, then 0.0009\n")]


@pytest.mark.parametrize("printed", [
    "test accuracy 98.9%: 4 of 359 wrong\nfinal loss 0.1219, then 0.0009\n",   # the same run
    "test accuracy 99.2%: 3 of 359 wrong\nfinal loss 0.1167, then 0.0044\n",   # another CPU's kernel
    "test accuracy 97.4%: 8 of 359 wrong\nfinal loss 0.134, then 0\n",          # at the edge
])
def test_results_within_the_tolerance_pass(printed):
    problems, test, ref = compare_within(TOL, [stream(printed)], COMMITTED)
    assert problems == []
    assert test == ref  # the text around the numbers is the same


@pytest.mark.parametrize("printed, words", [
    ("test accuracy 90.9%: 4 of 359 wrong\nfinal loss 0.1219, then 0.0009\n", "'98.9%', now '90.9%'"),
    ("test accuracy 98.9%: 9 of 359 wrong\nfinal loss 0.1219, then 0.0009\n", "'4', now '9'"),
    ("test accuracy 98.9%: 4 of 359 wrong\nfinal loss 0.1419, then 0.0009\n", "'0.1219', now '0.1419'"),
    ("test accuracy 98.9%: 4 of 359 wrong\nfinal loss 0.1219, then 0.0099\n", "'0.0009', now '0.0099'"),
])
def test_results_outside_the_tolerance_fail_naming_the_number(printed, words):
    problems, _, _ = compare_within(TOL, [stream(printed)], COMMITTED)
    assert len(problems) == 1 and words in problems[0]


def test_a_number_of_another_kind_fails():
    problems, _, _ = compare_within(TOL, [stream("accuracy 98.9\n")], [stream("accuracy 98.9%\n")])
    assert problems


def test_a_whole_number_printed_by_a_g_format_is_compared_as_a_real_number():
    # f"{loss:.2g}" prints 1.0 as "1" and 1.03 as "1"; 1.2 as "1.2"
    problems, _, _ = compare_within(TOL, [stream("loss 1.08\n")], [stream("loss 1\n")])
    assert problems == []
    problems, _, _ = compare_within(TOL, [stream("loss 1.2\n")], [stream("loss 1\n")])
    assert problems


def test_a_kind_without_a_tolerance_is_exact():
    only_points = Tolerance(points=1.0)
    problems, _, _ = compare_within(only_points, [stream("98.5% after 31 epochs\n")],
                                    [stream("98.9% after 30 epochs\n")])
    assert len(problems) == 1 and "'30', now '31'" in problems[0]


def test_changed_words_leave_different_skeletons():
    problems, test, ref = compare_within(TOL, [stream("validation accuracy 98.9%\n")],
                                         [stream("test accuracy 98.9%\n")])
    assert problems == [] and test != ref


def test_numbers_in_rich_outputs_are_compared_too():
    ref = [nbformat.v4.new_output("execute_result", data={"text/plain": "0.989"}, execution_count=1)]
    test = [nbformat.v4.new_output("execute_result", data={"text/plain": "0.999"}, execution_count=2)]
    problems, _, _ = compare_within(Tolerance(rtol=0.001), test, ref)
    assert problems and "text/plain" in problems[0]


class Cell:
    """Just enough of nbval's IPyNbCell to run its comparison with the tolerance plugged in."""

    compare_outputs = nbval_tolerance.compare_outputs
    sanitize = nbval.plugin.IPyNbCell.sanitize
    colors = nbval.plugin.nocolors

    def __init__(self, source):
        self.cell = nbformat.v4.new_code_cell(source)
        self.cell_num = 7
        self.parent = SimpleNamespace(skip_compare=("metadata", "traceback", "output_type", "name",
                                                    "execution_count", "image/png"),
                                      sanitize_patterns={})

    def format_output_compare(self, key, left, right):  # nbval's asks pytest to format the diff
        self.comparison_traceback.append(f"{key}: {left!r} != {right!r}")


TRAINING_CELL = "# tolerance (training results differ): points=1 count=4\nprint(report)"


@pytest.mark.parametrize("source, printed, agrees", [
    (TRAINING_CELL, "test accuracy 99.2%: 3 of 359 wrong\n", True),
    (TRAINING_CELL, "test accuracy 90.9%: 3 of 359 wrong\n", False),   # 8 points off
    (TRAINING_CELL, "val accuracy 99.2%: 3 of 359 wrong\n", False),    # other words
    ("print(report)", "test accuracy 98.9%: 4 of 359 wrong\n", True),  # exact and equal
    ("print(report)", "test accuracy 98.8%: 4 of 359 wrong\n", False), # exact, one digit off
    ("# tolerance: points=lots\nprint(report)", "test accuracy 98.9%: 4 of 359 wrong\n", False),
])
def test_nbvals_comparison_with_the_plugin(source, printed, agrees):
    committed = [stream("test accuracy 98.9%: 4 of 359 wrong\n"),
                 nbformat.v4.new_output("display_data", data={"text/plain": "<Figure size 640x320>",
                                                              "image/png": "abc"})]
    now = [stream(printed),
           nbformat.v4.new_output("display_data", data={"text/plain": "<Figure size 640x320>",
                                                        "image/png": "xyz"})]
    assert Cell(source).compare_outputs(now, committed) is agrees
