"""dlbook.gan: the losses and their gradients, the generator's gradient through a frozen discriminator
(gradient-checked in float64), which network each step changes, the vanishing minimax gradient, the ring data."""


import numpy as np
import pytest

from dlbook.gan import GAN, discriminator_loss, generator_loss, mode_coverage, ring_centers, ring_of_gaussians
from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.layers import LeakyReLU, Linear, Tanh
from dlbook.model import Sequential
from dlbook.optim import SGD, Adam

TOL = 1e-7


pytestmark = pytest.mark.filterwarnings("error")  # a warning is a failure here


def make_gan(*, dtype=np.float64, loss="non-saturating", seed=0, g_optimizer=None, d_optimizer=None, **kw):
    rng = np.random.default_rng(seed)
    G = Sequential(Linear(3, 5, rng=rng, dtype=dtype), Tanh(), Linear(5, 2, rng=rng, dtype=dtype))
    D = Sequential(Linear(2, 6, rng=rng, dtype=dtype), Tanh(), Linear(6, 4, rng=rng, dtype=dtype),
                   LeakyReLU(0.2), Linear(4, 1, rng=rng, dtype=dtype))
    return GAN(G, D, g_optimizer=g_optimizer or SGD(lr=0.1), d_optimizer=d_optimizer or SGD(lr=0.1),
               latent_dim=3, loss=loss, **kw)


def copies(params):
    return {name: p.copy() for name, p in params.items()}


# ------------------------------------------------------------- the losses --

def test_discriminator_loss_value_and_gradients_by_hand():
    real, fake = np.array([[2.0], [-1.0]]), np.array([[0.5], [-3.0], [1.0]])
    sig = lambda u: 1 / (1 + np.exp(-u))  # noqa: E731
    loss, d_real, d_fake = discriminator_loss(real, fake, real_target=0.9)
    t = 0.9
    expected = (-np.mean(t * np.log(sig(real)) + (1 - t) * np.log(1 - sig(real)))
                - np.mean(np.log(1 - sig(fake))))
    assert loss == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(d_real, (sig(real) - t) / 2, rtol=1e-12)
    np.testing.assert_allclose(d_fake, sig(fake) / 3, rtol=1e-12)


@pytest.mark.parametrize("kind", ["non-saturating", "minimax"])
def test_generator_loss_gradient_is_checked_numerically(kind):
    u = np.random.default_rng(0).standard_normal((5, 1)) * 3
    _, du = generator_loss(u, kind)
    numeric = numerical_gradient(lambda: generator_loss(u, kind)[0], u)
    assert relative_error(du, numeric) < TOL


def test_the_losses_stay_finite_for_huge_logits():
    u = np.array([[-1e4], [1e4]])
    for kind in ("non-saturating", "minimax"):
        loss, du = generator_loss(u, kind)
        assert np.isfinite(loss) and np.all(np.isfinite(du))
    loss, d_real, d_fake = discriminator_loss(u, u)
    assert np.isfinite(loss) and np.all(np.isfinite(d_real)) and np.all(np.isfinite(d_fake))


def test_minimax_gradient_vanishes_where_D_rejects_the_fakes_and_non_saturating_does_not():
    u = np.full((4, 1), -10.0)  # D(G(z)) = sigmoid(-10) = 4.5e-5
    _, du_minimax = generator_loss(u, "minimax")
    _, du_ns = generator_loss(u, "non-saturating")
    np.testing.assert_allclose(du_minimax, -1 / (1 + np.exp(10)) / 4, rtol=1e-12)
    np.testing.assert_allclose(du_ns, (1 / (1 + np.exp(10)) - 1) / 4, rtol=1e-12)
    assert np.abs(du_ns).min() > 1e4 * np.abs(du_minimax).max()


# ------------------------------------------ the gradient through D, checked --

@pytest.mark.parametrize("kind", ["non-saturating", "minimax"])
def test_generator_gradient_through_the_discriminator_is_gradient_checked(kind):
    gan = make_gan(loss=kind)
    z = np.random.default_rng(1).standard_normal((4, 3))
    d_before = copies(gan.discriminator.params())
    gan.generator_gradients(z)
    analytic = copies(gan.generator.grads())
    G, D = gan.generator, gan.discriminator

    def loss():
        return generator_loss(D.forward(G.forward(z)), kind)[0]

    for name, p in G.params().items():
        assert relative_error(analytic[name], numerical_gradient(loss, p)) < TOL, name
    for name, p in D.params().items():  # frozen: read, never written
        np.testing.assert_array_equal(p, d_before[name])


def test_discriminator_step_follows_the_gradient_of_its_loss():
    """With SGD(lr=1), the D step moves each parameter by minus the numerical gradient of L_D."""
    gan = make_gan(d_optimizer=SGD(lr=1.0), label_smoothing=0.1)
    x_real = np.random.default_rng(2).standard_normal((4, 2))
    before = copies(gan.discriminator.params())
    z = gan.sample_latent(4, np.random.default_rng(3))  # what d_step draws from the same seed
    x_fake = gan.generator.forward(z)
    D = gan.discriminator

    def loss():
        return discriminator_loss(D.forward(x_real), D.forward(x_fake), real_target=0.9)[0]

    numeric = {name: numerical_gradient(loss, p) for name, p in D.params().items()}
    gan.d_step(x_real, np.random.default_rng(3))
    for name, p in D.params().items():
        assert relative_error(before[name] - p, numeric[name]) < 1e-6, name


