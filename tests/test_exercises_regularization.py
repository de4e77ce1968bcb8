"""The chapter 6 checkers: right dropout, L2 gradients and stratified k-folds pass, the usual wrong ones are named."""

import numpy as np
import pytest

from dlbook.exercises.regularization import check_dropout, check_l2_gradient, check_stratified_kfold
from dlbook.layers import Dropout
from reader_answers import stratified_kfold

# ------------------------------------------------------------------ dropout --


def forward_right(x, p, rng):
    mask = (rng.random(x.shape) < 1 - p) / (1 - p)
    return x * mask, mask


def backward_right(dout, mask):
    return dout * mask


def test_a_right_dropout_passes():
    result = check_dropout(forward_right, backward_right)
    assert result.passed, str(result)
    assert result.total == 7


def test_dlbook_dropout_passes_through_a_wrapper():
    def forward(x, p, rng):
        layer = Dropout(p, rng=rng)
        return layer.forward(x, train=True), layer

    def backward(dout, layer):
        return layer.backward(dout)

    assert check_dropout(forward, backward).passed


def test_a_boolean_mask_kept_for_backward_passes_too():
    def forward(x, p, rng):
        keep = rng.random(x.shape) >= p  # drops where the number is below p: also right
        return np.where(keep, x / (1 - p), 0.0), (keep, p)

    def backward(dout, cache):
        keep, p = cache
        return np.where(keep, dout / (1 - p), 0.0)

    assert check_dropout(forward, backward).passed


@pytest.mark.parametrize("forward, hint", [
    (lambda x, p, rng: (x * (rng.random(x.shape) < 1 - p), None), "unchanged (out = x)"),
    (lambda x, p, rng: (x * (rng.random(x.shape) < 1 - p) * (1 - p), None), "multiplied by 1 - p"),
    (lambda x, p, rng: (x * (rng.random(x.shape) < 1 - p) / p, None), "divided by p"),
    (lambda x, p, rng: (x * (rng.random(x.shape) < p) / (1 - p), None), "drop with probability 1 - p"),
    (lambda x, p, rng: (x * (np.random.default_rng().random(x.shape) < 1 - p) / (1 - p), None), "from np.random"),
    (lambda x, p, rng: (x * (np.random.default_rng(0).random(x.shape) < 1 - p) / (1 - p), None), "same mask"),
])
def test_usual_forward_mistakes_are_named(forward, hint):
    result = check_dropout(forward, lambda dout, mask: dout)
    assert not result.passed
    assert hint in str(result), str(result)


def test_backward_without_scaling_or_without_mask_is_named():
    def forward(x, p, rng):
        keep = rng.random(x.shape) < 1 - p
        return x * keep / (1 - p), keep

    unscaled = check_dropout(forward, lambda dout, keep: dout * keep)
    assert "must be divided by it too" in str(unscaled), str(unscaled)
    no_mask = check_dropout(forward, lambda dout, keep: dout.copy())
    assert "should be 0 wherever" in str(no_mask), str(no_mask)


def test_in_place_changes_are_reported():
    def forward(x, p, rng):
        x *= (rng.random(x.shape) < 1 - p) / (1 - p)
        return x, None

    result = check_dropout(forward, backward_right)
    assert "changed its input x in place" in str(result)


def test_the_starting_code_is_reported_not_raised():
    result = check_dropout(lambda x, p, rng: (x, None), lambda dout, mask: dout)
    text = str(result)
    assert text.startswith("NOT YET dropout")
    assert "unchanged (out = x)" in text


def test_an_exception_in_the_readers_code_is_reported():
    def broken(x, p, rng):
        raise RuntimeError("oops")

    result = check_dropout(broken, backward_right)
    assert not result.passed
    assert "your code raised RuntimeError: oops" in str(result)
    wrong_type = check_dropout(lambda x, p, rng: x, backward_right)
    assert "should return a pair (out, mask)" in str(wrong_type)


# ---------------------------------------------------------------- L2 penalty --


def test_a_right_l2_gradient_passes():
    result = check_l2_gradient(lambda W, lam: lam * W)
    assert result.passed, str(result)
    assert result.total == 5


