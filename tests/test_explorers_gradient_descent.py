"""The explorers of the chapter "Gradient descent": the learning-rate bowl and the batch-size explorer."""

import numpy as np
import pytest

from dlbook.data import gaussians
from dlbook.explorers import bowl, logistic_batch
from dlbook.layers import Linear
from dlbook.losses import SigmoidBCE
from dlbook.model import Sequential
from dlbook.optim import SGD
from dlbook.static import explorer_html
from dlbook.train import evaluate, train

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize("name", list(bowl.SURFACES))
def test_bowl_curvatures_are_the_surfaces_second_derivatives(name):
    surface = bowl.SURFACES[name]
    c_x, c_y = bowl.CURVATURES[name]
    assert surface.grad(1.0, 0.0)[0] == pytest.approx(c_x)
    assert surface.grad(0.0, 1.0)[1] == pytest.approx(c_y)


def test_bowl_run_follows_the_factor_one_minus_lr_times_curvature():
    result = bowl.run("round bowl", 0.1, 20)
    k = np.arange(21)[:, None]
    np.testing.assert_allclose(result.points, np.array([-3.0, 4.0]) * 0.8**k, rtol=1e-12)
    assert result.diverged_at is None and result.factors == pytest.approx((0.8, 0.8))
    assert "after 20 steps" in bowl.readout(result)


def test_bowl_divergence_is_reported_at_the_step_f_passes_the_limit():
    result = bowl.run("round bowl", 1.1, 50)
    # |x| grows by 1.2 per step, so f by 1.44: above 1000 f(start) first at step 19.
    assert result.diverged_at == 19 == int(np.ceil(np.log(bowl.BLOWUP) / np.log(1.44)))
    assert len(result.points) == 20 and result.values[-1] > bowl.BLOWUP * result.values[0]
    assert "diverged at step 19" in bowl.readout(result)
    growing = bowl.run("round bowl", 1.05, 20)
    assert growing.diverged_at is None and "this run diverges" in bowl.readout(growing)


@pytest.mark.slow
def test_bowl_explorer_renders_and_fits_its_static_budget():
    explorer = bowl.bowl_explorer()
    png, text = explorer.render(explorer.result(lr=1.2), dpi=40)
    assert png.startswith(b"\x89PNG") and "diverged at step" in text
    block = explorer_html(explorer)
    assert len(block.encode()) < 1_500_000


def test_logistic_run_uses_the_batches_train_uses():
    run = logistic_batch.run(batch_size=10, lr=0.5, epochs=3)
    x_train, y_train, _, _ = logistic_batch.toy_problem()
    model = Sequential(Linear(2, 1, rng=np.random.default_rng(0), weight_init=0.0))
    train(model, SGD(lr=0.5), (x_train, y_train), SigmoidBCE(), epochs=3, batch_size=10,
          rng=np.random.default_rng(1))
    assert run.train_loss[-1] == pytest.approx(evaluate(model, x_train, y_train, SigmoidBCE())[0], rel=1e-12)
    assert run.train_loss[0] == pytest.approx(np.log(2))  # zero weights predict 1/2
    assert run.total_updates == 3 * 20 and run.updates_per_epoch == 20
    assert set(range(20, 61, 20)) <= set(run.updates.tolist())  # every epoch's end is measured


def test_logistic_data_is_the_gaussians_set_and_runs_are_deterministic():
    x, y = gaussians(400, noise=0.3, rng=np.random.default_rng(0))
    x_train, y_train, x_val, y_val = logistic_batch.toy_problem()
    np.testing.assert_array_equal(np.concatenate([x_train, x_val]), x[:300])  # the last 100: the chapter's test set
    assert y_train.shape == (200, 1) and y_val.shape == (100, 1)
    a, b = logistic_batch.run(1, 0.1, 2), logistic_batch.run(1, 0.1, 2)
    np.testing.assert_array_equal(a.update_loss, b.update_loss)
    assert "1 update per epoch" in logistic_batch.readout(logistic_batch.run(200, 0.1, 2))


def test_logistic_explorer_renders_its_largest_learning_rate():
    explorer = logistic_batch.logistic_batch_explorer()
    result = explorer.result(batch_size=1, lr=10.0, epochs=5)
    png, text = explorer.render(result, dpi=40)
    assert png.startswith(b"\x89PNG") and "Batch size 1" in text


def test_both_explorers_work_live_and_report_divergence_in_words():
    from dlbook.live import LiveView

    view = LiveView(bowl.bowl_explorer(), threaded=False)
    view.controls["lr"].value = 1.2
    assert view.error is None and "diverged at step 11" in view.text
    view.controls["surface"].value = "elongated bowl"
    assert view.error is None and "elongated bowl" in view.text
    view.close()
    view = LiveView(logistic_batch.logistic_batch_explorer(), threaded=False)
    view.controls["batch_size"].value = 200.0
    assert view.error is None and "1 update per epoch" in view.text
    view.close()
