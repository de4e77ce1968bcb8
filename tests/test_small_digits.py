"""`dlbook.small_digits`: the split, network and training recipe chapters 6 and 7 share."""

import numpy as np
import pytest

from dlbook.small_digits import EPOCHS, fit, make_net, split
from dlbook.layers import Dropout


def test_split_sizes_and_disjoint_sets():
    s = split()
    assert s.x_train.shape == (300, 64) and s.x_val.shape == (500, 64)
    assert s.x_test.shape == (359, 64) and s.x_train.dtype == np.float64
    rows = {tuple(r) for r in s.x_train}
    assert not rows & {tuple(r) for r in s.x_test}  # no test image leaks into training
    assert split() is s  # computed once, shared


def test_split_cannot_be_changed_by_a_caller():
    with pytest.raises(ValueError, match="read-only"):
        split().x_train[0, 0] = 5.0


def test_make_net_shapes_seeds_and_dropout():
    net = make_net(seed=0)
    assert net.num_params() == (64 * 100 + 100) + (100 * 100 + 100) + (100 * 10 + 10)
    np.testing.assert_array_equal(make_net(seed=3).layers[0].params["W"],
                                  make_net(seed=3).layers[0].params["W"])
    assert not np.array_equal(make_net(seed=3).layers[0].params["W"], net.layers[0].params["W"])
    assert sum(isinstance(layer, Dropout) for layer in make_net(dropout=0.3).layers) == 2
    assert not any(isinstance(layer, Dropout) for layer in net.layers)


def test_fit_repeats_exactly_and_records_validation():
    a, b = fit(make_net(seed=1), epochs=2), fit(make_net(seed=1), epochs=2)
    assert a["val_loss"] == b["val_loss"] and len(a["val_acc"]) == 2
    assert EPOCHS == 60
