"""The book's three explorers: what they compute, what they say, and that extreme settings never raise."""

import json
import re

import numpy as np
import pytest

from dlbook.explorers import optimizer_explorer, overfitting_explorer, playground_explorer
from dlbook.explorers import optimizer as opt_module
from dlbook.explorers import overfitting as of_module
from dlbook.explorers import playground as pg_module
from dlbook.layers import Dropout
from dlbook.live import LiveView
from dlbook.optim import Momentum
from dlbook.static import BUDGET_BYTES, explorer_html

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="module")
def optimizer():
    return optimizer_explorer()


@pytest.fixture(scope="module")
def playground():
    return playground_explorer()


@pytest.fixture(scope="module")
def overfitting():
    return overfitting_explorer()


# ----------------------------------------------------------------- optimizer --

def test_optimizer_path_is_sgd_by_hand(optimizer):
    # x' = x - lr * x / 10, y' = y - lr * 2 y on f = x^2/20 + y^2, from (-7, 2).
    result = optimizer.result(optimizer="SGD", lr=0.5, steps=10)
    k = np.arange(11)
    np.testing.assert_allclose(result.path.points[:, 0], -7 * 0.95**k)
    np.testing.assert_allclose(result.path.points[:, 1], 2 * 0.0**k)
    assert optimizer.text(optimizer="SGD", lr=0.5, steps=10) == (
        "SGD (lr 0.5) on the elongated bowl: f = 0.878 at (-4.19, 0.00) after 10 steps.")


def test_momentum_alpha_matters_only_for_momentum(optimizer):
    assert optimizer.settings(optimizer="Adam", momentum=0.5)["momentum"] == 0.9
    assert optimizer.result(optimizer="Adam", momentum=0.5) is optimizer.result(optimizer="Adam")
    a = optimizer.result(optimizer="Momentum", momentum=0.0).path.points
    b = optimizer.result(optimizer="SGD").path.points
    np.testing.assert_allclose(a, b)  # momentum 0 is plain SGD


@pytest.mark.parametrize("name", ["SGD", "Momentum"])
def test_the_largest_learning_rate_diverges_with_a_readout_and_no_exception(optimizer, name):
    lr = optimizer.controls["lr"].max
    text = optimizer.text(optimizer=name, lr=lr)
    assert re.fullmatch(rf"{name} \(lr 5(, α 0.9)?\) on the elongated bowl: diverged at step \d+\.", text)
    png, readout = optimizer.render(optimizer.result(optimizer=name, lr=lr))
    assert png.startswith(b"\x89PNG") and readout == text


def test_every_optimizer_and_surface_draws(optimizer):
    for surface in opt_module.SURFACES:
        for name in optimizer.controls["optimizer"].options():
            png, text = optimizer.render(optimizer.result(optimizer=name, surface=surface, lr=0.01))
            assert png.startswith(b"\x89PNG") and surface in text


def test_optimizer_reuses_one_figure_per_surface(optimizer):
    draw = optimizer.draw_fn
    fig1 = draw(optimizer.result(lr=0.1))
    fig2 = draw(optimizer.result(lr=0.2))
    fig3 = draw(optimizer.result(surface="saddle"))
    assert fig1 is fig2 and fig3 is not fig1


def test_optimizer_live_view_reruns_only_for_a_new_value(optimizer):
    view = LiveView(optimizer, threaded=False)
    runs = view.runs
    view.controls["lr"].value = 0.2
    assert view.runs == runs + 1 and "lr 0.2" in view.text
    view.controls["lr"].value = 0.2
    assert view.runs == runs + 1
    view.controls["optimizer"].value = "Adam"
    assert view.controls["momentum"].disabled
    view.controls["lr"].value = 5.0
    view.controls["optimizer"].value = "SGD"
    assert "diverged at step" in view.text and view.error is None


# ---------------------------------------------------------------- playground --

