"""The optimizer explorer: pick an optimizer, a learning rate and momentum α; watch its path on a surface.

``run`` lets the optimizer take `steps` steps on the chosen surface from its
usual start (`dlbook.surfaces.trajectory`); ``draw`` puts the path on the
surface's contour lines. The contours are computed once per surface and the
figure is reused, so a new setting costs one short run and one redraw.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlbook import viz
from dlbook.optim import SGD, AdaGrad, Adam, Momentum, Optimizer, RMSProp
from dlbook.surfaces import Surface, Trajectory, elongated_bowl, rosenbrock, saddle, trajectory
from dlbook.widgets import Choice, Explorer, LogSlider, Slider

__all__ = ["optimizer_explorer", "OptimizerRun", "make_optimizer", "SURFACES"]

SURFACES: dict[str, Surface] = {s.name: s for s in (elongated_bowl(), rosenbrock(), saddle())}


def make_optimizer(name: str, lr: float, momentum: float) -> Optimizer:
    """The optimizer called `name`; `momentum` (α) is used by Momentum only, the others keep their defaults."""
    if name == "Momentum":
        return Momentum(lr=lr, momentum=momentum)
    optimizers = {"SGD": SGD, "AdaGrad": AdaGrad, "RMSProp": RMSProp, "Adam": Adam}
    if name not in optimizers:
        raise ValueError(f"Invalid optimizer: {name!r}")
    return optimizers[name](lr=lr)


@dataclass(frozen=True)
class OptimizerRun:
    """One path: the settings that made it and the `Trajectory` (points, diverged_at)."""

    optimizer: str
    lr: float
    momentum: float
    surface: Surface
    path: Trajectory

    @property
    def name(self) -> str:
        alpha = f", α {self.momentum:g}" if self.optimizer == "Momentum" else ""
        return f"{self.optimizer} (lr {self.lr:g}{alpha})"


def run(optimizer: str, lr: float, momentum: float, surface: str, steps: int) -> OptimizerRun:
    """Take `steps` steps of the named optimizer on the named surface from its start point."""
    chosen = SURFACES[surface]
    path = trajectory(make_optimizer(optimizer, lr, momentum), chosen, steps=int(steps))
    return OptimizerRun(optimizer, lr, momentum, chosen, path)


def readout(result: OptimizerRun) -> str:
    """The outcome in words: where the path ended and the value of f there, or where it diverged."""
    where = f"{result.name} on the {result.surface.name}"
    if result.path.diverged_at is not None:
        return f"{where}: diverged at step {result.path.diverged_at}."
    x, y = result.path.points[-1]
    steps = len(result.path.points) - 1
    value = float(result.surface.f(x, y))
    # round(-0.001, 2) is -0.0; adding 0.0 turns it into 0.0, so no "-0.00" is printed.
    x, y = round(float(x), 2) + 0.0, round(float(y), 2) + 0.0
    return f"{where}: f = {value:.3g} at ({x:.2f}, {y:.2f}) after {steps} steps."


class _Drawing:
    """One reusable figure per surface: contours drawn once, the path replaced on every draw."""

    def __init__(self) -> None:
        self.figures: dict[str, tuple] = {}

    def __call__(self, result: OptimizerRun):
        surface = result.surface
        if surface.name not in self.figures:
            fig, ax = viz.new_figure(5.0, 3.3)
            viz.plot_contours(ax, surface.f, surface.xlim, surface.ylim, levels=10, minimum=surface.minimum)
            ax.text(0.01, 0.99, surface.latex, transform=ax.transAxes, ha="left", va="top", fontsize=9,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
            ax.set_title(" ")
            viz.freeze_layout(fig)
            viz.animate(ax.title)
            self.figures[surface.name] = (fig, ax, [])
        fig, ax, artists = self.figures[surface.name]
        for artist in artists:
            artist.remove()
        artists.clear()
        points = result.path.points
        artists += viz.plot_path(ax, points, color=viz.PALETTE["vermillion"])
        if result.path.diverged_at is not None:
            artists.append(viz.annotate_diverged(ax, result.path.diverged_at))
        viz.animate(*artists)
        steps = "" if result.path.diverged_at is not None else f", {len(points) - 1} steps"
        ax.set_title(f"{result.name}{steps}")
        return fig


def optimizer_explorer(*, steps: int = 50) -> Explorer:
    """The explorer: optimizer, learning rate, momentum α, surface and number of steps.

    Args:
        steps: the default number of steps.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "optimizer": Choice("optimizer", ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"), "Momentum"),
        "lr": LogSlider("learning rate", 1e-3, 5.0, default=0.1, steps_per_decade=10,
                        static=(0.01, 0.1, 0.5, 0.8, 1.0, 2.0)),
        "momentum": Slider("momentum α", 0.0, 0.99, 0.01, default=0.9, static=(0.0, 0.5, 0.9),
                           when={"optimizer": ("Momentum",)}),
        "surface": Choice("surface", tuple(SURFACES), "elongated bowl"),
        "steps": Slider("steps", 10, 200, 10, default=steps, static=(steps,)),
    }
    return Explorer(
        controls, run, _Drawing(), readout=readout, title="An optimizer on a surface",
        alt="Contour lines of the surface with the path of the optimizer, from a hollow start "
            "circle to a filled end point.",
        dpi=100, static_dpi=75)
