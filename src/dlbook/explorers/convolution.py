"""The convolution explorer: a 3x3 kernel slides over a handwritten digit.

The reader picks the kernel (a vertical or horizontal edge detector, a blur,
a sharpening kernel, or one learned by a small CNN), the stride and the
padding. The figure shows, at one common pixel scale, the 8x8 digit with its
padding (tinted), the kernel with its nine numbers, and the output feature
map, each titled with its size. The first two windows are outlined on the
input, and the two outputs they produce on the feature map: the step between
them is the stride.

The output is computed by `dlbook.conv.Conv2D`, so what the reader sees is
exactly what the chapter's network computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

from dlbook import viz
from dlbook.conv import Conv2D, MaxPool2D
from dlbook.data import load_digits
from dlbook.layers import Flatten, Linear, ReLU
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.model import Sequential
from dlbook.optim import Momentum
from dlbook.train import train
from dlbook.widgets import Choice, Explorer, Slider

__all__ = ["convolution_explorer", "ConvolutionResult", "run", "readout", "digit", "learned_kernel",
           "KERNELS", "DIGIT_LABEL", "DIGIT_INDEX"]

# Hand-made kernels. Convolution here is cross-correlation (no flip), as in every deep-learning library:
# "vertical edge" is positive where the pixel values are larger on the left of a pixel than on its right
# (ink, 1, on the left of paper, 0: the right edge of a stroke) and negative at the left edge.
KERNELS: dict[str, np.ndarray] = {
    "vertical edge": np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),  # Sobel
    "horizontal edge": np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    "blur": np.full((3, 3), 1.0 / 9.0),  # the mean of the window
    "sharpen": np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
}
KERNEL_NAMES = (*KERNELS, "learned")
DIGIT_LABEL, DIGIT_INDEX = 5, 4  # the explorer's digit: a clear 5, with vertical and horizontal strokes
MAX_PADDING, MAX_STRIDE = 2, 3
SPAN = 8 + 2 * MAX_PADDING  # cells every image panel shows, so that all share one pixel scale


def digit(label: int = DIGIT_LABEL, index: int = DIGIT_INDEX) -> np.ndarray:
    """Test image number `index` of the digit `label` in `load_digits()`: (8, 8), float64 in [0, 1]."""
    d = load_digits(dtype=np.float64, flatten=False)
    return d.x_test[np.flatnonzero(d.y_test == label)[index], 0]


@lru_cache(maxsize=1)
def learned_kernel() -> np.ndarray:
    """A 3x3 filter learned on the digits: (3, 3) float64.

    A small CNN (8 filters of 3x3, padding 1, ReLU, 2x2 max-pooling, a linear
    layer) trains for 8 epochs; of its filters, the one with the largest weights
    is returned. It takes a fraction of a second and is computed once.
    """
    rng = np.random.default_rng(0)
    d = load_digits(flatten=False)  # float32, (N, 1, 8, 8)
    model = Sequential(Conv2D(1, 8, 3, padding=1, rng=rng, dtype=np.float32), ReLU(), MaxPool2D(2),
                       Flatten(), Linear(8 * 4 * 4, 10, rng=rng, dtype=np.float32))
    train(model, Momentum(lr=0.05, momentum=0.9), (d.x_train, d.y_train), SoftmaxCrossEntropy(),
          epochs=8, batch_size=32, rng=rng)
    W = model.layers[0].params["W"][:, 0].astype(np.float64)  # (8, 3, 3)
    return W[np.argmax(np.abs(W).sum(axis=(1, 2)))]


@dataclass(frozen=True)
class ConvolutionResult:
    """One setting: the kernel's name and values, stride, padding, the padded input and the output."""

    name: str
    kernel: np.ndarray  # (3, 3)
    stride: int
    padding: int
    image: np.ndarray  # (8, 8)
    padded: np.ndarray  # (8 + 2p, 8 + 2p)
    output: np.ndarray  # (OH, OW)


