"""Optimizer test surfaces f(x, y) and the path an optimizer takes across them.

Each surface is a `Surface`: its value ``f(x, y)`` and gradient
``grad(x, y) -> (df/dx, df/dy)``, both vectorized (x and y may be scalars or
arrays of one shape, e.g. a contour grid from ``np.meshgrid``), plus what a
figure needs: a name, a LaTeX formula, a plot range, a default start point and
the minimum::

    bowl = elongated_bowl()
    path = trajectory(SGD(lr=0.95), bowl, start=(-7.0, 2.0), steps=30)
    path.points          # (31, 2): the start, then one row per step
    path.diverged_at     # None, or the step at which the path left the plane
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlbook.optim import Optimizer

__all__ = ["Surface", "elongated_bowl", "round_bowl", "saddle", "rosenbrock", "Trajectory", "trajectory",
           "DIVERGENCE_LIMIT"]

DIVERGENCE_LIMIT = 1e6
"""A path with |x| or |y| beyond this has diverged (long before squaring it could overflow)."""


@dataclass(frozen=True)
class Surface:
    """A function of two variables to minimize, with its gradient and plotting defaults.

    Attributes:
        name (str): a short name for legends and titles.
        latex (str): the formula as LaTeX, e.g. ``r"$f(x, y) = x^2 + y^2$"``.
        f (Callable): ``f(x, y) -> value``; x, y scalars or same-shape arrays.
        grad (Callable): ``grad(x, y) -> (df/dx, df/dy)``, each shaped like x.
        xlim, ylim (tuple[float, float]): a range that shows the interesting part.
        start (tuple[float, float]): the default start point of a trajectory.
        minimum (tuple[float, float] | None): where f is smallest; None if f is unbounded below.
    """

    name: str
    latex: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    minimum: tuple[float, float] | None

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.f(x, y)


def elongated_bowl() -> Surface:
    """f(x, y) = x**2 / 20 + y**2: a valley 20 times steeper across (y) than along (x).

    Gradient (x / 10, 2 y); minimum 0 at (0, 0). Plain gradient descent zig-zags across it.
    """
    return Surface(
        name="elongated bowl",
        latex=r"$f(x, y) = \frac{x^2}{20} + y^2$",
        f=lambda x, y: x**2 / 20 + y**2,
        grad=lambda x, y: (x / 10, 2 * y),
        xlim=(-10.0, 10.0), ylim=(-5.0, 5.0), start=(-7.0, 2.0), minimum=(0.0, 0.0),
    )


def round_bowl() -> Surface:
    """f(x, y) = x**2 + y**2: equally steep in every direction.

    Gradient (2 x, 2 y); minimum 0 at (0, 0). Same range and start as `elongated_bowl`
    so the two can be compared side by side.
    """
    return Surface(
        name="round bowl",
        latex=r"$f(x, y) = x^2 + y^2$",
        f=lambda x, y: x**2 + y**2,
        grad=lambda x, y: (2 * x, 2 * y),
        xlim=(-10.0, 10.0), ylim=(-5.0, 5.0), start=(-7.0, 2.0), minimum=(0.0, 0.0),
    )


def saddle() -> Surface:
    """f(x, y) = x**2 - y**2: a minimum along x, a maximum along y, meeting at (0, 0).

    Gradient (2 x, -2 y). Unbounded below (``minimum`` is None). The default start is
    just off the ridge y = 0: started exactly on it, gradient descent never leaves it.
    """
    return Surface(
        name="saddle",
        latex=r"$f(x, y) = x^2 - y^2$",
        f=lambda x, y: x**2 - y**2,
        grad=lambda x, y: (2 * x, -2 * y),
        xlim=(-2.0, 2.0), ylim=(-2.0, 2.0), start=(-1.5, 0.01), minimum=None,
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """Rosenbrock's banana valley: f(x, y) = (a - x)**2 + b (y - x**2)**2.

    Gradient (-2 (a - x) - 4 b x (y - x**2), 2 b (y - x**2)); minimum 0 at (a, a**2),
    at the end of a long, curved, almost flat valley floor.

    Args:
        a (float, default 1.0): the minimum's x.
        b (float, default 100.0): how steep the valley's walls are.
    """
    return Surface(
        name="Rosenbrock",
        latex=rf"$f(x, y) = ({a:g} - x)^2 + {b:g}\,(y - x^2)^2$",
        f=lambda x, y: (a - x) ** 2 + b * (y - x**2) ** 2,
        grad=lambda x, y: (-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)),
        # The classic window and start for a = 1, widened if needed to show the minimum.
        xlim=(min(-2.0, a - 1.0), max(2.0, a + 1.0)), ylim=(-1.0, max(3.0, a**2 + 1.0)),
        start=(-1.2, 1.0), minimum=(a, a**2),
    )


@dataclass(frozen=True, eq=False)  # == on arrays has no single truth value
class Trajectory:
    """The path an optimizer took.

    Attributes:
        points (np.ndarray): (n, 2) float64, row 0 the start, row k the point after step k.
            All finite. n = steps + 1 unless the path diverged.
        diverged_at (int | None): the step k whose result was non-finite or beyond
            `DIVERGENCE_LIMIT` (that point is not in `points`, so n = k); None if it never did.
    """

    points: np.ndarray
    diverged_at: int | None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


def trajectory(optimizer: Optimizer, surface: Surface, start: tuple[float, float] | None = None,
               steps: int = 30) -> Trajectory:
    """Run `optimizer` on `surface` from `start`, one ``step(params, grads)`` per step.

    params are ``{"x": np.array(x0), "y": np.array(y0)}`` (0-d float64). The optimizer keeps its
    state (velocity, ...) under the keys "x" and "y", so pass a fresh one for each path.

    Args:
        optimizer (Optimizer): e.g. ``Momentum(lr=0.1, momentum=0.9)``.
        surface (Surface): the function to minimize.
        start (tuple[float, float] | None, default None): the start point; None: ``surface.start``.
        steps (int, default 30): the number of optimizer steps, >= 0.

    Returns:
        Trajectory: ``points`` (steps + 1, 2), or fewer rows and ``diverged_at`` set if the
        path became non-finite or left the square |x|, |y| <= DIVERGENCE_LIMIT.
    """
    if not (isinstance(steps, (int, np.integer)) and steps >= 0):
        raise ValueError(f"Invalid steps value: {steps}")
    x0, y0 = surface.start if start is None else start
    if not (math.isfinite(x0) and math.isfinite(y0) and max(abs(x0), abs(y0)) <= DIVERGENCE_LIMIT):
        raise ValueError(f"Invalid start value: {(x0, y0)}")
    params = {"x": np.array(x0, dtype=np.float64), "y": np.array(y0, dtype=np.float64)}
    points = np.empty((steps + 1, 2), dtype=np.float64)
    points[0] = x0, y0
    for k in range(1, steps + 1):
        dx, dy = surface.grad(params["x"], params["y"])
        # The point is within DIVERGENCE_LIMIT, but a huge lr can still overflow the step itself;
        # the inf or nan that results is caught just below and reported as divergence.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            optimizer.step(params, {"x": dx, "y": dy})
        x, y = float(params["x"]), float(params["y"])
        if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > DIVERGENCE_LIMIT:
            return Trajectory(points=points[:k].copy(), diverged_at=k)
        points[k] = x, y
    return Trajectory(points=points, diverged_at=None)
