"""The learning-rate explorer: plain gradient descent on a 2-D bowl, its path and f at every step.

``run`` takes `steps` steps of ``w <- w - lr * grad f(w)`` (`dlbook.optim.SGD`
through `dlbook.surfaces.trajectory`) on a round or an elongated bowl; ``draw``
puts the path on the bowl's contour lines, next to f against the step on a
log scale. A run that blows up stops where it does and says "diverged at
step k" instead of drawing a path that leaves the page.

Both bowls are quadratics, f(x, y) = (c_x x^2 + c_y y^2) / 2 with curvatures
(second derivatives) c_x and c_y, so one step multiplies x by 1 - lr c_x and
y by 1 - lr c_y: a step shrinks the path towards the minimum when
|1 - lr c| < 1, that is when lr < 2 / c, in every direction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dlbook import viz
from dlbook.optim import SGD
from dlbook.surfaces import Surface, elongated_bowl, round_bowl, trajectory
from dlbook.widgets import Choice, Explorer, Slider

__all__ = ["bowl_explorer", "BowlRun", "run", "readout", "SURFACES", "CURVATURES", "BLOWUP"]

# The round bowl starts where the chapter's worked example does; the elongated one at its usual start.
SURFACES: dict[str, Surface] = {
    "round bowl": replace(round_bowl(), start=(-3.0, 4.0)),
    "elongated bowl": elongated_bowl(),
}
CURVATURES: dict[str, tuple[float, float]] = {"round bowl": (2.0, 2.0), "elongated bowl": (0.1, 2.0)}
"""Second derivatives (d²f/dx², d²f/dy²) of each bowl: one step multiplies x by 1 - lr c_x."""

BLOWUP = 1e3
"""A run has diverged once f is more than BLOWUP times its value at the start."""

_FLOOR = 1e-12  # f values below this are drawn at the floor of the log axis (f is exactly 0 at lr 0.5)


@dataclass(frozen=True, eq=False)
class BowlRun:
    """One run: its settings, the points visited, f at each, and where it diverged (or None).

    Attributes:
        surface (str): a key of `SURFACES`. lr (float): the learning rate. steps (int): steps asked for.
        points (np.ndarray): (n, 2), the start then one row per step taken; stops at divergence.
        values (np.ndarray): (n,), f at each point.
        diverged_at (int | None): the first step whose f exceeded BLOWUP * f(start), or whose
            point left the plane altogether; None if the run never blew up.
    """

    surface: str
    lr: float
    steps: int
    points: np.ndarray
    values: np.ndarray
    diverged_at: int | None

    @property
    def factors(self) -> tuple[float, float]:
        """What one step multiplies x and y by: 1 - lr c (negative: the path jumps across the valley)."""
        c_x, c_y = CURVATURES[self.surface]
        return 1 - self.lr * c_x, 1 - self.lr * c_y


def run(surface: str, lr: float, steps: int) -> BowlRun:
    """Take `steps` steps of gradient descent with learning rate `lr` on the named bowl.

    Args:
        surface: "round bowl" or "elongated bowl".
        lr: the learning rate, >= 0.
        steps: how many steps, >= 0.

    Returns:
        A `BowlRun`; a diverging run is cut at the step where it blew up (that point is kept).
    """
    bowl = SURFACES[surface]
    path = trajectory(SGD(lr=lr), bowl, steps=int(steps))
    points = path.points
    values = np.asarray(bowl.f(points[:, 0], points[:, 1]), dtype=np.float64)
    blown = np.flatnonzero(values > BLOWUP * values[0])
    diverged_at = int(blown[0]) if blown.size else path.diverged_at
    if blown.size:
        points, values = points[: diverged_at + 1], values[: diverged_at + 1]
    return BowlRun(surface, float(lr), int(steps), points, values, diverged_at)


def readout(result: BowlRun) -> str:
    """The outcome in words: where the path ended and f there, or the step where it diverged."""
    fx, fy = result.factors
    per_step = f"each step multiplies x by {fx:.3g} and y by {fy:.3g}"
    where = f"η = {result.lr:g} on the {result.surface}"
    if result.diverged_at is not None:
        return f"{where}: diverged at step {result.diverged_at} ({per_step})."
    x, y = (round(float(v), 2) + 0.0 for v in result.points[-1])  # + 0.0: no "-0.00"
    growing = ", and growing: this run diverges" if result.values[-1] > result.values[0] else ""
    return (f"{where}: f = {result.values[-1]:.3g} at ({x:.2f}, {y:.2f}) after {len(result.points) - 1} "
            f"steps{growing} ({per_step}).")


class _Drawing:
    """One reusable figure per bowl: contours drawn once; the path and the f curve replaced per draw."""

    def __init__(self) -> None:
        self.figures: dict[str, tuple] = {}

    def _build(self, name: str) -> tuple:
        bowl = SURFACES[name]
        fig, (ax_path, ax_f) = viz.new_figure(6.4, 2.6, ncols=2)
        ax_path.get_gridspec().set_width_ratios([1.7, 1.0])  # the bowl needs the room, the curve less
        fig.get_layout_engine().set(w_pad=0.06)
        viz.plot_contours(ax_path, bowl.f, bowl.xlim, bowl.ylim, levels=10, minimum=bowl.minimum)
        ax_path.set_aspect("equal")
        ax_path.text(0.02, 0.97, bowl.latex, transform=ax_path.transAxes, ha="left", va="top", fontsize=8,
                     bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
        ax_path.set_title(" ")
        f0 = float(bowl.f(*bowl.start))
        with viz.style():
            ax_f.axhline(BLOWUP * f0, color=viz.PALETTE["black"], linewidth=0.8, linestyle=":")
            ax_f.text(0.98, BLOWUP * f0 * 1.6, f"diverged above {BLOWUP:g} × f(start)", ha="right",
                      va="bottom", fontsize=7, transform=ax_f.get_yaxis_transform())
            ax_f.set_yscale("log")
            ax_f.set_ylim(_FLOOR, BLOWUP * f0 * 1e2)
            ax_f.set_xlabel("step")
            ax_f.set_ylabel("f (log scale)")
            ax_f.set_title(" ")
        viz.freeze_layout(fig)
        return fig, ax_path, ax_f, []

    def __call__(self, result: BowlRun):
        if result.surface not in self.figures:
            self.figures[result.surface] = self._build(result.surface)
        fig, ax_path, ax_f, artists = self.figures[result.surface]
        for artist in artists:
            artist.remove()
        artists.clear()
        artists += viz.plot_path(ax_path, result.points, color=viz.PALETTE["vermillion"])
        steps = np.arange(len(result.values))
        with viz.style():
            artists += ax_f.plot(steps, np.maximum(result.values, _FLOOR), "-o", markersize=2,
                                 color=viz.PALETTE["vermillion"])
        ax_f.set_xlim(0, max(result.steps, 1))
        if result.diverged_at is not None:
            artists.append(viz.annotate_diverged(ax_path, result.diverged_at))
            ax_path.set_title(f"η = {result.lr:g}: diverged")
        else:
            ax_path.set_title(f"η = {result.lr:g}, {result.steps} steps")
        ax_f.set_title("f at each step")
        return fig


def bowl_explorer(*, steps: int = 20) -> Explorer:
    """The explorer: the bowl, the learning rate η and the number of steps.

    Args:
        steps: the default number of steps.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "surface": Choice("surface", tuple(SURFACES), "round bowl"),
        "lr": Slider("learning rate η", 0.01, 1.2, 0.01, default=0.1,
                     static=(0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0, 1.05, 1.1, 1.2)),
        "steps": Slider("steps", 5, 100, 5, default=steps, static=(steps,)),
    }
    return Explorer(
        controls, run, _Drawing(), readout=readout, title="Gradient descent on a bowl: the learning rate",
        alt="Left: contour lines of the bowl with the path of gradient descent from a hollow start circle "
            "to a filled end point. Right: the value of f after each step, on a logarithmic scale.",
        dpi=100, static_dpi=100)

