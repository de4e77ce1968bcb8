"""The chapter 2 checkers: right answers pass, the usual mistakes fail with a message that names them."""

import numpy as np
import pytest

from dlbook import functional as F
from dlbook.exercises.loss_functions import check_cross_entropy, check_cross_entropy_grad, check_log_softmax


def one_hot(y, K):
    return np.eye(K)[y]


def text(result):
    """The report with its line wrapping undone, to search for a phrase."""
    return " ".join(str(result).split())


# log_softmax ------------------------------------------------------------------

def good_log_softmax(s):
    shifted = s - s.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def naive_log_softmax(s):
    e = np.exp(s)
    return np.log(e / e.sum(axis=-1, keepdims=True))


def whole_array_log_softmax(s):
    shifted = s - s.max()
    return shifted - np.log(np.exp(shifted).sum())


def no_keepdims_log_softmax(s):
    shifted = s - s.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1))


def in_place_log_softmax(s):
    s -= s.max(axis=-1, keepdims=True)
    s -= np.log(np.exp(s).sum(axis=-1, keepdims=True))
    return s


def test_log_softmax_right_answers_pass():
    for fn in (good_log_softmax, F.log_softmax):
        result = check_log_softmax(fn)
        assert result.passed, text(result)
        assert "PASSED log_softmax" in text(result)


def test_naive_log_softmax_is_caught_on_huge_logits_without_warnings():
    with np.errstate(all="raise"):  # the checker itself silences the reader's overflow
        result = check_log_softmax(naive_log_softmax)
    assert not result.passed
    report = text(result)
    assert "huge logits stay finite" in report and "subtract each row's maximum" in report
    assert "one example" not in report  # small logits are fine in the naive version


def test_whole_array_normalization_is_named():
    result = check_log_softmax(whole_array_log_softmax)
    assert not result.passed
    assert "normalized over the whole array" in text(result)


def test_missing_keepdims_is_named():
    # (4, 3) - (4,) does not broadcast: the reader's code raises, and that is reported.
    result = check_log_softmax(no_keepdims_log_softmax)
    assert not result.passed
    assert "your code raised ValueError" in text(result)


def test_changing_the_input_is_reported():
    result = check_log_softmax(in_place_log_softmax)
    assert not result.passed
    assert "changed its input" in text(result)


def test_log_softmax_starting_point_and_exceptions_are_reported():
    result = check_log_softmax(lambda s: s)
    assert not result.passed and "NOT YET log_softmax: 5 of 5" in text(result)

    def crashes(s):
        raise ZeroDivisionError("oops")

    result = check_log_softmax(crashes)
    assert "your code raised ZeroDivisionError: oops" in text(result)
    assert "should be numbers" in text(check_log_softmax(lambda s: "abc"))


# cross_entropy ----------------------------------------------------------------

def good_cross_entropy(scores, y):
    log_p = good_log_softmax(scores)
    return -np.mean(log_p[np.arange(len(y)), y])


def test_cross_entropy_right_answers_pass():
    for fn in (good_cross_entropy, F.cross_entropy):
        result = check_cross_entropy(fn)
        assert result.passed, text(result)


@pytest.mark.parametrize("fn, message", [
    (lambda s, y: -good_cross_entropy(s, y), "MINUS the log-probability"),
    (lambda s, y: len(y) * good_cross_entropy(s, y), "divide by N"),
    (lambda s, y: -np.mean(good_log_softmax(s)[:, y]), "pick ONE entry per row"),
    (lambda s, y: -np.mean(np.log(F.softmax(s))[np.arange(len(y)), y]), "not np.log(softmax"),
    (lambda s, y: -good_log_softmax(s)[np.arange(len(y)), y], "one number"),
])
def test_cross_entropy_mistakes_are_named(fn, message):
    result = check_cross_entropy(fn)
    assert not result.passed
    assert message in text(result), text(result)


def test_cross_entropy_exceptions_are_reported():
    result = check_cross_entropy(lambda s, y: 0.0)
    assert not result.passed and text(result).startswith("NOT YET cross_entropy")

    def crashes(s, y):
        return s[y.astype(float)]

    assert "your code raised IndexError" in text(check_cross_entropy(crashes))


# cross_entropy_grad -----------------------------------------------------------

def good_grad(scores, y):
    N, K = scores.shape
    return (F.softmax(scores) - one_hot(y, K)) / N


def test_cross_entropy_grad_right_answer_passes():
    result = check_cross_entropy_grad(good_grad)
    assert result.passed, text(result)


@pytest.mark.parametrize("fn, message", [
    (lambda s, y: good_grad(s, y) * len(y), "divide by the batch size N"),
    (lambda s, y: -good_grad(s, y), "wrong sign"),
    (lambda s, y: F.softmax(s) / len(y), "subtract 1 at each row's true class"),
    (lambda s, y: good_grad(s, y)[:, :-1], "should have the scores' shape"),
    (lambda s, y: good_grad(s, y) + 0.01, "gradient check failed (relative error"),
])
def test_cross_entropy_grad_mistakes_are_named(fn, message):
    result = check_cross_entropy_grad(fn)
    assert not result.passed
    assert message in text(result), text(result)


def test_naive_softmax_in_the_gradient_is_caught():
    def naive(s, y):
        e = np.exp(s)
        return (e / e.sum(axis=1, keepdims=True) - one_hot(y, s.shape[1])) / len(y)

    result = check_cross_entropy_grad(naive)
    assert not result.passed
    assert "huge logits stay finite: the gradient for logits like 1000 contains nan" in text(result)


def test_cross_entropy_grad_exceptions_are_reported():
    result = check_cross_entropy_grad(lambda s, y: np.zeros_like(s))
    assert not result.passed and "4 of 4 checks failed" in text(result)

    def crashes(s, y):
        raise RuntimeError("not done")

    assert "your code raised RuntimeError: not done" in text(check_cross_entropy_grad(crashes))


def test_reports_fit_a_book_page():
    for result in (check_log_softmax(lambda s: s), check_cross_entropy(lambda s, y: 0.0),
                   check_cross_entropy_grad(lambda s, y: np.zeros_like(s))):
        assert max(len(line) for line in repr(result).splitlines()) <= 80, repr(result)