def run(kernel: str, stride: int, padding: int) -> ConvolutionResult:
    """Convolve the explorer's digit with the named kernel, using `dlbook.conv.Conv2D`."""
    if kernel not in KERNEL_NAMES:
        raise ValueError(f"Invalid kernel: {kernel!r} (one of {list(KERNEL_NAMES)})")
    stride, padding = int(stride), int(padding)
    weights = learned_kernel() if kernel == "learned" else KERNELS[kernel]
    image = digit()
    conv = Conv2D(1, 1, 3, stride=stride, padding=padding, rng=np.random.default_rng(0))
    conv.params["W"][...] = weights  # (1, 1, 3, 3); the bias stays 0
    output = conv.forward(image[None, None])[0, 0]  # (1, 1, 8, 8) -> (OH, OW)
    padded = np.pad(image, padding)  # (8 + 2p, 8 + 2p)
    return ConvolutionResult(kernel, weights.copy(), stride, padding, image, padded, output)


def readout(result: ConvolutionResult) -> str:
    """The three sizes and the formula that connects them."""
    p, s = result.padding, result.stride
    size, out = result.image.shape[0], result.output.shape[0]
    padded = f", padded to {size + 2 * p}×{size + 2 * p}" if p else ""
    return (f"{result.name.capitalize()} kernel, stride {s}, padding {p}: input {size}×{size}{padded}; "
            f"output {out}×{out}, because ({size} + 2·{p} − 3) // {s} + 1 = {out}.")


_PAD_RGB = np.array(to_rgb(viz.PALETTE["sky"])) * 0.35 + 0.65  # a pale blue for the padding cells
_FIRST, _SECOND = viz.PALETTE["vermillion"], viz.PALETTE["blue"]


def _grid(n: int, x0: float, y0: float) -> list:
    """Segments of the lines between the cells of an n x n image whose top-left corner is (x0, y0)."""
    lines = [[(x0 + i, y0), (x0 + i, y0 + n)] for i in range(n + 1)]
    return lines + [[(x0, y0 + i), (x0 + n, y0 + i)] for i in range(n + 1)]


