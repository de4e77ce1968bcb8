"""Hot controls: learning rate, momentum α, dropout rate and λ change a running training (issue 19)."""

import json
import re

import numpy as np
import pytest

from dlbook.controls import LogSlider, Slider
from dlbook.explorers import cnn_trainer, momentum, overfitting
from dlbook.hot import Scenario, hot_names
from dlbook.layers import Dropout
from dlbook.live import LiveView
from dlbook.static import explorer_html
from dlbook.widgets import TrainingExplorer


@pytest.fixture(scope="module")
def explorer():
    return momentum.momentum_explorer(max_epochs=8)


def same_run(a, b):
    """Identical histories and identical weights."""
    assert a.epoch == b.epoch and a.history == b.history
    for name, w in a.model.params().items():
        np.testing.assert_array_equal(w, b.model.params()[name])


# --------------------------------------------------- the stepping contract --

def test_a_hot_change_continues_from_the_same_epoch_keeping_the_optimizer_state(explorer):
    state = explorer.advance(explorer.start(optimizer="Momentum", lr=0.01, momentum=0.5), 3)
    optimizer, velocity = state.optimizer, state.optimizer.v["0.W"].copy()
    state = explorer.adjust(state, lr=0.002, momentum=0.95)
    assert state.epoch == 3 and state.optimizer is optimizer
    np.testing.assert_array_equal(state.optimizer.v["0.W"], velocity)  # velocities kept, not zeroed
    assert (optimizer.lr, optimizer.momentum) == (0.002, 0.95)
    state = explorer.advance(state, 3)

    # The same change made by hand at the same step gives the identical run.
    by_hand = momentum.step(momentum.init("Momentum", 0.01, 0.5), 3)
    by_hand.optimizer.lr, by_hand.optimizer.momentum = 0.002, 0.95
    momentum.step(by_hand, 3)
    same_run(state, by_hand)
    # ... and not the run that had these settings from the start.
    assert state.history != explorer.trained(6, optimizer="Momentum", lr=0.002, momentum=0.95).history


def test_adams_moments_are_kept_across_a_hot_learning_rate_change(explorer):
    state = explorer.advance(explorer.start(optimizer="Adam", lr=0.001), 2)
    steps = dict(state.optimizer.t)
    state = explorer.advance(explorer.adjust(state, lr=0.0001), 1)
    assert all(state.optimizer.t[key] > count > 0 for key, count in steps.items())


def test_a_dropout_change_takes_effect_at_the_next_batch_as_by_hand():
    ex = overfitting.overfitting_explorer(max_epochs=6)
    state = ex.advance(ex.adjust(ex.advance(ex.start(), 2), dropout=0.5, weight_decay=0.01), 2)
    by_hand = overfitting.step(overfitting.init(0.0, 0.0, 100), 2)
    for layer in by_hand.model.layers:
        if isinstance(layer, Dropout):
            layer.p = 0.5
    by_hand.optimizer.weight_decay = 0.01
    overfitting.step(by_hand, 2)
    same_run(state, by_hand)


def test_dropout_layers_at_rate_zero_leave_the_run_as_without_them():
    # Rate 0 at the start: all-ones masks from a generator of their own, so the same numbers as no layer.
    with_layers = overfitting.step(overfitting.init(0.0, 0.0, 100), 2)
    state = overfitting.init(0.0, 0.0, 100)
    state.model.layers = [layer for layer in state.model.layers if not isinstance(layer, Dropout)]
    without = overfitting.step(state, 2)
    assert with_layers.history == without.history


def test_a_learning_rate_change_scales_the_cosine_schedule_from_the_same_epoch():
    ex = cnn_trainer.cnn_trainer_explorer(max_epochs=4)
    state = ex.advance(ex.adjust(ex.advance(ex.start(lr=0.05), 1), lr=0.01), 1)
    by_hand = cnn_trainer.step(cnn_trainer.init(0.05, 0.25, epochs=4), 1)
    by_hand.scheduler.base_lr = 0.01
    by_hand.optimizer.lr = by_hand.scheduler.lr_at(1)
    cnn_trainer.step(by_hand, 1)
    same_run(state, by_hand)
    assert state.optimizer.lr == pytest.approx(0.01 * (1 + np.cos(np.pi * 2 / 4)) / 2)


def test_adjust_refuses_cold_controls_and_ignores_unchanged_values(explorer):
    state = explorer.advance(explorer.start(), 1)
    with pytest.raises(ValueError, match=r"Cannot change \['optimizer'\] while training"):
        explorer.adjust(state, optimizer="Adam")
    assert explorer.adjust(state, lr=state.settings["lr"]).changes == []


def test_which_controls_are_hot():
    assert momentum.momentum_explorer().hot == {"lr", "momentum"}
    assert overfitting.overfitting_explorer().hot == {"dropout", "weight_decay"}
    controls = {"lr": LogSlider("learning rate", 1e-3, 1.0, default=0.1, hot=False),
                "width": Slider("width", 1, 8, 1, default=4, hot=True)}
    assert hot_names(controls, adjustable=True) == {"width"}
    assert hot_names({"lr": controls["lr"]}, adjustable=False) == frozenset()
    with pytest.raises(ValueError, match=r"\['width'\] are declared hot"):
        hot_names(controls, adjustable=False)


