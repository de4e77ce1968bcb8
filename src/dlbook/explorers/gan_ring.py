"""The GAN ring explorer: a generator learns a ring of 8 Gaussians against a discriminator, while you watch.

Controls: the learning rates of G and D (hot: changed while it trains, they
apply from the next step), Adam's β₁ for both, and how many D steps are taken
per G step. The figure shows the plane shaded by D's belief that a point is
real, the data (small black dots) and the generated points (vermillion), next
to the modes covered and the share of good samples (`dlbook.gan.mode_coverage`)
over training. Mode collapse — the generated points gathered on a few of the
modes — shows at unbalanced settings.

One "epoch" here is `STEPS_PER_EPOCH` generator steps (the data is endless).
Finished epochs of runs without hot changes are remembered (`_RUNS`), so the
chapter's figures and the website's precomputed frames share one training.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import matplotlib.colors
import numpy as np

from dlbook import viz
from dlbook.explorers.classifier_training import mark_changes, mark_diverged
from dlbook.functional import sigmoid
from dlbook.gan import GAN, mode_coverage, ring_centers, ring_of_gaussians
from dlbook.hot import Change, Scenario, diverged_after
from dlbook.init import xavier
from dlbook.layers import LeakyReLU, Linear, ReLU
from dlbook.model import Sequential
from dlbook.optim import Adam
from dlbook.widgets import LogSlider, Slider, TrainingExplorer

__all__ = ["gan_ring_explorer", "RingState", "init", "step", "make_ring_gan", "STD", "STEPS_PER_EPOCH"]

STD = 0.05  # each mode's standard deviation; the ring's radius is 2
HIDDEN = 32  # units in each of the two hidden layers of G and of D
LATENT = 2  # z's size
BATCH = 64
STEPS_PER_EPOCH = 100
N_SHOWN = 500  # generated points drawn and measured, from one fixed z
LIMIT = 3.0  # the plotted window is [-LIMIT, LIMIT]^2
GRID = 40  # D's surface: GRID x GRID points


def make_ring_gan(lr_g: float, lr_d: float, beta1: float, *, seed: int = 0, **gan_options) -> GAN:
    """G: z (2) -> 32 ReLU -> 32 ReLU -> 2; D: 2 -> 32 LeakyReLU -> 32 LeakyReLU -> 1 logit; Adam, float32.

    Args:
        lr_g, lr_d: Adam's learning rates of G and D. beta1: Adam's β₁ for both (β₂ = 0.999).
        seed: seeds the initial weights. gan_options: passed to `GAN` (label_smoothing, noise, loss).
    """
    rng = np.random.default_rng(seed)
    f32 = np.float32
    G = Sequential(Linear(LATENT, HIDDEN, rng=rng, dtype=f32), ReLU(), Linear(HIDDEN, HIDDEN, rng=rng, dtype=f32),
                   ReLU(), Linear(HIDDEN, 2, rng=rng, dtype=f32, weight_init=xavier))
    D = Sequential(Linear(2, HIDDEN, rng=rng, dtype=f32), LeakyReLU(0.2), Linear(HIDDEN, HIDDEN, rng=rng, dtype=f32),
                   LeakyReLU(0.2), Linear(HIDDEN, 1, rng=rng, dtype=f32, weight_init=xavier))
    return GAN(G, D, g_optimizer=Adam(lr=lr_g, betas=(beta1, 0.999)),
               d_optimizer=Adam(lr=lr_d, betas=(beta1, 0.999)), latent_dim=LATENT, **gan_options)


@dataclass
class RingState:
    """One training run and its record."""

    settings: dict
    gan: GAN
    rng: np.random.Generator
    z_shown: np.ndarray  # (N_SHOWN, LATENT): the same z every epoch, so the points' moves can be followed
    epoch: int = 0
    diverged_at: int | None = None
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)
    good: list[float] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def _record(state: RingState) -> None:
    modes, good = mode_coverage(state.gan.generate(state.z_shown), ring_centers(), STD)
    state.modes.append(modes)
    state.good.append(good)


def init(lr_g: float, lr_d: float, beta1: float, d_steps: int, seed: int = 0) -> RingState:
    """A fresh GAN at these settings (see `make_ring_gan`); `d_steps` D steps per G step."""
    settings = {"lr_g": lr_g, "lr_d": lr_d, "beta1": beta1, "d_steps": int(d_steps)}
    state = RingState(settings, make_ring_gan(lr_g, lr_d, beta1, seed=seed), np.random.default_rng(seed + 100),
                      np.random.default_rng(seed + 7).standard_normal((N_SHOWN, LATENT)).astype(np.float32))
    _record(state)
    return state


# Finished epochs by (settings, epoch), for runs without hot changes: deterministic, so shared.
_RUNS: OrderedDict[tuple, RingState] = OrderedDict()
_RUNS_KEPT = 400


def _train_epoch(state: RingState) -> None:
    gan, rng = state.gan, state.rng
    d_losses, g_losses = [], []
    for _ in range(STEPS_PER_EPOCH):
        for _ in range(state.settings["d_steps"]):
            d_losses.append(gan.d_step(ring_of_gaussians(BATCH, std=STD, rng=rng, dtype=np.float32), rng))
        g_losses.append(gan.g_step(BATCH, rng))
    state.epoch += 1
    state.d_loss.append(float(np.mean(d_losses)))
    state.g_loss.append(float(np.mean(g_losses)))
    if not (math.isfinite(state.d_loss[-1]) and math.isfinite(state.g_loss[-1])):
        state.diverged_at = state.epoch
    else:
        _record(state)


def step(state: RingState, n: int) -> RingState:
    """Train `n` more epochs of `STEPS_PER_EPOCH` G steps (each after ``d_steps`` D steps)."""
    for _ in range(n):
        key = (tuple(sorted(state.settings.items())), state.epoch + 1)
        if not state.changes and key in _RUNS:
            state = copy.deepcopy(_RUNS[key])  # a copy: the caller may train it further
        else:
            _train_epoch(state)
            if not state.changes:
                _RUNS[key] = copy.deepcopy(state)
                while len(_RUNS) > _RUNS_KEPT:
                    _RUNS.popitem(last=False)
        if state.diverged_at is not None:
            break
    return state


def adjust(state: RingState, **changed) -> RingState:
    """Hot changes: a new learning rate of G (`lr_g`) or of D (`lr_d`), from the next step; Adam keeps its state."""
    for name, value in changed.items():
        optimizer = state.gan.g_optimizer if name == "lr_g" else state.gan.d_optimizer
        optimizer.lr = value
    return state


def readout(state: RingState) -> str:
    """The key numbers after the latest epoch."""
    if state.diverged_at is not None:
        return f"Diverged at epoch {state.diverged_at}{diverged_after(state)}: a loss became infinite or not a number."
    return (f"Epoch {state.epoch} ({state.epoch * STEPS_PER_EPOCH} generator steps): "
            f"{state.modes[-1]} of 8 modes covered, "
            f"{state.good[-1]:.0%} of the generated points near a mode.")


def _merged(changes: list[Change]) -> list[Change]:
    """The changes as the curve marks them: at generator steps, one label per epoch, "lr G → 0.001, lr D → 0.003"."""
    by_epoch: dict[int, list[Change]] = {}
    for change in changes:
        by_epoch.setdefault(change.epoch, []).append(change)
    short = {"lr_g": "lr G", "lr_d": "lr D"}
    return [replace(group[-1], epoch=epoch * STEPS_PER_EPOCH,
                    label=", ".join(f"{short.get(c.name, c.short)} → {c.new:g}" for c in group))
            for epoch, group in by_epoch.items()]


class _Drawing:
    """One reusable figure: D's surface and the generated points are updated in place."""

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs = max_epochs
        self.fig = None

    def _build(self) -> None:
        fig, (ax_plane, ax_curve) = viz.new_figure(7.0, 3.1, ncols=2)
        fig.get_layout_engine().set(w_pad=0.08)
        # White where D says "fake", sky blue where it says "real": black and vermillion points stay visible.
        shade = matplotlib.colors.LinearSegmentedColormap.from_list("d_of_x", ["white", viz.PALETTE["sky"]])
        self.surface = ax_plane.imshow(np.full((GRID, GRID), 0.5), origin="lower", cmap=shade, vmin=0, vmax=1,
                                       extent=(-LIMIT, LIMIT, -LIMIT, LIMIT), interpolation="bilinear")
        fig.colorbar(self.surface, ax=ax_plane, label="D(x)", shrink=0.8, ticks=[0, 0.5, 1])
        data = ring_of_gaussians(400, std=STD, rng=np.random.default_rng(1))
        data_points = ax_plane.scatter(*data.T, s=2, color="black", label="data")
        self.points = ax_plane.scatter(*np.zeros((2, N_SHOWN)), s=3, color=viz.PALETTE["vermillion"],
                                       label="generated")
        ax_plane.set_xlim(-LIMIT, LIMIT)
        ax_plane.set_ylim(-LIMIT, LIMIT)
        ax_plane.set_aspect("equal")
        ax_plane.set_xticks([-2, 0, 2])
        ax_plane.set_yticks([-2, 0, 2])
        ax_plane.set_title(" ")
        legend = ax_plane.legend(loc="upper left", markerscale=3, fontsize=7, handletextpad=0.2, borderpad=0.3)
        self.lines = viz.plot_curves(ax_curve, {"modes covered / 8": ([], []), "good samples": ([], [])},
                                     ylim=(0, 1.05), xmax=self.max_epochs * STEPS_PER_EPOCH,
                                     xlabel="generator steps", ylabel="share")
        ax_curve.legend(loc="upper left")
        viz.freeze_layout(fig)
        # The surface is redrawn every frame, so whatever lies on it is too (in zorder).
        viz.animate(self.surface, data_points, self.points, legend, *self.lines.values(), ax_plane.title,
                    ax_curve.title)
        side = np.linspace(-LIMIT, LIMIT, GRID)
        X, Y = np.meshgrid(side, side)  # (GRID, GRID) each; row i is y = side[i]
        self.grid = np.column_stack([X.ravel(), Y.ravel()]).astype(np.float32)  # (GRID * GRID, 2)
        self.fig, self.ax_plane, self.ax_curve = fig, ax_plane, ax_curve
        self.note, self.marked = None, ()

    def __call__(self, state: RingState):
        if self.fig is None:
            self._build()
        if state.diverged_at is None:
            probs = sigmoid(state.gan.discriminator.predict(self.grid))  # (GRID * GRID, 1)
            self.surface.set_data(probs.reshape(GRID, GRID))
            self.points.set_offsets(state.gan.generate(state.z_shown))
        steps = np.arange(len(state.modes)) * STEPS_PER_EPOCH
        self.lines["modes covered / 8"].set_data(steps, np.array(state.modes) / 8)
        self.lines["good samples"].set_data(steps, state.good)
        self.note = mark_diverged(self.ax_curve, self.note, state.diverged_at, diverged_after(state))
        self.marked = mark_changes((self.ax_curve,), self.marked, _merged(state.changes))
        s = state.settings
        self.ax_plane.set_title(f"epoch {state.epoch} ({state.epoch * STEPS_PER_EPOCH} G steps)")
        self.ax_curve.set_title(f"lr G {s['lr_g']:g}, lr D {s['lr_d']:g}, β₁ {s['beta1']:g}, "
                                f"{s['d_steps']} D step", fontsize=8)
        return self.fig


