"""Convolution and pooling on images ``x: (N, C, H, W)``, built on im2col.

``im2col`` unrolls every receptive field into one column, so a convolution
becomes a single matrix product; ``col2im`` is its adjoint and carries the
gradient back to the image, summing where windows overlap.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import numpy.typing as npt

from .init import he, initial_weights
from .layers import Layer
from .validation import as_float

__all__ = ["conv_output_size", "im2col", "col2im", "Conv2D", "MaxPool2D", "AvgPool2D"]


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length ``(size + 2*padding - kernel_size) // stride + 1``.

    The division floors, as in PyTorch: rows and columns a window cannot
    reach at the far edge are left out.

    Args:
        size (int): input height or width.
        kernel_size (int): window height or width.
        stride (int): step between windows. Default 1.
        padding (int): zeros added on each side. Default 0.
    Returns:
        int: output height or width, at least 1.
    """
    out = (size + 2 * padding - kernel_size) // stride + 1
    if out < 1:
        raise ValueError(f"Invalid output size {out}: size={size}, kernel_size={kernel_size}, "
                         f"stride={stride}, padding={padding}")
    return out


def im2col(
    x: np.ndarray, kh: int, kw: int, stride: int = 1, padding: int = 0, *, out: np.ndarray | None = None,
) -> np.ndarray:
    """Unroll windows: ``cols[(c, i, j), (n, oh, ow)] = x_pad[n, c, oh*stride + i, ow*stride + j]``.

    Layout (C*kh*kw, N*OH*OW): for one kernel offset (i, j) the rows of
    channel c form a single contiguous run of N*OH*OW numbers, so each of the
    kh*kw loop iterations is one copy over the whole batch, and the
    convolution is ``W.reshape(F, C*kh*kw) @ cols``. NumPy copies long runs
    of numbers much faster than short ones, so the copying takes two steps:
    first the OW columns that each kernel column j reads (``shifted[j]``); in
    those, with stride 1, the rows that kernel row i reads are one run of OH*OW
    numbers per image, where a window slice of x has runs of only OW (1.5x faster).

    Args:
        x (np.ndarray): images, shape (N, C, H, W).
        kh, kw (int): window height and width.
        stride (int): step between windows. Default 1.
        padding (int): zeros added on each side. Default 0.
        out (np.ndarray or None): a contiguous (C*kh*kw, N*OH*OW) array of x's dtype to write the
            columns into, as NumPy's ``out=``. Default None: a new array.
    Returns:
        np.ndarray: shape (C*kh*kw, N*OH*OW), dtype of ``x`` (``out`` if given).
    """
    N, C, H, W = x.shape
    OH = conv_output_size(H, kh, stride, padding)
    OW = conv_output_size(W, kw, stride, padding)
    shape = (C * kh * kw, N * OH * OW)
    if out is None:
        out = np.empty(shape, dtype=x.dtype)
    elif out.shape != shape or out.dtype != x.dtype or not out.flags.c_contiguous:
        raise ValueError(f"im2col: out must be a contiguous {x.dtype} array of shape {shape}, "
                         f"got {out.dtype} {out.shape}")
    if padding > 0:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    # shifted[j, c, n, h, ow] = x_pad[n, c, h, j + ow*stride]: (kw, C, N, H + 2*padding, OW)
    shifted = np.empty((kw, C, N, x.shape[2], OW), dtype=x.dtype)
    for j in range(kw):
        shifted[j] = x[:, :, :, j : j + stride * OW : stride].transpose(1, 0, 2, 3)
    cols = out.reshape(C, kh, kw, N, OH, OW)  # a view of out
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = shifted[j, :, :, i : i + stride * OH : stride]  # (C, N, OH, OW)
    return out


def col2im(
    cols: np.ndarray, x_shape: tuple[int, int, int, int], kh: int, kw: int,
    stride: int = 1, padding: int = 0,
) -> np.ndarray:
    """Fold columns back into images, summing overlaps: the adjoint of ``im2col``.

    ``<im2col(x), cols> == <x, col2im(cols)>`` for every x and cols, which is
    exactly what backpropagation through ``im2col`` needs.

    Args:
        cols (np.ndarray): shape (C*kh*kw, N*OH*OW), as made by ``im2col``.
        x_shape (tuple): the images' shape (N, C, H, W), before padding.
        kh, kw (int): window height and width.
        stride (int): step between windows. Default 1.
        padding (int): padding used by ``im2col``; it is cropped off. Default 0.
    Returns:
        np.ndarray: shape (N, C, H, W), dtype of ``cols``.
    """
    N, C, H, W = x_shape
    OH = conv_output_size(H, kh, stride, padding)
    OW = conv_output_size(W, kw, stride, padding)
    cols = cols.reshape(C, kh, kw, N, OH, OW)
    # Sum in the columns' own (C, N, ...) order (every += over matching memory), transpose once.
    x = np.zeros((C, N, H + 2 * padding, W + 2 * padding), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            x[:, :, i : i + stride * OH : stride, j : j + stride * OW : stride] += cols[:, i, j]
    x = x[:, :, padding : padding + H, padding : padding + W]  # crop the padding: (C, N, H, W)
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3))  # (N, C, H, W)


