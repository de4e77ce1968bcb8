"""A residual block with batch normalization, and global average pooling: the parts of a small ResNet.

A residual block adds its input to what its layers compute (He et al., 2016)::

    h   = ReLU(BN1(conv1(x)))          conv: 3x3, padding 1, so H and W are kept
    out = ReLU(BN2(conv2(h)) + x)      the shortcut: x itself, added

In backward the shortcut is a second path for the gradient: dL/dx is the gradient that
comes back through conv1 *plus* dL/ds itself (s = BN2(conv2(h)) + x), which reaches x
unchanged however small the layers' own gradients become. Global average pooling then
turns each channel's map into one number, so the classifier needs no Flatten of a large map::

    y[n, c] = mean over (h, w) of x[n, c, h, w]
"""

from __future__ import annotations

import numbers

import numpy as np
import numpy.typing as npt

from .conv import Conv2D, _check_input
from .layers import BatchNorm, Layer, ReLU

__all__ = ["GlobalAvgPool2D", "ResidualBlock"]


class GlobalAvgPool2D(Layer):
    """Global average pooling: ``y[n, c] = mean_{h, w} x[n, c, h, w]``.

    Shapes: x (N, C, H, W) -> y (N, C). PyTorch writes it ``AdaptiveAvgPool2d(1)`` followed by a flatten.
    Backward spreads each dout[n, c] evenly over the H * W positions it averaged.
    """

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        x = _check_input(self, x)
        self.cache = x.shape
        return x.mean(axis=(2, 3))  # (N, C)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        N, C, H, W = self.cached()
        self.check_dout(dout, (N, C))
        dx = np.empty((N, C, H, W), dtype=dout.dtype)
        dx[...] = dout[:, :, None, None] / (H * W)  # (N, C, 1, 1) broadcast over every position
        return dx


class ResidualBlock(Layer):
    """``out = ReLU(BN2(conv2(ReLU(BN1(conv1(x))))) + x)`` with 3x3 convolutions, padding 1, stride 1.

    The shortcut is the identity, so input and output have the same shape (N, C, H, W).
    The convolutions keep their biases although BN's beta makes them redundant (BN removes any
    constant per channel): one layer class for the whole book matters more than C numbers.

    Parameters are exposed under the sub-layers' names (``"conv1.W"``, ``"bn1.gamma"``, …) and
    BN's running statistics as buffers (``"bn1.running_mean"``, …), so `Sequential` names them
    ``"<i>.conv1.W"`` and an optimizer updates them in place. ``self.params`` holds the arrays;
    each forward hands them to the sub-layers, so replacing an entry (``Sequential.astype``,
    a reader's experiment) takes effect at the next forward.

    Args:
        channels (int): C, channels in and out.
        rng (np.random.Generator): source of the convolutions' initial weights (He).
        momentum (float), eps (float): BatchNorm's, defaults 0.1 and 1e-5.
        dtype: dtype of parameters and buffers. Default float64.
    """

    def __init__(self, channels: int, *, rng: np.random.Generator, momentum: float = 0.1, eps: float = 1e-5,
                 dtype: npt.DTypeLike = np.float64) -> None:
        super().__init__()
        if isinstance(channels, bool) or not isinstance(channels, numbers.Integral) or channels < 1:
            raise ValueError(f"Invalid channels: {channels!r} (expected an integer >= 1)")
        self.channels = int(channels)
        self.conv1 = Conv2D(channels, channels, 3, padding=1, rng=rng, dtype=dtype)
        self.bn1 = BatchNorm(channels, momentum=momentum, eps=eps, dtype=dtype)
        self.relu1 = ReLU()
        self.conv2 = Conv2D(channels, channels, 3, padding=1, rng=rng, dtype=dtype)
        self.bn2 = BatchNorm(channels, momentum=momentum, eps=eps, dtype=dtype)
        self.relu2 = ReLU()
        self._parts = {"conv1": self.conv1, "bn1": self.bn1, "conv2": self.conv2, "bn2": self.bn2}
        self.params = {f"{p}.{k}": v for p, layer in self._parts.items() for k, v in layer.params.items()}
        self.grads = {name: np.zeros_like(v) for name, v in self.params.items()}
        self.buffers = {f"{p}.{k}": v for p, layer in self._parts.items() for k, v in layer.buffers.items()}

    def __repr__(self) -> str:
        return f"ResidualBlock({self.channels})"

    def _share(self) -> None:
        """Point each sub-layer at this block's current arrays (the ones an optimizer updates)."""
        for prefix, layer in self._parts.items():
            for store, mine in ((layer.params, self.params), (layer.buffers, self.buffers)):
                for name in store:
                    store[name] = mine[f"{prefix}.{name}"]

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        x = _check_input(self, x, self.channels)
        self._share()
        h = self.relu1.forward(self.bn1.forward(self.conv1.forward(x, train=train), train=train))
        s = self.bn2.forward(self.conv2.forward(h, train=train), train=train) + x  # (N, C, H, W)
        self.cache = x.shape
        return self.relu2.forward(s)

    def backward(self, dout: np.ndarray, *,
                 input_grad: bool = True) -> np.ndarray | None:
        self.check_dout(dout, self.cached())
        ds = self.relu2.backward(dout)  # dL/ds, s = BN2(conv2(h)) + x
        dh = self.conv2.backward(self.bn2.backward(ds))  # dL/dh
        da = self.bn1.backward(self.relu1.backward(dh))  # dL/d conv1(x)
        dx_layers = self.conv1.backward(da, input_grad=input_grad)
        self.grads = {f"{p}.{k}": g for p, layer in self._parts.items()
                      for k, g in layer.grads.items()}
        if not input_grad:
            return None
        return dx_layers + ds  # the layers' path plus the shortcut's