def test_playground_is_seeded_and_learns_circles():
    a = pg_module.step(pg_module.init("circles", 0.1, 2, 8, "tanh", 0.1, 10), 30)
    b = pg_module.step(pg_module.init("circles", 0.1, 2, 8, "tanh", 0.1, 10), 30)
    assert a.train_loss == b.train_loss and len(a.train_loss) == 31  # epoch 0 and 30 more
    assert a.train_loss[-1] < 0.5 * a.train_loss[0]
    assert a.x_train.shape == (200, 2) and a.x_val.shape == (100, 2)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_playground_builds_the_network_it_is_asked_for(activation):
    state = pg_module.init("xor", 0.0, 3, 5, activation, 0.1, 10)
    shapes = [p.shape for p in state.model.params().values()]
    assert shapes == [(2, 5), (5,), (5, 5), (5,), (5, 5), (5,), (5, 2), (2,)]


def test_playground_largest_learning_rate_diverges_and_playing_stops(playground):
    view = LiveView(playground, threaded=False)
    view.controls["lr"].value = playground.controls["lr"].max
    view.play()
    for _ in range(5):
        view.tick()
    assert view.state.diverged_at == 1 and view.state.epoch == 1
    assert view.text.startswith("Diverged at epoch 1: the training loss blew up")
    assert view.play_button.description == "Play" and view.error is None


def test_playground_readout_after_training(playground):
    text = playground.text(epoch=4, dataset="gaussians")
    assert re.fullmatch(r"Epoch 4: train loss \d\.\d{3}, validation loss \d\.\d{3}, validation accuracy \d+%\.", text)


def test_playground_redraws_points_only_when_the_data_changes(playground):
    draw = playground.draw_fn
    draw(playground.start(dataset="moons"))
    points = list(draw.points)
    draw(playground.start(dataset="moons", lr=1.0))
    assert draw.points == points
    draw(playground.start(dataset="spiral"))
    assert draw.points != points and len(draw.ax_plane.collections) == 4  # 2 classes x (train, test)


# --------------------------------------------------------------- overfitting --

def test_overfitting_network_memorises_the_small_training_set():
    state = of_module.step(of_module.init(dropout=0.0, weight_decay=0.0, n_train=100), 30)
    h = state.history
    assert h["train_acc"][-1] == 1.0
    assert h["val_acc"][-1] < 0.95  # 100 examples are not enough to generalize that well
    assert state.data[0].shape == (100, 64) and state.data[0].dtype == np.float32


def test_overfitting_controls_reach_the_model_and_optimizer():
    state = of_module.init(dropout=0.3, weight_decay=0.01, n_train=50)
    dropouts = [layer for layer in state.model.layers if isinstance(layer, Dropout)]
    assert [d.p for d in dropouts] == [0.3, 0.3]
    assert isinstance(state.optimizer, Momentum) and state.optimizer.weight_decay == 0.01
    # At rate 0 the layers are there (the rate is hot: it can be raised while training goes on).
    off = of_module.init(0.0, 0.0, 50).model.layers
    assert [layer.p for layer in off if isinstance(layer, Dropout)] == [0.0, 0.0]


def test_overfitting_readout(overfitting):
    text = overfitting.text(epoch=3)
    assert re.fullmatch(r"Epoch 3: train accuracy \d+\.\d%, validation accuracy \d+\.\d% \(gap -?\d+\.\d points\); "
                        r"validation loss \d\.\d{3}, lowest \d\.\d{3} at epoch \d\.", text)


# ----------------------------------------------------------------- the website --

@pytest.mark.slow
@pytest.mark.parametrize("make", [optimizer_explorer, playground_explorer, overfitting_explorer])
def test_each_explorer_fits_its_website_budget(make):
    html = explorer_html(make())
    assert len(html.encode()) <= BUDGET_BYTES
    data = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert len(data["map"]) == np.prod(data["sizes"]) * len(data["frames"])