def _check(name: str, value: int, minimum: int) -> None:
    """Reject a hyperparameter below its minimum, naming it: ``Invalid stride: 0``."""
    if value < minimum:
        raise ValueError(f"Invalid {name}: {value}")


def _check_input(layer: Layer, x: np.ndarray, C: int | None = None) -> np.ndarray:
    """Require images (N, C, H, W) of real numbers; with ``C`` given, exactly C channels.

    Returns x as floats: integer images are computed in float64, as everywhere in the package.
    """
    x = as_float(x, who=repr(layer))
    if x.ndim != 4 or (C is not None and x.shape[1] != C):
        expected = f"(N, {C}, H, W)" if C is not None else "(N, C, H, W)"
        raise ValueError(f"{layer!r} expects x of shape {expected}, got {x.shape}")
    return x


def _pooled_shape(layer: _Pool2D, x_shape: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """(N, C, OH, OW): the shape a pooling layer's forward gives, which its backward expects of dout."""
    N, C, H, W = x_shape
    k, s, p = layer.kernel_size, layer.stride, layer.padding
    return N, C, conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)


class Conv2D(Layer):
    """2-D convolution (cross-correlation): ``y[n, f] = sum_c x[n, c] ⋆ W[f, c] + b[f]``.

    Args:
        in_channels (int): C, channels of the input.
        out_channels (int): F, number of filters.
        kernel_size (int or (int, int)): filter size kh x kw.
        stride (int): step between windows. Default 1.
        padding (int): zeros added on each side of H and W. Default 0.
        rng (np.random.Generator): source of the initial weights.
        weight_init (callable or float): ``(shape, rng, dtype) -> array``
            from ``dlbook.init``, or the std of a plain normal. Default ``he``.
        dtype: dtype of parameters and computation. Default float64.

    Shapes: x (N, C, H, W) -> y (N, F, OH, OW); params W (F, C, kh, kw), b (F,).
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int], *,
        stride: int = 1, padding: int = 0, rng: np.random.Generator,
        weight_init: Callable[..., np.ndarray] | float = he, dtype: npt.DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        for name, value in [("in_channels", in_channels), ("out_channels", out_channels),
                            ("kernel_size", min(kh, kw)), ("stride", stride)]:
            _check(name, value, 1)
        _check("padding", padding, 0)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = (kh, kw)
        self.stride, self.padding = stride, padding
        shape = (out_channels, in_channels, *self.kernel_size)  # (F, C, kh, kw)
        W = initial_weights(weight_init, shape, rng, dtype)
        self.params = {"W": W, "b": np.zeros(out_channels, dtype=dtype)}
        self._cols: np.ndarray | None = None  # the im2col buffer, kept from batch to batch (forward)

    def __repr__(self) -> str:
        kh, kw = self.kernel_size
        return (f"Conv2D({self.in_channels} -> {self.out_channels}, {kh}x{kw}, "
                f"stride {self.stride}, pad {self.padding})")

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        """y = W ⋆ x + b as one matrix product over im2col columns, b included (see below)."""
        x = _check_input(self, x, self.in_channels)
        N, C, H, W = x.shape
        kh, kw = self.kernel_size
        OH = conv_output_size(H, kh, self.stride, self.padding)
        OW = conv_output_size(W, kw, self.stride, self.padding)
        F, K = self.out_channels, C * kh * kw
        # The bias as one more weight: [W_mat | b] @ [cols; ones] = W_mat @ cols + b, so the product
        # adds b on the way (no pass of its own over y), and in backward gives db with dW. The
        # columns never leave this layer, so one buffer serves all batches of one shape: no fresh
        # 6 MB a batch (benchmarks' CNN) for the allocator to give back and fault in again.
        cols = self._cols
        if cols is None or cols.shape != (K + 1, N * OH * OW) or cols.dtype != x.dtype:
            cols = self._cols = np.empty((K + 1, N * OH * OW), dtype=x.dtype)
            cols[K] = 1
        im2col(x, kh, kw, self.stride, self.padding, out=cols[:K])  # (K, N*OH*OW)
        Wb = np.concatenate([self.params["W"].reshape(F, K), self.params["b"][:, None]], axis=1)  # (F, K+1)
        # Wb @ cols, taken image by image, (F, K+1) @ (K+1, OH*OW), so that the result comes out
        # already in the (N, F, ...) order the next layer reads: no transposed copy, no strided y.
        y = np.matmul(Wb, cols.reshape(K + 1, N, OH * OW).transpose(1, 0, 2))  # (N, F, OH*OW)
        self.cache = (x.shape, cols)
        return y.reshape(N, F, OH, OW)

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """[dW | db] = dout @ colsᵀ, dx = col2im(Wᵀ @ dout) (None if not input_grad)."""
        x_shape, cols = self.cached()  # cols: (K+1, N*OH*OW), the last row all ones
        kh, kw = self.kernel_size
        N, F = x_shape[0], self.out_channels
        OH = conv_output_size(x_shape[2], kh, self.stride, self.padding)
        OW = conv_output_size(x_shape[3], kw, self.stride, self.padding)
        self.check_dout(dout, (N, F, OH, OW))
        K = cols.shape[0] - 1
        # Image by image, as in forward: dout stays in its own (N, F, ...) order, never copied.
        dout_n = dout.reshape(N, F, OH * OW)  # (N, F, OH*OW), a view
        cols_n = cols.reshape(K + 1, N, OH * OW).transpose(1, 2, 0)  # (N, OH*OW, K+1), a view
        dWb = np.matmul(dout_n, cols_n).sum(axis=0)  # (F, K+1); against the ones: db = sum of dout
        self.grads = {
            "W": np.ascontiguousarray(dWb[:, :K]).reshape(self.params["W"].shape),  # (F, C, kh, kw)
            "b": np.ascontiguousarray(dWb[:, K]),  # (F,)
        }
        if not input_grad:
            return None
        W_mat = self.params["W"].reshape(F, K)  # (F, K)
        dcols = np.empty((K, N * OH * OW), dtype=cols.dtype)
        # W_matᵀ @ dout_n for every image, written straight into the columns' (K, N, OH*OW) layout.
        np.matmul(W_mat.T, dout_n, out=dcols.reshape(K, N, OH * OW).transpose(1, 0, 2))
        return col2im(dcols, x_shape, kh, kw, self.stride, self.padding)


class _Pool2D(Layer):
    """Shared set-up of the pooling layers: a square k x k window, stride, padding."""

    def __init__(self, kernel_size: int = 2, stride: int | None = None, padding: int = 0) -> None:
        super().__init__()
        stride = kernel_size if stride is None else stride
        _check("kernel_size", kernel_size, 1)
        _check("stride", stride, 1)
        _check("padding", padding, 0)
        if 2 * padding > kernel_size:
            raise ValueError(f"Invalid padding: {padding} (more than kernel_size/2)")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def __repr__(self) -> str:
        k = self.kernel_size
        return f"{type(self).__name__}({k}x{k}, stride {self.stride}, pad {self.padding})"

    def _tiles(self, H: int, W: int) -> bool:
        """True when the windows tile the image exactly: the fast reshape path applies."""
        k = self.kernel_size
        return self.padding == 0 and self.stride == k and H % k == 0 and W % k == 0


def _first_max(slices: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise maximum ``y`` of ``slices`` (one per kernel offset t) and ``masks``
    (len(slices), *y.shape): ``masks[t]`` is True where slice t holds the maximum first,
    so a tie still routes a window's gradient to exactly one element."""
    y = np.maximum(slices[0], slices[1]) if len(slices) > 1 else slices[0].copy()
    for v in slices[2:]:
        np.maximum(y, v, out=y)
    # One contiguous mask per offset: whole-array boolean operations, no strided writes.
    masks = np.empty((len(slices), *y.shape), dtype=bool)
    taken = np.zeros(y.shape, dtype=bool)
    for v, mask in zip(slices[:-1], masks[:-1]):
        np.equal(v, y, out=mask)
        mask &= ~taken
        taken |= mask
    np.logical_not(taken, out=masks[-1])  # where no earlier offset holds the maximum, the last does
    return y, masks