@pytest.mark.parametrize("wrong, hint", [
    (lambda W, lam: 2 * lam * W, "twice the right answer"),
    (lambda W, lam: -lam * W, "sign is flipped"),
    (lambda W, lam: lam / 2 * W, "half the right answer"),
    (lambda W, lam: np.full_like(W, lam), "proportional to W"),
    (lambda W, lam: lam / 2 * W ** 2, "not its derivative"),
])
def test_usual_l2_mistakes_are_named(wrong, hint):
    result = check_l2_gradient(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_l2_in_place_and_exceptions_are_reported():
    def in_place(W, lam):
        W *= lam
        return W

    assert "changed W in place" in str(check_l2_gradient(in_place))
    text = str(check_l2_gradient(lambda W, lam: "lam * W"))
    assert text.startswith("NOT YET l2_gradient")
    assert "should be numbers" in text
    assert "your code raised ZeroDivisionError" in str(check_l2_gradient(lambda W, lam: 1 / 0))


def test_the_l2_starting_code_is_reported_not_raised():
    result = check_l2_gradient(lambda W, lam: np.zeros_like(W))
    text = str(result)
    assert text.startswith("NOT YET l2_gradient")
    assert "expected" in text and "got 0.0" in text


# --------------------------------------------------------- stratified k-fold --


def dealt_class_by_class(y, k, rng):
    """Another right answer: each class shuffled, dealt on from the fold where the last one stopped."""
    folds, position = [[] for _ in range(k)], 0
    for c in np.unique(y):
        for i in rng.permutation(np.flatnonzero(y == c)):
            folds[position % k].append(int(i))
            position += 1
    return [([i for i in range(len(y)) if i not in set(val)], val) for val in folds]  # lists of ints


def test_a_right_stratified_kfold_passes_as_a_generator_or_a_list():
    result = check_stratified_kfold(stratified_kfold)
    assert result.passed, str(result)
    assert result.total == 5
    assert check_stratified_kfold(lambda y, k, rng: list(stratified_kfold(y, k, rng))).passed
    assert check_stratified_kfold(lambda y, k, rng: tuple(stratified_kfold(y, k, rng))).passed


def test_another_construction_with_lists_of_ints_passes():
    result = check_stratified_kfold(dealt_class_by_class)
    assert result.passed, str(result)


def test_the_fold_order_and_the_order_within_a_fold_are_free():
    def reordered(y, k, rng):
        pairs = list(stratified_kfold(y, k, rng))[::-1]
        return [(train[::-1], np.sort(val)) for train, val in pairs]

    assert check_stratified_kfold(reordered).passed


@pytest.mark.parametrize("slip, hint", [
    ("plain", "plain k-fold ignores y"),
    ("per-class split", "np.array_split on each class"),
    ("no shuffle", "the split ignores rng"),
    ("choice", "must not overlap"),
    ("train all", "its validation fold included"),
    ("val only", "not a pair (train_idx, val_idx)"),
    ("floats", "holds floats"),
])
def test_usual_stratified_kfold_mistakes_are_named(slip, hint):
    result = check_stratified_kfold(lambda y, k, rng: stratified_kfold(y, k, rng, slip=slip))
    assert not result.passed
    assert hint in " ".join(str(result).split()), str(result)


def test_the_sorted_labels_expose_plain_kfold_and_the_small_class_stays_spread():
    result = check_stratified_kfold(lambda y, k, rng: stratified_kfold(y, k, rng, slip="plain"))
    text = " ".join(str(result).split())
    assert "labels sorted by class, 3 classes of 20, k = 5: the folds are not stratified" in text

    def small_class_in_one_fold(y, k, rng):
        pairs = list(stratified_kfold(y, k, rng))
        if np.sum(y == 2) != 3:
            return pairs
        v0, v1 = pairs[0][1], pairs[1][1]  # the first two validation folds
        move = v1[y[v1] == 2]  # fold 1's member of the small class goes to fold 0, one other sample back
        back = v0[y[v0] != 2][:1]
        v0, v1 = np.concatenate([np.setdiff1d(v0, back), move]), np.concatenate([np.setdiff1d(v1, move), back])
        n = np.arange(len(y))
        return [(np.setdiff1d(n, v0), v0), (np.setdiff1d(n, v1), v1), *pairs[2:]]

    text = " ".join(str(check_stratified_kfold(small_class_in_one_fold)).split())
    assert "has 2 of the 3 samples of class 2, it should have 0 or 1" in text, text


def test_missing_and_left_out_indices_are_reported():
    def drop_last(y, k, rng):
        pairs = list(stratified_kfold(y, k, rng))
        return [(train, val[:-1]) if i == 0 else (train, val) for i, (train, val) in enumerate(pairs)]

    assert "is in no validation fold" in " ".join(str(check_stratified_kfold(drop_last)).split())

    def train_short(y, k, rng):
        return [(train[1:], val) for train, val in stratified_kfold(y, k, rng)]

    assert "leaves out index" in str(check_stratified_kfold(train_short))

    def train_twice(y, k, rng):
        return [(np.concatenate([train, train[:1]]), val) for train, val in stratified_kfold(y, k, rng)]

    assert "more than once" in str(check_stratified_kfold(train_twice))

    def negative(y, k, rng):
        return [(train - 1, val) for train, val in stratified_kfold(y, k, rng)]

    assert "not an index of y" in str(check_stratified_kfold(negative))


def test_stratified_kfold_in_place_and_exceptions_are_reported():
    def sorts_y(y, k, rng):
        y.sort()
        return stratified_kfold(y, k, rng)

    assert "changed y in place" in str(check_stratified_kfold(sorts_y))

    def broken(y, k, rng):
        yield 1 / 0

    text = str(check_stratified_kfold(broken))
    assert text.startswith("NOT YET stratified_kfold")
    assert "your code raised ZeroDivisionError" in text
    assert "returned None" in str(check_stratified_kfold(lambda y, k, rng: None))
