"""The explorers of the generative-models chapter: the GAN on a ring of Gaussians and the digits GAN playback."""

import numpy as np
import pytest

from dlbook.explorers import digits_gan as dg
from dlbook.explorers import gan_ring as ring
from dlbook.static import explorer_html


def params(state):
    return {name: p.copy() for name, p in state.gan.generator.params().items()}


def test_ring_runs_are_deterministic_and_the_remembered_epochs_equal_fresh_training():
    ring._RUNS.clear()
    first = ring.step(ring.init(1e-3, 3e-3, 0.5, 1), 2)  # trained, and remembered
    assert len(ring._RUNS) == 2
    again = ring.step(ring.init(1e-3, 3e-3, 0.5, 1), 2)  # from memory
    ring._RUNS.clear()
    fresh = ring.step(ring.step(ring.init(1e-3, 3e-3, 0.5, 1), 1), 1)  # trained again, one epoch at a time
    for other in (again, fresh):
        assert other.epoch == 2 and other.modes == first.modes and other.d_loss == first.d_loss
        for name, p in params(first).items():
            np.testing.assert_array_equal(p, params(other)[name])
    # The remembered state is a copy: training what step returned does not change the memory.
    remembered = params(ring._RUNS[(tuple(sorted(fresh.settings.items())), 2)])
    ring.step(fresh, 1)
    for name, p in remembered.items():
        np.testing.assert_array_equal(p, ring._RUNS[(tuple(sorted(fresh.settings.items())), 2)]
                                      .gan.generator.params()[name])


def test_ring_explorer_hot_learning_rates_change_the_optimizers_and_are_marked():
    explorer = ring.gan_ring_explorer(max_epochs=4)
    assert explorer.hot == {"lr_g", "lr_d"}
    state = explorer.advance(explorer.start(), 1)
    state = explorer.adjust(state, lr_d=3e-4, lr_g=3e-3)
    assert state.gan.d_optimizer.lr == pytest.approx(3e-4) and state.gan.g_optimizer.lr == pytest.approx(3e-3)
    assert state.gan.d_optimizer.betas == (0.5, 0.999)  # Adam and its state stay
    state = explorer.advance(state, 1)
    text = explorer.readout(state)
    assert text.startswith("Epoch 2 (200 generator steps): ")
    assert "D learning rate 0.003 → 0.0003 at epoch 1" in text
    png, _ = explorer.render(state)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="Cannot change"):
        explorer.adjust(state, beta1=0.9)


def test_ring_explorer_static_page_fits_its_budget_with_its_collapse_scenario():
    explorer = ring.gan_ring_explorer(max_epochs=2)
    (name, scenario), = explorer.scenarios.items()
    assert name == "G lr 0.0003 and D lr 0.01, back to the defaults at epoch 1"
    state = list(explorer.play_scenario(name, [2]))[-1]
    assert [c.label for c in state.changes] == ["G learning rate 0.0003 → 0.001", "D learning rate 0.01 → 0.003"]
    assert state.gan.g_optimizer.lr == pytest.approx(1e-3) and state.gan.d_optimizer.lr == pytest.approx(3e-3)
    html = explorer_html(explorer)
    assert len(html) < 2_000_000 and "mid-run change" in html
    assert ring.gan_ring_explorer(max_epochs=1).scenarios == {}


def test_digits_gan_record_and_playback():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (130, 64)).astype(np.float32)
    run = dg.train_digits_gan(x, epochs=2, snapshots=(0, 2))
    assert run.epochs == [0, 2] and len(run.d_loss) == 2
    assert run.samples[2].shape == (16, 8, 8) and run.path[2].shape == (len(dg.TS), 8, 8)
    assert 0 <= run.samples[2].min() and run.samples[2].max() <= 1
    # The ends of the path are the images of z_a and z_b, which are the first two fixed z.
    np.testing.assert_allclose(run.path[2][0], run.samples[2][0], atol=1e-6)
    np.testing.assert_allclose(run.path[2][-1], run.samples[2][1], atol=1e-6)
    explorer = dg.digits_gan_explorer(run)
    assert explorer.text(epoch="0", t=0.3).startswith("Epoch 0: ")
    html = explorer_html(explorer)
    assert len(html) < 2_000_000
    with pytest.raises(ValueError, match=r"\(N, 64\)"):
        dg.train_digits_gan(x.reshape(-1, 8, 8))


def test_mosaic_tiles_with_gaps():
    tiles = np.arange(4 * 2 * 2, dtype=float).reshape(4, 2, 2)
    out = dg.mosaic(tiles, 2, 2)
    assert out.shape == (5, 5)
    np.testing.assert_array_equal(out[3:, 3:], tiles[3])
    assert np.all(out[2] == 0) and np.all(out[:, 2] == 0)