class MaxPool2D(_Pool2D):
    """Max pooling: ``y[n, c, oh, ow] = max over the k x k window at (oh*stride, ow*stride)``.

    The gradient flows only to the window's maximum (the first one, on ties),
    so every window passes back exactly one number. Padding counts as -inf.

    Args:
        kernel_size (int): window size k. Default 2.
        stride (int or None): step between windows. Default None = kernel_size.
        padding (int): -inf added on each side, at most k/2. Default 0.

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW).
    """

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        """y = window maximum; caches boolean masks of where each maximum sits."""
        x = _check_input(self, x)
        N, C, H, W = x.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        OH, OW = conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)
        if self._tiles(H, W):
            # Reshape, then copy the k*k window offsets side by side into one contiguous array: the
            # maxima and comparisons of _first_max run about 4x faster on it than on the strided
            # slices of x, and the copy costs less than that saves.
            windows = x.reshape(N, C, OH, k, OW, k)  # (N, C, OH, k, OW, k), a view
            offsets = np.empty((k, k, N, C, OH, OW), dtype=x.dtype)
            for i in range(k):
                for j in range(k):
                    offsets[i, j] = windows[:, :, :, i, :, j]
            y, masks = _first_max(list(offsets.reshape(k * k, N, C, OH, OW)))
            # y: (N, C, OH, OW), masks: (k*k, N, C, OH, OW)
        else:
            if p > 0:
                x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
            cols = im2col(x, k, k, s).reshape(C, k * k, N * OH * OW)  # (C, k*k, N*OH*OW)
            y, masks = _first_max([cols[:, t] for t in range(k * k)])
            # y: (C, N*OH*OW); masks: (k*k, C, N*OH*OW)
            y = y.reshape(C, N, OH, OW).transpose(1, 0, 2, 3)  # (N, C, OH, OW)
        self.cache = ((N, C, H, W), masks)
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dx = dout placed where each window's maximum was, zero elsewhere (overlaps add up)."""
        (N, C, H, W), masks = self.cached()
        self.check_dout(dout, _pooled_shape(self, (N, C, H, W)))
        k, s, p = self.kernel_size, self.stride, self.padding
        if self._tiles(H, W):
            dx = np.empty((N, C, H // k, k, W // k, k), dtype=dout.dtype)  # (N, C, OH, k, OW, k)
            offsets = [(i, j) for i in range(k) for j in range(k)]
            for (i, j), mask in zip(offsets, masks):  # dout where (i, j) held the maximum, else 0
                np.multiply(dout, mask, out=dx[:, :, :, i, :, j])  # a 0/1 product: faster than np.where
            return dx.reshape(N, C, H, W)
        dout_cols = dout.transpose(1, 0, 2, 3).reshape(1, C, -1)  # (1, C, N*OH*OW)
        dcols = (masks * dout_cols).transpose(1, 0, 2)  # (C, k*k, N*OH*OW)
        return col2im(dcols.reshape(C * k * k, -1), (N, C, H, W), k, k, s, p)


class AvgPool2D(_Pool2D):
    """Average pooling: ``y[n, c, oh, ow] = mean over the k x k window at (oh*stride, ow*stride)``.

    Padding counts as zeros in the average, as in PyTorch's default.

    Args:
        kernel_size (int): window size k. Default 2.
        stride (int or None): step between windows. Default None = kernel_size.
        padding (int): zeros added on each side, at most k/2. Default 0.

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW).
    """

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        """y = window mean; only the input shape is cached."""
        x = _check_input(self, x)
        N, C, H, W = x.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        OH, OW = conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)
        self.cache = x.shape
        if self._tiles(H, W):
            windows = x.reshape(N, C, OH, k, OW, k)  # (N, C, OH, k, OW, k), a view: no copy
            # k*k whole-array adds: a reduction over the two short strided axes is far slower
            return sum(windows[:, :, :, i, :, j] for i in range(k) for j in range(k)) / (k * k)
        cols = im2col(x, k, k, s, p).reshape(C, k * k, N * OH * OW)  # (C, k*k, N*OH*OW)
        y = cols.mean(axis=1)  # (C, N*OH*OW)
        return y.reshape(C, N, OH, OW).transpose(1, 0, 2, 3)  # (N, C, OH, OW)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dx = dout / k² spread evenly over each window (overlaps add up)."""
        N, C, H, W = self.cached()
        self.check_dout(dout, _pooled_shape(self, (N, C, H, W)))
        k, s, p = self.kernel_size, self.stride, self.padding
        OH, OW = dout.shape[2:]
        share = dout / (k * k)  # a Python int keeps dout's dtype
        if self._tiles(H, W):
            dx = np.broadcast_to(share[:, :, :, None, :, None], (N, C, OH, k, OW, k))
            return dx.reshape(N, C, H, W)
        share = share.transpose(1, 0, 2, 3).reshape(C, 1, N * OH * OW)  # (C, 1, N*OH*OW)
        dcols = np.broadcast_to(share, (C, k * k, N * OH * OW))  # (C, k*k, N*OH*OW)
        return col2im(dcols.reshape(C * k * k, -1), (N, C, H, W), k, k, s, p)
