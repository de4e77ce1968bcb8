"""Checkers for chapter 6, Regularization: the reader's inverted dropout, L2 penalty gradient and
stratified k-fold cross-validation.

Inverted dropout is two functions, one for each direction::

    def dropout_forward(x, p, rng):
        ...                  # zero each element with probability p, scale the rest by 1 / (1 - p)
        return out, mask     # mask: whatever dropout_backward needs

    def dropout_backward(dout, mask):
        ...
        return dx

and the L2 penalty ``(lam / 2) * sum(W ** 2)`` has the gradient the reader writes as::

    def l2_gradient(W, lam):
        ...
        return dW

Stratified k-fold is the chapter's k-fold with the class mix of every fold kept::

    def stratified_kfold(y, k, rng):
        ...
        yield train_idx, val_idx          # k times; each class spread evenly over the folds

A mask is random, so `check_dropout` does not ask for one particular mask: it
checks what every correct mask has in common (each value dropped or scaled by
1 / (1 - p), about a fraction p dropped, the same mask used going back, the
randomness taken from ``rng``); nor does `check_stratified_kfold` ask for one
particular split. When an answer is wrong, the checkers also try
the usual mistakes and name the one that matches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlbook.exercises import CheckResult, Mismatch, as_numbers, distinct_numbers, expect_close, run_checks
from dlbook.optim import SGD

__all__ = ["check_dropout", "check_l2_gradient", "check_stratified_kfold"]


def _forward(forward_fn: Callable, x: np.ndarray, p: float,
             seed: int | np.random.Generator) -> tuple[np.ndarray, object]:
    """Call the reader's forward on a copy of x; return (out as float64, mask) after basic checks."""
    x_in = x.copy()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    result = forward_fn(x_in, p, rng)
    if not np.array_equal(x_in, x):
        raise Mismatch("your forward changed its input x in place; return a new array")
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Mismatch(f"forward should return a pair (out, mask), got {type(result).__name__}")
    out = as_numbers(result[0], "out")
    if out.shape != x.shape:
        raise Mismatch(f"out should have x's shape {x.shape}, got {out.shape}")
    return out, result[1]


# ------------------------------------------------------------------ dropout --