def gan_ring_explorer(*, max_epochs: int = 20) -> TrainingExplorer:
    """The explorer: learning rates of G and D (hot), Adam's β₁, D steps per G step.

    Args:
        max_epochs: Play stops here; one epoch is `STEPS_PER_EPOCH` generator steps.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "lr_g": LogSlider("G learning rate", 1e-4, 1e-2, default=1e-3, steps_per_decade=2, static=(1e-3,),
                          hot=True),
        "lr_d": LogSlider("D learning rate", 1e-4, 3e-2, default=3e-3, steps_per_decade=2,
                          static=(3e-4, 3e-3), hot=True),
        "beta1": Slider("Adam β₁", 0.0, 0.9, 0.1, default=0.5, static=(0.5, 0.9)),
        "d_steps": Slider("D steps per G step", 1, 5, 1, default=1, static=(1,)),  # 5 costs 4 times the time
    }
    frames = [f for f in (0, 2, 5, 10, 20) if f <= max_epochs]
    # The website's one view of mode collapse (five D steps per G step cost too much to precompute):
    # a slow generator against a fast discriminator, then both learning rates back to the defaults.
    scenarios = {}
    if max_epochs >= 2:
        at = min(10, max_epochs - 1)
        scenarios[f"G lr 0.0003 and D lr 0.01, back to the defaults at epoch {at}"] = Scenario(
            {"lr_g": 3e-4, "lr_d": 1e-2}, {at: {"lr_g": 1e-3, "lr_d": 3e-3}})
    return TrainingExplorer(
        controls, init, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        epochs_per_frame=1, frames=frames, adjust=adjust, scenarios=scenarios,
        title="A GAN learns a ring of 8 Gaussians",
        alt="Left: the plane shaded by the discriminator's probability that a point is real, from dark (fake) "
            "to yellow (real), with the ring's 8 clusters of data as black dots and the generator's points in "
            "vermillion. Right: the share of the 8 modes covered and the share of generated points near a mode, "
            "against the number of generator steps.",
        dpi=90, static_dpi=72)
