"""The digits GAN playback: samples of a GAN trained on the 8x8 digits, scrubbed through training.

`train_digits_gan` trains a small fully connected GAN on the digits once and
keeps, at chosen epochs, the images its generator makes from 16 fixed latent
vectors and from points on the line between two of them. The explorer plays
this record back: an epoch slider, and an interpolation slider t that moves
along z(t) = (1 - t) z_a + t z_b. Nothing trains while you scrub, so it also
works on the website with every setting precomputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.patches
import numpy as np

from dlbook import viz
from dlbook.gan import GAN
from dlbook.init import xavier
from dlbook.layers import LeakyReLU, Linear, ReLU, Tanh
from dlbook.model import Sequential
from dlbook.optim import Adam
from dlbook.widgets import Choice, Explorer, Slider

__all__ = ["DigitsGANRun", "make_digits_gan", "train_digits_gan", "digits_gan_explorer", "LATENT", "TS"]

LATENT = 16  # z's size
HIDDEN = 128
N_SAMPLES = 16  # the fixed z whose images are followed through training (a 4 x 4 grid)
TS = np.round(np.linspace(0, 1, 11), 2)  # the interpolation's stops


def make_digits_gan(*, lr: float = 1e-3, beta1: float = 0.5, seed: int = 0, **gan_options) -> GAN:
    """G: z (16) -> 128 ReLU -> 64 tanh; D: 64 -> 128 LeakyReLU(0.2) -> 1 logit; Adam for both, float32.

    The images are scaled to [-1, 1] to match G's tanh output (see `train_digits_gan`).
    """
    rng = np.random.default_rng(seed)
    f32 = np.float32
    G = Sequential(Linear(LATENT, HIDDEN, rng=rng, dtype=f32), ReLU(),
                   Linear(HIDDEN, 64, rng=rng, dtype=f32, weight_init=xavier), Tanh())
    D = Sequential(Linear(64, HIDDEN, rng=rng, dtype=f32), LeakyReLU(0.2),
                   Linear(HIDDEN, 1, rng=rng, dtype=f32, weight_init=xavier))
    return GAN(G, D, g_optimizer=Adam(lr=lr, betas=(beta1, 0.999)), d_optimizer=Adam(lr=lr, betas=(beta1, 0.999)),
               latent_dim=LATENT, **gan_options)


@dataclass
class DigitsGANRun:
    """A trained digits GAN and what its generator made along the way (images in [0, 1], as the data).

    samples[e]: (N_SAMPLES, 8, 8) from the fixed z at epoch e; path[e]: (len(TS), 8, 8) along z(t).
    """

    gan: GAN
    z: np.ndarray  # (N_SAMPLES, LATENT)
    z_a: np.ndarray  # (LATENT,) the ends of the interpolation
    z_b: np.ndarray
    samples: dict[int, np.ndarray] = field(default_factory=dict)
    path: dict[int, np.ndarray] = field(default_factory=dict)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> list[int]:
        return sorted(self.samples)

    def images(self, z: np.ndarray) -> np.ndarray:
        """The final generator's images of z: (N, LATENT) -> (N, 8, 8), in [0, 1]."""
        return (self.gan.generate(z.astype(np.float32)).reshape(-1, 8, 8) + 1) / 2


def train_digits_gan(x_train: np.ndarray, *, epochs: int = 100, snapshots=(0, 1, 5, 10, 25, 50, 100),
                     batch_size: int = 64, seed: int = 0) -> DigitsGANRun:
    """Train `make_digits_gan` on x_train: (N, 64) in [0, 1], one D step and one G step per batch.

    Args:
        x_train: the training images, flattened, in [0, 1]; scaled to [-1, 1] here.
        epochs: passes over x_train (a last partial batch is dropped).
        snapshots: the epochs (0 = before training) at which the generator's images are kept.
        seed: seeds the weights, the batches and z.
    """
    if x_train.ndim != 2 or x_train.shape[1] != 64:
        raise ValueError(f"train_digits_gan expected x_train of shape (N, 64), got {x_train.shape}")
    x = (2 * x_train - 1).astype(np.float32)  # [0, 1] -> [-1, 1], as G's tanh
    gan = make_digits_gan(seed=seed)
    rng = np.random.default_rng(seed + 1)
    z = gan.sample_latent(N_SAMPLES, rng)
    z_a, z_b = z[0], z[1]
    path_z = np.stack([(1 - t) * z_a + t * z_b for t in TS])  # (len(TS), LATENT)
    run = DigitsGANRun(gan, z, z_a, z_b)

    def keep(epoch: int) -> None:
        if epoch in snapshots:
            run.samples[epoch] = run.images(z)
            run.path[epoch] = run.images(path_z)

    keep(0)
    N = len(x)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(N)
        d_losses, g_losses = [], []
        for start in range(0, N - batch_size + 1, batch_size):
            d_losses.append(gan.d_step(x[order[start:start + batch_size]], rng))
            g_losses.append(gan.g_step(batch_size, rng))
        run.d_loss.append(float(np.mean(d_losses)))
        run.g_loss.append(float(np.mean(g_losses)))
        keep(epoch)
    return run


