"""The backpropagation chapter's explorers and its graph diagrams."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlbook.data import load_digits, standardize
from dlbook.diagrams import Edge, Node, draw_graph
from dlbook.explorers import digits_trainer as dt
from dlbook.explorers import gradient_depth as gd
from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.layers import Dropout, Linear, ReLU
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import Momentum
from dlbook.schedules import CosineAnnealingLR
from dlbook.static import BUDGET_BYTES, explorer_html
from dlbook.train import accuracy, train

pytestmark = pytest.mark.filterwarnings("error")


# ------------------------------------------------------------ gradient depth --

@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("activation", ["sigmoid", "ReLU"])
def test_forward_backward_matches_numerical_gradients(activation, residual):
    # db_l is the batch sum of dL/dz_l: checking it checks the loop, shortcut included.
    net = gd.build_network(3, activation, residual=residual, seed=1)
    x, y = gd.digits_batch()
    x, y = x[:20], y[:20]  # a quick check
    _, dz = gd.forward_backward(net, x, y)
    for layer, g in zip(net.linears, dz):
        b = layer.params["b"]
        numerical = numerical_gradient(lambda: gd.forward_backward(net, x, y)[0], b)
        assert relative_error(g.sum(axis=0), numerical) < 1e-7


def test_profiles_vanish_stay_and_explode():
    assert gd.gradient_profile(20, "sigmoid").ratio < 1e-8
    assert 0.1 < gd.gradient_profile(20, "ReLU").ratio < 10
    assert gd.gradient_profile(20, "ReLU", weight_scale=2.0).ratio > 1e3
    assert gd.gradient_profile(20, "sigmoid", residual=True).ratio > 0.1


def test_depth_explorer_readout_and_budget():
    explorer = gd.gradient_depth_explorer()
    assert explorer.text().startswith("Layer 1 gets 2.2e-06 times the gradient of layer 10 (vanishing)")
    png, _ = explorer.render(explorer.result(depth=40, activation="sigmoid", weight_scale=0.25))
    assert png.startswith(b"\x89PNG")  # far below the plotted range: drawn at the edge, no error
    assert len(explorer_html(explorer).encode()) <= BUDGET_BYTES


def test_build_network_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation"):
        gd.build_network(3, "softplus")


# ------------------------------------------------------------ digits trainer --

def test_digits_trainer_is_the_chapters_recipe():
    # Same seed and settings as a plain `train` call: the same network after 2 epochs.
    state = dt.step(dt.init(0.05, 30, "ReLU", epochs=2), 2)
    # The last 300 training digits validate (never the test set); the rest train, standardized on their own.
    digits = load_digits(dtype=np.float64)
    x_train, x_val, _, _ = standardize(digits.x_train[:-300], digits.x_train[-300:])
    y_train, y_val = digits.y_train[:-300], digits.y_train[-300:]
    rng = np.random.default_rng(0)
    net = Sequential(Linear(64, 30, rng=rng), ReLU(), Dropout(0.4, rng=rng), Linear(30, 10, rng=rng))
    optimizer = Momentum(lr=0.05, momentum=0.9, weight_decay=1e-3)
    train(net, optimizer, (x_train, y_train), SoftmaxCrossEntropy(), epochs=2, batch_size=32, rng=rng,
          scheduler=CosineAnnealingLR(optimizer, T_max=2))
    for name, p in net.params().items():
        np.testing.assert_allclose(state.model.params()[name], p)
    assert state.history["val_acc"][-1] == accuracy(net, x_val, y_val)
    assert len(state.history["val_loss"]) == 3  # before training, and after each epoch


def test_digits_trainer_diverges_politely_and_fits_its_budget():
    explorer = dt.digits_explorer(max_epochs=4)
    assert explorer.text(lr=1.0).startswith("Diverged at epoch 1")
    png, text = explorer.render(explorer.advance(explorer.start(lr=1.0), 4))
    assert png.startswith(b"\x89PNG") and text.startswith("Diverged")
    assert explorer.text(hidden=10, activation="tanh").startswith("Epoch 4: validation accuracy")


def test_digits_explorer_fits_its_website_budget():
    assert len(explorer_html(dt.digits_explorer()).encode()) <= BUDGET_BYTES


# ------------------------------------------------------------ diagrams --

def test_draw_graph_writes_values_above_and_gradients_below():
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    nodes = {"a": Node(0, 0, "a"), "m": Node(1, 0, "×", op=True), "out": Node(2, 0, "out")}
    draw_graph(ax, nodes, [Edge("a", "m", "3", "0.5"), Edge("m", "out", "6", "1")], legend=False)
    texts = {t.get_text(): t for t in ax.texts}
    assert {"a", "×", "out", "3", "0.5", "6", "1"} <= set(texts)
    assert texts["3"].get_position()[1] > 0 > texts["0.5"].get_position()[1]
    fig.canvas.draw()
    with pytest.raises(ValueError, match="not in `nodes`"):
        draw_graph(ax, nodes, [Edge("a", "nowhere")])
