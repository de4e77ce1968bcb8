"""Issue 18: explorers refuse control values that are not values (NaN, inf, text) with a clear error."""

import math

import numpy as np
import pytest

from dlbook.explorers.optimizer import optimizer_explorer
from dlbook.widgets import Choice, Explorer, LogSlider, Slider, Toggle, TrainingExplorer

pytestmark = pytest.mark.filterwarnings("error")

BAD_NUMBERS = [math.nan, math.inf, -math.inf, np.float32("nan"), "0.1", None, [0.1], True]


def small_explorer():
    controls = {
        "lr": LogSlider("learning rate", 1e-3, 1.0, default=0.1),
        "momentum": Slider("momentum α", 0.0, 0.99, 0.01, default=0.9),
        "kind": Choice("kind", ("SGD", "Momentum"), "Momentum"),
        "shuffle": Toggle("shuffle", default=True),
    }
    return Explorer(controls, lambda **v: v, draw=lambda r: None, readout=str)


@pytest.mark.parametrize("name", ["lr", "momentum"])
@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
def test_sliders_refuse_values_that_are_not_finite_numbers(name, value):
    explorer = small_explorer()
    label = explorer.controls[name].label
    with pytest.raises(ValueError, match=f"Invalid value for '{label}'"):
        explorer.result(**{name: value})
    with pytest.raises(ValueError, match=f"Invalid value for '{label}'"):
        explorer.settings(**{name: value})


@pytest.mark.parametrize("value", [math.nan, "no", "off", 2, 0.5, None])
def test_toggle_refuses_values_that_are_not_on_or_off(value):
    with pytest.raises(ValueError, match="Invalid value for 'shuffle'"):
        small_explorer().result(shuffle=value)


def test_valid_extreme_values_still_snap_onto_the_grid():
    explorer = small_explorer()
    settings = explorer.settings(lr=1e9, momentum=-5, shuffle=np.bool_(False))
    assert settings["lr"] == 1.0 and settings["momentum"] == 0.0 and settings["shuffle"] is False
    assert explorer.settings(lr=np.float32(0.1), momentum=np.int64(0), shuffle=1)["shuffle"] is True


def test_a_real_explorer_refuses_nan_learning_rate_and_momentum():
    explorer = optimizer_explorer()
    with pytest.raises(ValueError, match="Invalid value for 'learning rate'.*nan"):
        explorer.result(lr=math.nan)
    with pytest.raises(ValueError, match="Invalid value for 'momentum α'.*nan"):
        explorer.result(momentum=math.nan)


class Count:
    def __init__(self):
        self.epoch, self.diverged_at = 0, None


def counting_explorer():
    def step(state, n):
        state.epoch += n
        return state

    return TrainingExplorer({"lr": LogSlider("learning rate", 1e-3, 1.0, default=0.1)}, lambda lr: Count(),
                            step, draw=lambda s: None, readout=str, max_epochs=10)


@pytest.mark.parametrize("n", [math.nan, 1.5, "3", None, True, -1])
def test_training_explorers_refuse_epoch_counts_that_are_not_counts(n):
    explorer = counting_explorer()
    with pytest.raises(ValueError, match="Invalid number of epochs"):
        explorer.advance(explorer.start(), n)
    if n is not None:  # trained(None) means max_epochs
        with pytest.raises(ValueError, match="Invalid number of epochs"):
            explorer.trained(n)
    with pytest.raises(ValueError, match="Invalid value for 'learning rate'"):
        explorer.start(lr=math.nan)


def test_training_explorers_still_count_epochs():
    explorer = counting_explorer()
    assert explorer.trained(np.int64(4)).epoch == 4
    assert explorer.trained().epoch == 10
    assert explorer.advance(explorer.start(), 0).epoch == 0