def check_dropout(forward_fn: Callable, backward_fn: Callable) -> CheckResult:
    """Check the reader's inverted dropout.

    Args:
        forward_fn: ``forward_fn(x, p, rng) -> (out, mask)``: in training, each element of
            x is zeroed with probability ``p`` and the others are divided by ``1 - p``;
            the random numbers come from ``rng`` (an ``np.random.Generator``).
        backward_fn: ``backward_fn(dout, mask) -> dx`` with the mask from the forward pass.

    Returns:
        A `CheckResult`: what passed, or which input gave what instead of what.
    """
    # Positive values: a zero in `out` can then only mean "dropped".
    x = np.random.default_rng(2024).uniform(1.0, 2.0, size=(200, 50))

    def p_zero_keeps_everything():
        out, _ = _forward(forward_fn, x[:4, :5], 0.0, seed=1)
        expect_close(out, x[:4, :5], what="with p = 0, out")

    def kept_values_are_scaled():
        p = 0.4
        out, _ = _forward(forward_fn, x, p, seed=1)
        kept = out != 0
        if not kept.any():
            raise Mismatch(f"with p = {p}, every value was dropped")
        ratio = out[kept] / x[kept]
        if np.allclose(ratio, 1.0):
            raise Mismatch(f"kept values come out unchanged (out = x); inverted dropout divides them by "
                           f"1 - p = {1 - p:g}, so that the expected output equals x")
        if np.allclose(ratio, 1 - p):
            raise Mismatch(f"kept values are multiplied by 1 - p = {1 - p:g}; inverted dropout divides "
                           "by it in training (multiplying by 1 - p is what plain dropout does at test time)")
        if np.allclose(ratio, 1 / p):
            raise Mismatch(f"kept values are divided by p = {p:g}; divide by the keep probability 1 - p")
        bad = int(np.argmax(np.abs(ratio - 1 / (1 - p))))
        if not np.allclose(ratio, 1 / (1 - p)):
            should, have = distinct_numbers(x[kept][bad] / (1 - p), out[kept][bad], lambda v: f"{v:.4f}")
            raise Mismatch(f"with p = {p}, a kept value x = {x[kept][bad]:.4f} should become "
                           f"x / (1 - p) = {should}, got {have}")

    def drops_a_fraction_p():
        for p in (0.2, 0.7):
            out, _ = _forward(forward_fn, x, p, seed=2)
            dropped = float(np.mean(out == 0))
            if abs(dropped - p) > 0.03:
                hint = ""
                if abs(dropped - (1 - p)) <= 0.03:
                    hint = " (it looks like you drop with probability 1 - p; p is the probability of DROPPING)"
                raise Mismatch(f"with p = {p}, a fraction {dropped:.3f} of the {x.size} values was dropped; "
                               f"expected about {p}{hint}")

    def backward_uses_the_same_mask():
        # p = 0.5 alone would hide a backward that divides by p instead of 1 - p: try 0.3 too.
        for p in (0.5, 0.3):
            out, mask = _forward(forward_fn, x[:20, :10], p, seed=3)
            dout = np.random.default_rng(5).normal(size=out.shape)
            dout_in = dout.copy()
            dx = as_numbers(backward_fn(dout_in, mask), "dx")
            if not np.array_equal(dout_in, dout):
                raise Mismatch("your backward changed dout in place; return a new array")
            kept = out != 0
            expected = dout * kept / (1 - p)
            if dx.shape == dout.shape and not np.allclose(dx, expected):
                if np.allclose(dx, dout * kept):
                    raise Mismatch(f"dx = dout where kept and 0 where dropped, but not scaled; the forward "
                                   f"divided by 1 - p = {1 - p:g}, so the gradient must be divided by it too")
                if np.allclose(dx, dout):
                    raise Mismatch("dx equals dout: the gradient should be 0 wherever the forward dropped a "
                                   "value")
                if np.allclose(dx, dout * kept / p):
                    raise Mismatch(f"with p = {p:g}, dx is dout divided by p = {p:g}; divide by the keep "
                                   f"probability 1 - p = {1 - p:g}, as the forward does")
                if np.allclose(dx, dout * kept * (1 - p)):
                    raise Mismatch(f"with p = {p:g}, dx is dout multiplied by 1 - p = {1 - p:g}; the forward "
                                   "divided by 1 - p, so backward divides by it too")
            expect_close(dx, expected, what=f"dx (p = {p}, the mask from your forward)")

    def randomness_comes_from_rng():
        first, _ = _forward(forward_fn, x[:10, :10], 0.5, seed=11)
        again, _ = _forward(forward_fn, x[:10, :10], 0.5, seed=11)
        other, _ = _forward(forward_fn, x[:10, :10], 0.5, seed=12)
        if not np.array_equal(first == 0, again == 0):
            raise Mismatch("two calls with rng = np.random.default_rng(11) dropped different values; draw "
                           "the mask from the rng argument (e.g. rng.random(x.shape)), not from np.random")
        if np.array_equal(first == 0, other == 0):
            raise Mismatch("generators seeded 11 and 12 gave the same mask; the mask should come from rng")

    def a_fresh_mask_every_call():
        rng = np.random.default_rng(21)
        masks = [_forward(forward_fn, x[:10, :10], 0.5, rng)[0] == 0 for _ in range(2)]
        if np.array_equal(*masks):
            raise Mismatch("two calls with the same rng dropped exactly the same values; draw a new mask "
                           "on every call")

    def any_shape():
        x4 = x[:6, :20].reshape(2, 3, 4, 5)
        out, _ = _forward(forward_fn, x4, 0.5, seed=4)
        kept = out != 0
        expect_close(out[kept], x4[kept] * 2, what="kept values of a (2, 3, 4, 5) input with p = 0.5")

    # A wrong answer may divide by zero (p = 0): that is reported through the values, not as warnings.
    with np.errstate(all="ignore"):
        return run_checks("dropout", {
            "p = 0 leaves x unchanged": p_zero_keeps_everything,
            "kept values are divided by 1 - p": kept_values_are_scaled,
            "about a fraction p of the values is dropped": drops_a_fraction_p,
            "backward uses the mask of the forward pass": backward_uses_the_same_mask,
            "the mask comes from rng": randomness_comes_from_rng,
            "a new mask on every call": a_fresh_mask_every_call,
            "works for inputs of any shape": any_shape,
        })


# ---------------------------------------------------------------- L2 penalty --