def test_a_scenario_may_change_only_hot_controls_within_the_run():
    ex = momentum.momentum_explorer(max_epochs=8)
    args = (ex.controls, momentum.init, momentum.step, ex.draw_fn)
    with pytest.raises(ValueError, match="Invalid scenario 'x'"):
        TrainingExplorer(*args, readout=momentum.readout, max_epochs=8, adjust=ex.adjust_fn,
                         scenarios={"x": Scenario({}, {2: {"optimizer": "SGD"}})})
    with pytest.raises(ValueError, match="Invalid scenario 'y'"):
        TrainingExplorer(*args, readout=momentum.readout, max_epochs=8, adjust=ex.adjust_fn,
                         scenarios={"y": Scenario({}, {8: {"lr": 0.1}})})


# ----------------------------------------------- markers and the readout --

def test_the_change_is_recorded_marked_on_the_curves_and_read_out(explorer):
    state = explorer.advance(explorer.adjust(explorer.advance(explorer.start(lr=0.01), 2), lr=0.002), 1)
    [change] = state.changes
    assert (change.epoch, change.label) == (2, "lr 0.01 → 0.002")
    assert explorer.readout(state).endswith("Changed while training: lr 0.01 → 0.002 at epoch 2.")
    fig = explorer.draw_fn(state)
    labels = [t for ax in fig.axes for t in ax.texts if t.get_text().startswith("lr 0.01 → 0.002")]
    lines = [ln for ax in fig.axes for ln in ax.lines if list(ln.get_xdata()) == [2, 2]]
    assert len(labels) == len(lines) == 2  # on the loss and on the accuracy axes
    png, text = explorer.render(state)
    assert png.startswith(b"\x89PNG") and "lr 0.01 → 0.002 at epoch 2" in text
    # A new run has no marker.
    explorer.draw_fn(explorer.start())
    assert not [t for ax in fig.axes for t in ax.texts if "→" in t.get_text()]


def test_divergence_after_a_hot_change_is_reported_not_raised(explorer):
    state = explorer.advance(explorer.start(optimizer="Momentum", lr=0.001), 2)
    state = explorer.advance(explorer.adjust(state, lr=1.0), 4)
    assert state.diverged_at is not None and state.diverged_at >= 3
    text = explorer.readout(state)
    assert text.startswith(f"Diverged at epoch {state.diverged_at} after lr → 1 (the loss blew up)")
    fig = explorer.draw_fn(state)
    assert any(t.get_text() == f"diverged at epoch {state.diverged_at}\nafter lr → 1" for t in fig.axes[0].texts)


# --------------------------------------------------------------- live view --

def test_live_view_applies_a_hot_change_without_restarting_and_restarts_on_a_cold_one(explorer):
    view = LiveView(explorer, threaded=False)
    view.step()
    view.step()
    assert view.state.epoch == 2 and view.runs == 1
    view.controls["lr"].value = 0.005
    assert view.state.epoch == 2 and view.runs == 1 and view.adjustments == 1
    assert "lr 0.01 → 0.005 at epoch 2" in view.text
    view.controls["momentum"].value = 0.95
    assert view.adjustments == 2 and [c.label for c in view.state.changes] == ["lr 0.01 → 0.005", "α 0.9 → 0.95"]
    view.step()
    assert view.state.epoch == 3 and view.epoch_label.value == "epoch 3"
    view.controls["optimizer"].value = "Adam"  # cold: a new run
    assert view.state.epoch == 0 and view.runs == 2 and view.state.changes == []
    view.step()
    view.reset()
    assert view.state.epoch == 0 and view.runs == 3 and view.error is None
    view.close()


def test_live_view_restarts_on_a_hot_change_before_training_or_after_divergence(explorer):
    view = LiveView(explorer, threaded=False)
    view.controls["lr"].value = 0.02  # epoch 0: nothing to continue
    assert view.runs == 2 and view.adjustments == 0
    view.controls["lr"].value = 1.0
    view.play()
    for _ in range(8):
        view.tick()
    assert view.state.diverged_at is not None and view.play_button.description == "Play"
    view.controls["lr"].value = 0.01  # the diverged run cannot go on: start again
    assert view.state.epoch == 0 and view.state.diverged_at is None and view.adjustments == 0
    view.close()


def test_live_view_playing_keeps_counting_through_hot_changes(explorer):
    view = LiveView(explorer, threaded=False)
    view.play()
    epochs = []
    for i in range(6):
        view.tick()
        if i == 2:
            view.controls["lr"].value = 0.005
        if i == 4:
            view.controls["momentum"].value = 0.5
        epochs.append(view.state.epoch)
    assert epochs == list(range(2, 8)) and view.runs == 1 and view.adjustments == 2  # Play's first frame: epoch 1
    view.close()


# ------------------------------------------------------------------ website --

def _data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S).group(1))


def test_static_scenarios_are_a_control_with_their_own_marked_runs():
    ex = momentum.momentum_explorer(max_epochs=12)
    html = explorer_html(ex)
    data = _data(html)
    names = list(ex.scenarios)
    assert "<label" in html and "mid-run change" in html
    assert data["labels"][-1] == ["none", *names]
    # Every other control is grayed out while a scenario is chosen.
    assert all(any(w[0] == 3 and w[1] == [0] for w in conditions) for conditions in data["when"][:3])
    frames = len(data["frames"])
    last = [data["map"][(k + 1) * frames - 1] for k in range(len(data["map"]) // frames)]
    for i, name in enumerate(names, start=1):
        state = list(ex.play_scenario(name, ex.frames))[-1]
        assert data["texts"][data["tmap"][(i + 1) * frames - 1]] == ex.readout(state)
        assert "Changed while training:" in ex.readout(state)
        assert last[i] != last[0]  # its own image


def test_static_output_of_an_explorer_without_scenarios_has_no_scenario_control():
    ex = momentum.momentum_explorer(max_epochs=4)
    ex.scenarios = {}
    assert "mid-run change" not in explorer_html(ex)
