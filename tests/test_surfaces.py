"""Optimizer test surfaces and trajectories across them."""

import math
import re
import warnings

import numpy as np
import pytest

from dlbook.optim import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp
from dlbook.surfaces import (
    DIVERGENCE_LIMIT,
    Surface,
    elongated_bowl,
    rosenbrock,
    round_bowl,
    saddle,
    trajectory,
)

pytestmark = pytest.mark.filterwarnings("error")

SURFACES = [elongated_bowl(), round_bowl(), saddle(), rosenbrock(), rosenbrock(a=2.0, b=10.0)]
IDS = [s.latex for s in SURFACES]


@pytest.mark.parametrize("surface", SURFACES, ids=IDS)
def test_gradient_matches_central_differences(surface):
    rng = np.random.default_rng(0)
    x = rng.uniform(*surface.xlim, size=50)
    y = rng.uniform(*surface.ylim, size=50)
    h = 1e-6
    num_dx = (surface.f(x + h, y) - surface.f(x - h, y)) / (2 * h)
    num_dy = (surface.f(x, y + h) - surface.f(x, y - h)) / (2 * h)
    dx, dy = surface.grad(x, y)
    for analytic, numeric in [(dx, num_dx), (dy, num_dy)]:
        # Relative error, measured absolutely where the gradient is below 1 (no 0/0).
        rel = np.abs(analytic - numeric) / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), 1.0)
        assert rel.max() < 1e-7


@pytest.mark.parametrize("surface", SURFACES, ids=IDS)
def test_vectorised_on_a_grid_and_metadata(surface):
    X, Y = np.meshgrid(np.linspace(*surface.xlim, 7), np.linspace(*surface.ylim, 5))  # (5, 7) each
    Z = surface(X, Y)
    dX, dY = surface.grad(X, Y)
    assert Z.shape == dX.shape == dY.shape == (5, 7)
    assert Z[2, 3] == surface.f(X[2, 3], Y[2, 3])
    assert surface.latex.startswith("$") and surface.latex.endswith("$") and surface.name
    x0, y0 = surface.start
    assert surface.xlim[0] < x0 < surface.xlim[1] and surface.ylim[0] < y0 < surface.ylim[1]


@pytest.mark.parametrize("surface", [s for s in SURFACES if s.minimum is not None], ids=lambda s: s.latex)
def test_minimum_is_a_zero_of_the_gradient_and_below_the_grid(surface):
    xm, ym = surface.minimum
    assert surface.grad(xm, ym) == (0.0, 0.0)
    X, Y = np.meshgrid(np.linspace(*surface.xlim, 41), np.linspace(*surface.ylim, 41))
    assert surface.f(xm, ym) <= surface(X, Y).min()


def test_known_values():
    assert elongated_bowl().f(-7.0, 2.0) == pytest.approx(49 / 20 + 4)
    assert rosenbrock().minimum == (1.0, 1.0) and rosenbrock(a=2.0).minimum == (2.0, 4.0)
    assert rosenbrock().f(-1.0, 1.0) == 4.0  # (1 + 1)**2 + 100 * 0
    assert saddle().minimum is None and saddle().grad(0.0, 0.0) == (0.0, 0.0)
    assert isinstance(round_bowl(), Surface)


def test_sgd_zigzags_down_the_elongated_bowl():
    # On x**2/20 + y**2, SGD multiplies x by (1 - 0.95/10) = 0.905 and y by (1 - 0.95 * 2) = -0.9 each step.
    path = trajectory(SGD(lr=0.95), elongated_bowl(), start=(-7.0, 2.0), steps=30)
    assert path.points.shape == (31, 2) and path.diverged_at is None and not path.diverged
    k = np.arange(31)
    np.testing.assert_allclose(path.points[:, 0], -7.0 * 0.905**k, rtol=1e-12)
    np.testing.assert_allclose(path.points[:, 1], 2.0 * (-0.9) ** k, rtol=1e-12)
    assert np.all(np.sign(path.points[1:, 1]) == -np.sign(path.points[:-1, 1]))  # y flips every step
    assert np.hypot(*path.points[-1]) < 0.37  # -7 * 0.905**30 = -0.3504, 2 * 0.9**30 = 0.0848


@pytest.mark.parametrize(("opt", "measured"), [
    (Momentum(lr=0.1, momentum=0.9), 0.901),
    (Nesterov(lr=0.1, momentum=0.9), 0.690),
    (AdaGrad(lr=1.5), 0.120),
    (RMSProp(lr=0.1), 0.697),
    (Adam(lr=0.3), 0.346),
], ids=repr)
def test_optimizers_approach_the_minimum(opt, measured):
    # Distance from (0, 0) after 30 steps from (-7, 2) (distance 7.28), as measured; small margin.
    path = trajectory(opt, elongated_bowl(), start=(-7.0, 2.0), steps=30)
    assert path.diverged_at is None
    distance = np.hypot(*path.points[-1])
    assert distance == pytest.approx(measured, abs=0.01)
    assert distance < 1.0


def test_adam_finds_the_rosenbrock_minimum():
    path = trajectory(Adam(lr=0.05), rosenbrock(), steps=2000)
    np.testing.assert_allclose(path.points[-1], [1.0, 1.0], atol=1e-3)


def test_sgd_escapes_the_saddle():
    # x shrinks by 0.8 per step, y (started at 0.01) grows by 1.2: 0.01 * 1.2**40 = 14.7
    path = trajectory(SGD(lr=0.1), saddle(), steps=40)
    np.testing.assert_allclose(path.points[-1], [-1.5 * 0.8**40, 0.01 * 1.2**40], rtol=1e-12)


def test_divergence_is_reported_at_the_step_it_happens():
    # y_k = 2 * (1 - 10 * 2)**k = 2 * (-19)**k: 2 * 19**4 = 260642 is inside the limit, 2 * 19**5 is not.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = trajectory(SGD(lr=10.0), elongated_bowl(), start=(-7.0, 2.0), steps=30)
    assert path.diverged_at == 5
    assert path.points.shape == (5, 2)
    assert path.points[4, 1] == 260642.0 and abs(2.0 * 19.0**5) > DIVERGENCE_LIMIT


@pytest.mark.parametrize("cls", [SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam])
def test_huge_lr_diverges_without_warnings_or_exceptions(cls):
    # lr * g overflows to inf inside the optimizer: caught and reported, not warned about.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = trajectory(cls(lr=1e300), rosenbrock(), steps=30)
    assert path.diverged_at == 1
    np.testing.assert_array_equal(path.points, [[-1.2, 1.0]])
    assert np.all(np.isfinite(path.points))


def test_defaults_and_zero_steps():
    bowl = elongated_bowl()
    path = trajectory(SGD(lr=0.1), bowl, steps=0)
    np.testing.assert_array_equal(path.points, [bowl.start])
    assert path.points.dtype == np.float64


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"steps": -1}, "Invalid steps value: -1"),
    ({"start": (math.nan, 0.0)}, "Invalid start value: (nan, 0.0)"),
    ({"start": (0.0, 2e6)}, "Invalid start value: (0.0, 2000000.0)"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        trajectory(SGD(), elongated_bowl(), **kwargs)