def check_l2_gradient(fn: Callable) -> CheckResult:
    """Check the reader's ``l2_gradient(W, lam) -> dW``, the gradient of ``(lam / 2) * sum(W ** 2)``.

    Returns:
        A `CheckResult`; the expected gradient is ``lam * W``, as a new array.
    """

    def call(W: np.ndarray, lam: float) -> np.ndarray:
        W_in = W.copy()
        got = as_numbers(fn(W_in, lam), "dW")
        if not np.array_equal(W_in, W):
            raise Mismatch("your function changed W in place; return a new array (an optimizer updates W)")
        return got

    def compare(W: np.ndarray, lam: float) -> None:
        got = call(W, lam)
        expected = lam * W
        if got.shape == W.shape and lam != 0:
            hints = [
                (2 * lam * W, "twice the right answer: the penalty is (lam / 2) * sum(W ** 2), so the 2 "
                              "from differentiating W ** 2 cancels the 1 / 2"),
                (-lam * W, "the sign is flipped: the penalty grows with |W|, so its gradient points away "
                           "from 0, like W itself"),
                (lam / 2 * W, "half the right answer: d/dW of W ** 2 is 2 W"),
                (np.full_like(W, lam), "the gradient should be proportional to W: lam * W"),
                (lam / 2 * W ** 2, "that is the penalty of each weight, not its derivative"),
            ]
            for wrong, hint in hints:
                if not np.allclose(expected, wrong) and np.allclose(got, wrong):
                    raise Mismatch(f"with lam = {lam:g}: {hint}")
        expect_close(got, expected, what=f"dW for W of shape {W.shape}, lam = {lam:g}")

    rng = np.random.default_rng(7)
    W = rng.normal(size=(4, 3))

    def matrix():
        compare(W, 0.01)

    def zero_lam():
        compare(W, 0.0)

    def other_shapes():
        compare(rng.normal(size=5), 0.1)
        compare(rng.normal(size=(2, 3, 3, 3)), 1e-3)

    def matches_central_differences():
        lam, h = 0.05, 1e-6
        got = call(W, lam)
        numeric = np.zeros_like(W)
        for i in np.ndindex(W.shape):
            plus, minus = W.copy(), W.copy()
            plus[i] += h
            minus[i] -= h
            numeric[i] = (lam / 2 * np.sum(plus ** 2) - lam / 2 * np.sum(minus ** 2)) / (2 * h)
        expect_close(got, numeric, what="dW against central differences of (lam / 2) * sum(W ** 2)",
                     rtol=1e-5, atol=1e-9)

    def gives_sgd_weight_decay():
        lr, lam = 0.1, 0.01
        grad = rng.normal(size=W.shape)
        params = {"W": W.copy()}
        SGD(lr=lr, weight_decay=lam).step(params, {"W": grad})
        mine = W - lr * (grad + call(W, lam))
        expect_close(mine, params["W"], what="W - lr * (grad + l2_gradient(W, lam)) against "
                                               "dlbook's SGD(weight_decay=lam)")

    with np.errstate(all="ignore"):
        return run_checks("l2_gradient", {
            "a (4, 3) matrix, lam = 0.01": matrix,
            "lam = 0 gives zeros": zero_lam,
            "a vector and a (2, 3, 3, 3) filter bank": other_shapes,
            "agrees with central differences": matches_central_differences,
            "one SGD step with it equals dlbook's weight decay": gives_sgd_weight_decay,
        })


# ---------------------------------------------------------- stratified k-fold --