class _Drawing:
    """One reusable figure of three panels; images, outlines, numbers and titles change in place."""

    def __init__(self) -> None:
        self.fig = None

    def _build(self) -> None:
        width, height = 6.4, 2.55  # inches
        cell, kcell = 0.175, 0.4  # inches per image cell and per kernel cell (larger: its numbers)
        with viz.style():
            fig, _ = viz.new_figure(width, height)
            fig.clear()
            fig.set_layout_engine("none")
            side, kside = SPAN * cell, 3 * kcell
            gap = (width - 2 * side - kside) / 4
            bottom = 0.05
            # Data coordinates are cells: (column, row), rows growing downwards as in an image.
            ax_in = fig.add_axes((gap / width, bottom / height, side / width, side / height))
            ax_k = fig.add_axes(((2 * gap + side) / width, (bottom + (side - kside) / 2) / height,
                                 kside / width, kside / height))
            ax_out = fig.add_axes(((3 * gap + side + kside) / width, bottom / height, side / width,
                                   side / height))
            for ax, span in ((ax_in, SPAN), (ax_k, 3), (ax_out, SPAN)):
                ax.set_xlim(0, span)
                ax.set_ylim(span, 0)
                ax.axis("off")
            self.im_in = ax_in.imshow(np.zeros((1, 1, 3)), interpolation="nearest", aspect="auto")
            self.im_k = ax_k.imshow(np.zeros((3, 3)), cmap="PuOr_r", interpolation="nearest",
                                    extent=(0, 3, 3, 0), aspect="auto")
            self.im_out = ax_out.imshow(np.zeros((1, 1)), cmap="PuOr_r", interpolation="nearest",
                                        aspect="auto")
            self.grid_in = LineCollection([], colors="0.75", linewidths=0.5)
            self.grid_out = LineCollection([], colors="0.75", linewidths=0.5)
            ax_in.add_collection(self.grid_in)
            ax_out.add_collection(self.grid_out)
            ax_k.add_collection(LineCollection(_grid(3, 0, 0), colors="0.55", linewidths=0.6))
            self.numbers = [ax_k.text(0.5 + j, 0.5 + i, "", ha="center", va="center", fontsize=8)
                            for i in range(3) for j in range(3)]
            self.border = Rectangle((0, 0), 8, 8, fill=False, edgecolor="0.3", linewidth=1.0)
            ax_in.add_patch(self.border)
            self.windows = [Rectangle((0, 0), 3, 3, fill=False, edgecolor=color, linewidth=2.0,
                                      linestyle=style) for color, style in ((_FIRST, "-"), (_SECOND, "--"))]
            self.targets = [Rectangle((0, 0), 1, 1, fill=False, edgecolor=color, linewidth=2.0,
                                      linestyle=style) for color, style in ((_FIRST, "-"), (_SECOND, "--"))]
            for patch in self.windows:
                ax_in.add_patch(patch)
            for patch in self.targets:
                ax_out.add_patch(patch)
            for x in (gap + side + gap / 2, 2 * gap + side + kside + gap / 2):  # input ∗ kernel = output
                fig.text(x / width, (bottom + side / 2) / height, "∗" if x < width / 2 else "=",
                         ha="center", va="center", fontsize=14)
            # Titles sit just above each image, which moves as its size changes.
            self.titles = [ax.text(SPAN / 2, 0, "", ha="center", va="bottom", fontsize=9, clip_on=False)
                           for ax in (ax_in, ax_out)]
            self.titles.insert(1, ax_k.text(1.5, -0.25, "", ha="center", va="bottom", fontsize=9,
                                            clip_on=False))
            viz.animate(self.im_in, self.im_k, self.im_out, self.grid_in, self.grid_out, self.border,
                        *self.numbers, *self.windows, *self.targets, *self.titles)
        self.fig = fig

    def __call__(self, result: ConvolutionResult):
        if self.fig is None:
            self._build()
        p, s = result.padding, result.stride
        n_in, n_out = result.padded.shape[0], result.output.shape[0]
        # Input: gray pixels (white 0, black 1), padding cells tinted; centered in its panel.
        x0 = (SPAN - n_in) / 2
        rgb = np.repeat(1 - result.padded[..., None], 3, axis=2)  # (n_in, n_in, 3)
        if p:
            frame = np.ones((n_in, n_in), dtype=bool)
            frame[p:-p, p:-p] = False
            rgb[frame] = _PAD_RGB
        self.im_in.set_data(rgb)
        self.im_in.set_extent((x0, x0 + n_in, x0 + n_in, x0))
        self.grid_in.set_segments(_grid(n_in, x0, x0))
        self.border.set_xy((x0 + p, x0 + p))
        # Kernel and output on a diverging scale centered on 0 (orange positive, purple negative).
        k = result.kernel
        limit = float(np.abs(k).max())
        self.im_k.set_data(k)
        self.im_k.set_clim(-limit, limit)
        for number, value in zip(self.numbers, k.ravel()):
            number.set_text(f"{value:.2g}".replace("-", "−"))
            number.set_color("white" if abs(value) > 0.6 * limit else "black")
        y0 = (SPAN - n_out) / 2
        limit = float(np.abs(result.output).max()) or 1.0
        self.im_out.set_data(result.output)
        self.im_out.set_clim(-limit, limit)
        self.im_out.set_extent((y0, y0 + n_out, y0 + n_out, y0))
        self.grid_out.set_segments(_grid(n_out, y0, y0))
        # The first two windows (along the top row) and the outputs they make.
        for i, (window, target) in enumerate(zip(self.windows, self.targets)):
            shown = i < n_out
            window.set_visible(shown)
            target.set_visible(shown)
            window.set_xy((x0 + i * s, x0))
            target.set_xy((y0 + i, y0))
        padded = f" + padding {p}" if p else ""
        self.titles[0].set_text(f"input 8×8{padded}")
        self.titles[0].set_y(x0 - 0.3)
        self.titles[2].set_y(y0 - 0.3)
        self.titles[1].set_text(f"kernel 3×3, stride {s}")
        self.titles[2].set_text(f"output {n_out}×{n_out}")
        return self.fig


def convolution_explorer() -> Explorer:
    """The explorer: kernel, stride and padding applied to a handwritten 5.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "kernel": Choice("kernel", KERNEL_NAMES, "vertical edge"),
        "stride": Slider("stride", 1, MAX_STRIDE, 1, default=1, static=(1, 2, 3)),
        "padding": Slider("padding", 0, MAX_PADDING, 1, default=0, static=(0, 1, 2)),
    }
    return Explorer(
        controls, run, _Drawing(), readout=readout,
        title="A 3×3 kernel sliding over a digit",
        alt="Three panels. Left: an 8 by 8 handwritten 5 in gray, surrounded by pale blue padding cells, "
            "with the first window outlined in solid vermillion and the next one, one stride to the right, "
            "dashed blue. Middle: the 3 by 3 kernel with its numbers. Right: the output feature map on a "
            "purple (negative) to orange (positive) scale, with the two cells those windows produce "
            "outlined the same way.",
        dpi=100, static_dpi=90)