def mosaic(images: np.ndarray, rows: int, cols: int, gap: int = 1) -> np.ndarray:
    """Tile images (rows * cols, h, w) into one array, with `gap` pixels of background between them."""
    _, h, w = images.shape
    out = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap))
    for k, image in enumerate(images[: rows * cols]):
        r, c = divmod(k, cols)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = image
    return out


class _Drawing:
    """One reusable figure of three images: the 4 x 4 samples, G(z(t)) large, and the strip along z(t)."""

    def __init__(self) -> None:
        self.fig = None

    def _build(self) -> None:
        fig, unused = viz.new_figure(7.0, 3.0)
        unused.remove()  # the three axes below are placed by hand
        grid_ax = fig.add_axes((0.01, 0.04, 0.42, 0.84))
        big_ax = fig.add_axes((0.56, 0.33, 0.32, 0.55))
        strip_ax = fig.add_axes((0.47, 0.03, 0.52, 0.16))
        kw = {"cmap": "gray_r", "vmin": 0, "vmax": 1, "interpolation": "nearest"}
        self.grid = grid_ax.imshow(np.zeros((35, 35)), **kw)
        self.big = big_ax.imshow(np.zeros((8, 8)), **kw)
        self.strip = strip_ax.imshow(np.zeros((8, 8 * len(TS) + len(TS) - 1)), **kw)
        self.frame = strip_ax.add_patch(matplotlib.patches.Rectangle(
            (-0.5, -0.5), 8, 8, fill=False, edgecolor=viz.PALETTE["vermillion"], linewidth=2))
        for ax in (grid_ax, big_ax, strip_ax):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        strip_ax.set_title("along z(t) = (1 − t) z_a + t z_b, t = 0 … 1", fontsize=8)
        fig.set_layout_engine("none")
        grid_ax.set_title(" ", fontsize=9)
        big_ax.set_title(" ", fontsize=9)
        viz.animate(self.grid, self.big, self.strip, self.frame, grid_ax.title, big_ax.title)
        self.fig, self.grid_ax, self.big_ax = fig, grid_ax, big_ax

    def __call__(self, result: tuple[DigitsGANRun, int, float]):
        if self.fig is None:
            self._build()
        run, epoch, t = result
        i = int(np.argmin(np.abs(TS - t)))
        self.grid.set_data(mosaic(run.samples[epoch], 4, 4))
        self.big.set_data(run.path[epoch][i])
        self.strip.set_data(mosaic(run.path[epoch], 1, len(TS)))
        self.frame.set_x(i * 9 - 0.5)
        self.grid_ax.set_title(f"16 fixed z after {epoch} epochs", fontsize=9)
        self.big_ax.set_title(f"G(z(t)), t = {TS[i]:g}", fontsize=9)
        return self.fig


def digits_gan_explorer(run: DigitsGANRun) -> Explorer:
    """The playback explorer over a `train_digits_gan` record: epoch and interpolation t.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    epochs = tuple(str(e) for e in run.epochs)
    controls = {
        "epoch": Choice("epoch", epochs, epochs[-1]),
        "t": Slider("interpolation t", 0.0, 1.0, 0.1, default=0.0, static=tuple(TS[::2])),  # 0, 0.2, ..., 1
    }

    def result(epoch: str, t: float) -> tuple[DigitsGANRun, int, float]:
        return run, int(epoch), t

    def readout(result: tuple[DigitsGANRun, int, float]) -> str:
        _, epoch, t = result
        return (f"Epoch {epoch}: the generator's images of 16 fixed latent vectors, and of the point "
                f"t = {t:g} on the line from z_a to z_b.")

    return Explorer(
        controls, result, _Drawing(), readout=readout, title="A digits GAN, played back",
        alt="Left: a 4 by 4 grid of 8 by 8 images the generator makes from 16 fixed latent vectors at the chosen "
            "epoch. Right: one large image made from the point t on the line between two latent vectors, and "
            "below it the 11 images along that line, the chosen one framed.",
        dpi=90, static_dpi=72)