def _indices(value, what: str, n: int) -> np.ndarray:
    """The reader's index array as int64, or a `Mismatch` saying why it is not indices into y."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = np.asarray(None)
    if array.dtype == bool:
        raise Mismatch(f"{what} holds True/False values (a mask?); give the positions as integers, "
                       "e.g. np.flatnonzero(mask)")
    if array.dtype.kind == "c":
        raise Mismatch(f"{what} holds complex numbers; indices are integers")
    if array.dtype.kind == "f":
        example = array.flat[0] if array.size else 0.0
        raise Mismatch(f"{what} holds floats (e.g. {float(example)!r}); indices must be integers. "
                       "np.array([]) and np.append start from float64: start from np.array([], dtype=int) "
                       "or concatenate integer arrays")
    if array.dtype.kind not in "iu" or array.ndim != 1:
        if array.dtype.kind in "iu":
            raise Mismatch(f"{what} should be one list of indices (one axis), got shape {array.shape}")
        shown = repr(value) if len(repr(value)) <= 60 else f"a {type(value).__name__}"
        raise Mismatch(f"{what} should be an array or list of integer indices, got {shown}")
    outside = array[(array < 0) | (array >= n)]
    if outside.size:
        raise Mismatch(f"{what} holds {int(outside[0])}, which is not an index of y (0 to {n - 1})")
    return array.astype(np.int64)


def _stratified_folds(fn: Callable, y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Call the reader's ``fn(y, k, rng)``; return its k pairs (train_idx, val_idx) as int64 arrays."""
    y_in = y.copy()
    out = fn(y_in, k, np.random.default_rng(seed))
    if out is None:
        raise Mismatch("your function returned None; yield the k pairs (train_idx, val_idx), or return a list "
                       "of them")
    if isinstance(out, np.ndarray) or not hasattr(out, "__iter__"):
        raise Mismatch(f"should give k pairs (train_idx, val_idx), got {type(out).__name__}")
    items = list(out)  # a generator runs here
    if not np.array_equal(y_in, y):
        raise Mismatch("your function changed y in place; leave the labels as they are")
    if len(items) != k:
        hint = ""
        if len(items) == 2 and all(np.ndim(item) == 1 for item in items):
            hint = " (a return inside the loop gives back the first pair only: yield every pair, or collect them)"
        raise Mismatch(f"gave {len(items)} item(s) for k = {k}; it should give k pairs (train_idx, val_idx), "
                       f"one per fold{hint}")
    n, folds = len(y), []
    for i, item in enumerate(items):
        one_array = isinstance(item, np.ndarray) and item.ndim == 1
        if one_array or not isinstance(item, (tuple, list, np.ndarray)) or len(item) != 2 \
                or any(np.ndim(part) == 0 for part in item):
            got = (f"one array of {len(item)} indices" if one_array or isinstance(item, (tuple, list))
                   else f"a {type(item).__name__}")
            raise Mismatch(f"item {i} is {got}, not a pair (train_idx, val_idx): give each validation fold "
                           "together with its training indices, all the others")
        folds.append((_indices(item[0], f"train_idx of fold {i}", n), _indices(item[1], f"val_idx of fold {i}", n)))
    return folds


def _check_stratified(folds: list[tuple[np.ndarray, np.ndarray]], y: np.ndarray, k: int) -> None:
    """Raise `Mismatch` unless the folds are a stratified k-fold split of y (see `check_stratified_kfold`)."""
    n = len(y)
    vals = [val for _, val in folds]
    counts = np.bincount(np.concatenate(vals), minlength=n)
    if (counts > 1).any():
        j = int(np.flatnonzero(counts > 1)[0])
        where = [i for i, val in enumerate(vals) if j in val]
        missing = int(np.sum(counts == 0))
        times = "twice" if counts[j] == 2 else f"{counts[j]} times"
        place = (f"{times} in validation fold {where[0]}" if len(where) == 1
                 else f"in validation folds {', '.join(map(str, where[:-1]))} and {where[-1]}")
        raise Mismatch(f"index {j} is {place}" + (f", and {missing} indices are in none" if missing else "")
                       + ": the folds must not overlap, every sample is validated exactly once (note that "
                       "rng.choice draws with replacement unless replace=False; rng.permutation shuffles)")
    if (counts == 0).any():
        missing = np.flatnonzero(counts == 0)
        raise Mismatch(f"index {int(missing[0])} is in no validation fold ({missing.size} of the {n} indices "
                       "are missing): the validation folds must cover every sample, each once")
    for i, (train, val) in enumerate(folds):
        if len(np.unique(train)) != len(train):
            values, seen = np.unique(train, return_counts=True)
            raise Mismatch(f"train_idx of fold {i} holds index {int(values[seen > 1][0])} more than once; "
                           "train_idx is every index not in val_idx, each once")
        inside = np.intersect1d(train, val)
        if inside.size:
            what = ("is every index, its validation fold included" if len(train) == n
                    else f"contains {inside.size} of its {len(val)} validation indices (e.g. {int(inside[0])})")
            raise Mismatch(f"train_idx of fold {i} {what}: the model would be validated on samples it was "
                           "trained on; train_idx is every index NOT in val_idx")
        left_out = np.setdiff1d(np.setdiff1d(np.arange(n), val), train)
        if left_out.size:
            raise Mismatch(f"train_idx of fold {i} leaves out index {int(left_out[0])}, which is not in its "
                           f"validation fold: train_idx is every index not in val_idx, {n - len(val)} of them, "
                           f"got {len(train)}")
    classes, totals = np.unique(y, return_counts=True)
    for i, val in enumerate(vals):
        for c, total in zip(classes, totals):
            have, low, high = int(np.sum(y[val] == c)), total // k, -(-total // k)
            if not low <= have <= high:
                should = f"{low}" if low == high else f"{low} or {high}"
                raise Mismatch(f"the folds are not stratified: validation fold {i} has {have} of the {total} "
                               f"samples of class {c}, it should have {should} ({total} / {k} = {total / k:.3g}). "
                               "Spread each class over the folds on its own: plain k-fold ignores y")
    sizes = [len(val) for val in vals]
    low, high = n // k, -(-n // k)
    if not all(low <= size <= high for size in sizes):
        should = f"{low}" if low == high else f"{low} or {high}"
        hint = ""
        if sizes == sorted(sizes, reverse=True):
            hint = (": np.array_split on each class gives every class's leftover samples to the first folds; "
                    "deal the next class on from the fold where the previous one stopped")
        raise Mismatch(f"the fold sizes differ by more than 1: {sizes}; with {n} samples and k = {k} every "
                       f"validation fold should have {should}{hint}")