def test_a_generator_step_leaves_the_discriminator_unchanged_and_a_D_step_the_generator():
    gan = make_gan(g_optimizer=Adam(lr=0.01), d_optimizer=Adam(lr=0.01), noise=0.1)
    rng = np.random.default_rng(4)
    g0, d0 = copies(gan.generator.params()), copies(gan.discriminator.params())
    gan.g_step(8, rng)
    for name, p in gan.discriminator.params().items():
        np.testing.assert_array_equal(p, d0[name])
    assert any(not np.array_equal(p, g0[name]) for name, p in gan.generator.params().items())
    g1 = copies(gan.generator.params())
    gan.d_step(np.random.default_rng(5).standard_normal((8, 2)), rng)
    for name, p in gan.generator.params().items():
        np.testing.assert_array_equal(p, g1[name])
    assert any(not np.array_equal(p, d0[name]) for name, p in gan.discriminator.params().items())


def test_measured_through_the_networks_the_minimax_gradient_vanishes():
    """D made sure that every fake is fake (D(G(z)) ~ 1e-6): G's gradient under minimax is ~1e-6 of the other."""
    norms = {}
    for kind in ("non-saturating", "minimax"):
        gan = make_gan(loss=kind)
        gan.discriminator.layers[-1].params["b"][...] = -14.0
        z = np.random.default_rng(6).standard_normal((16, 3))
        d = 1 / (1 + np.exp(-gan.discriminator.forward(gan.generator.forward(z))))
        assert d.max() < 1e-5
        gan.generator_gradients(z)
        norms[kind] = np.sqrt(sum(np.sum(g**2) for g in gan.generator.grads().values()))
    assert norms["minimax"] < 1e-4 * norms["non-saturating"]


def test_training_is_deterministic_with_a_seeded_rng_and_keeps_float32():
    results = []
    for _ in range(2):
        gan = make_gan(dtype=np.float32, g_optimizer=Adam(lr=1e-3), d_optimizer=Adam(lr=1e-3), noise=0.05)
        rng = np.random.default_rng(7)
        for _ in range(5):
            d_loss = gan.d_step(ring_of_gaussians(16, rng=rng, dtype=np.float32), rng)
            g_loss = gan.g_step(16, rng)
        results.append((d_loss, g_loss, copies(gan.generator.params())))
        assert all(p.dtype == np.float32 for p in gan.generator.params().values())
        assert all(p.dtype == np.float32 for p in gan.discriminator.params().values())
    assert results[0][:2] == results[1][:2]
    for name, p in results[0][2].items():
        np.testing.assert_array_equal(p, results[1][2][name])


@pytest.mark.parametrize("kw, words", [
    ({"loss": "wasserstein"}, "generator loss"),
    ({"label_smoothing": 1.0}, "label_smoothing"),
    ({"noise": -0.1}, "noise"),
    ({"noise": float("nan")}, "noise"),
])
def test_bad_settings_are_named(kw, words):
    with pytest.raises(ValueError, match=words):
        make_gan(**kw)


def test_bad_arguments_of_the_functions_are_named():
    with pytest.raises(ValueError, match="latent_dim"):
        rng = np.random.default_rng(0)
        GAN(Sequential(Linear(2, 2, rng=rng)), Sequential(Linear(2, 1, rng=rng)),
            g_optimizer=SGD(), d_optimizer=SGD(), latent_dim=0)
    with pytest.raises(ValueError, match="real_target"):
        discriminator_loss(np.zeros((2, 1)), np.zeros((2, 1)), real_target=0.0)
    with pytest.raises(ValueError, match="kind"):
        generator_loss(np.zeros((2, 1)), "hinge")
    gan = make_gan(noise=0.1)
    with pytest.raises(ValueError, match="rng"):
        gan.generator_gradients(np.zeros((2, 3)))


# ----------------------------------------------------------- the ring data --

def test_ring_of_gaussians_and_its_mode_coverage():
    rng = np.random.default_rng(8)
    x = ring_of_gaussians(4000, std=0.05, rng=rng, dtype=np.float32)
    assert x.shape == (4000, 2) and x.dtype == np.float32
    centers = ring_centers()
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0)
    modes, good = mode_coverage(x, centers, 0.05)
    assert modes == 8 and good > 0.98  # 3 std in 2-D holds 98.9 % of a Gaussian
    collapsed = np.repeat(centers[:2], 50, axis=0)  # all samples on two modes
    assert mode_coverage(collapsed, centers, 0.05) == (2, 1.0)
    assert mode_coverage(np.zeros((10, 2)), centers, 0.05) == (0, 0.0)  # the center of the ring is no mode
    with pytest.raises(ValueError, match="ring"):
        ring_of_gaussians(10, std=-1.0, rng=rng)