def check_stratified_kfold(fn: Callable) -> CheckResult:
    """Check the reader's ``stratified_kfold(y, k, rng)``, k-fold cross-validation that keeps the class mix.

    ``y`` holds n integer class labels (a 1-D array); ``2 <= k <= n``; ``rng`` is an
    ``np.random.Generator``. The function yields (or returns a list of) k pairs
    ``(train_idx, val_idx)`` of integer index arrays (NumPy arrays or lists of ints) such that

    * the k ``val_idx`` partition ``range(n)``: every index is in exactly one validation fold;
    * each ``train_idx`` is exactly the other indices, ``n - len(val_idx)`` of them, each once;
    * every class is spread evenly: a class with ``n_c`` samples has ``floor(n_c / k)`` or
      ``ceil(n_c / k)`` of them in every validation fold (0 or 1 if ``n_c < k``);
    * the folds are as equal as plain k-fold's: every ``val_idx`` has ``floor(n / k)`` or
      ``ceil(n / k)`` indices;
    * the split comes from ``rng``: equally seeded generators give the same folds, different
      seeds different ones. No particular shuffle is required, and the order of the folds and
      of the indices within one is free.

    One construction meets all of them: shuffle ``range(n)`` with ``rng``, sort it by label
    with a stable sort (each class stays shuffled), and deal it round-robin, position ``j`` to
    fold ``j % k``. (Splitting each class with ``np.array_split`` balances the classes but gives
    every class's leftovers to the first folds, so the sizes can differ by more than 1.)
    """
    def stratified(y, k, seed=0):
        _check_stratified(_stratified_folds(fn, np.asarray(y), k, seed), np.asarray(y), k)

    def sorted_balanced():
        stratified(np.repeat([0, 1, 2], 20), 5)

    def sorted_unbalanced():
        # 13, 6 and 3 samples, k = 4: class 2 has fewer members than folds; folds of 5 or 6
        stratified(np.repeat([0, 1, 2], [13, 6, 3]), 4)

    def shuffled_labels():
        y = np.random.default_rng(5).permutation(np.repeat([9, 2, 5], [10, 8, 5]))  # 23 samples, k = 4
        stratified(y, 4)

    def two_folds():
        stratified(np.random.default_rng(6).permutation(np.repeat([1, 0], [9, 7])), 2)

    def uses_rng():
        y, k = np.repeat([0, 1, 2], 10), 3

        def folds(seed):
            got = _stratified_folds(fn, y, k, seed)
            _check_stratified(got, y, k)
            return [(frozenset(train.tolist()), frozenset(val.tolist())) for train, val in got]

        first, again, other = folds(1), folds(1), folds(2)
        if first != again:
            raise Mismatch("two calls with rng = np.random.default_rng(1) gave different folds: take the shuffle "
                           "from the rng argument (e.g. rng.permutation), not from np.random")
        if {val for _, val in first} == {val for _, val in other}:
            raise Mismatch("rng seeded 1 and rng seeded 2 gave the same folds: the split ignores rng. Shuffle "
                           "(with rng.permutation) before dealing the indices out, so that which samples share "
                           "a fold is random")

    with np.errstate(all="ignore"):
        return run_checks("stratified_kfold", {
            "labels sorted by class, 3 classes of 20, k = 5": sorted_balanced,
            "labels sorted, classes of 13, 6 and 3 (fewer than k = 4)": sorted_unbalanced,
            "shuffled labels 9, 2 and 5 (10, 8, 5 samples), k = 4": shuffled_labels,
            "k = 2, classes of 9 and 7": two_folds,
            "the split comes from rng": uses_rng,
        })
