"""Data: the datasets the book trains on, and the ways it feeds them to a network.

* Real images: ``load_digits`` (scikit-learn's 8x8 digits, no download) and
  ``load_mnist`` (28x28, downloaded once and verified, see ``dlbook.mnist``).
* 2-D toy sets for the playground explorer: ``xor``, ``circles``, ``moons``,
  ``spiral``, ``gaussians``. Each returns ``X: (n, 2)`` float64 and
  ``y: (n,)`` int64 with the two classes as balanced as ``n`` allows, every
  point within about ``[-1.5, 1.5]`` (a little more with large ``noise``).
* Preparing and feeding: ``standardize``, ``train_val_split``, ``kfold``,
  ``minibatches``, ``one_hot``.
* Augmentation: ``random_shift``, ``add_noise``.

Everything random takes an explicit ``rng: np.random.Generator``; the loaders
take a ``seed`` and build their own generator from it.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from dlbook.validation import as_float, check_float_dtype
from dlbook.mnist import DOWNLOAD_TIMEOUT, fetch_mnist, read_idx

__all__ = [
    "Dataset", "load_digits", "load_mnist",
    "xor", "circles", "moons", "spiral", "gaussians",
    "standardize", "train_val_split", "kfold", "minibatches", "one_hot",
    "random_shift", "add_noise",
]  # fmt: skip


class Dataset(NamedTuple):
    """A train/test split: ``x_*`` inputs, ``y_*`` int64 class labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(*, test_size: float = 0.2, seed: int = 0, dtype=np.float32, flatten: bool = True) -> Dataset:
    """scikit-learn's 1,797 handwritten digits (8x8), pixels scaled to [0, 1], split per class.

    Each class is shuffled and ``round(test_size * count)`` of its images go to
    the test set, so both sets keep the 10 classes in the same proportions.

    Args:
        test_size: fraction of each class held out for testing, in (0, 1). Default 0.2.
        seed: seeds the shuffle; the same seed gives the same split.
        dtype: floating dtype of the images. Default float32.
        flatten: True gives ``x: (N, 64)``; False gives ``x: (N, 1, 8, 8)`` for a CNN.

    Returns:
        ``Dataset(x_train, y_train, x_test, y_test)``, labels int64 in 0..9.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"Invalid test_size: {test_size} (must be in (0, 1))")
    dtype = check_float_dtype(dtype, who="load_digits")  # pixels in [0, 1] need fractions
    from sklearn.datasets import load_digits as sklearn_digits  # lazy: the core needs only NumPy

    digits = sklearn_digits()
    x = (digits.data / 16.0).astype(dtype)  # pixels are 0..16; x: (N, 64)
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = []
    for k in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == k))
        test.append(idx[: round(test_size * len(idx))])
    test_idx = rng.permutation(np.concatenate(test))
    train_idx = rng.permutation(np.setdiff1d(np.arange(len(y)), test_idx))
    if not flatten:
        x = x.reshape(-1, 1, 8, 8)  # (N, 1, 8, 8): one gray channel
    return Dataset(x[train_idx], y[train_idx], x[test_idx], y[test_idx])


def load_mnist(
    *, cache_dir: str | os.PathLike | None = None, dtype=np.float32, flatten: bool = True,
    normalize: bool = True, timeout: float = DOWNLOAD_TIMEOUT,
) -> Dataset:
    """MNIST: 60,000 training and 10,000 test digits (28x28), downloaded once and cached.

    Args:
        cache_dir: where the files are kept; default ``$DLBOOK_CACHE``, else ``~/.cache/dlbook``.
        dtype: floating dtype of the images. Default float32.
        flatten: True gives ``x: (N, 784)``; False gives ``x: (N, 1, 28, 28)``.
        normalize: True scales pixels 0..255 to [0, 1].
        timeout: the most seconds the downloads may take in all (a server that trickles
            bytes is given up on). Default ``dlbook.mnist.DOWNLOAD_TIMEOUT``, 10 minutes.

    Returns:
        ``Dataset(x_train, y_train, x_test, y_test)``, labels int64 in 0..9.

    Raises:
        dlbook.mnist.ChecksumError: a file does not match its published SHA-256.
        ConnectionError: the download failed or ran out of time (the message says where to put the files).
    """
    dtype = check_float_dtype(dtype, who="load_mnist")
    paths = fetch_mnist(cache_dir, timeout=timeout)
    arrays = []
    for split in ("train", "t10k"):
        images = read_idx(paths[f"{split}-images-idx3-ubyte.gz"])  # (N, H, W) uint8
        labels = read_idx(paths[f"{split}-labels-idx1-ubyte.gz"])  # (N,) uint8
        if len(images) != len(labels):
            raise ValueError(f"MNIST {split}: {len(images)} images but {len(labels)} labels")
        N, H, W = images.shape
        x = images.astype(dtype)
        if normalize:
            x /= x.dtype.type(255)
        x = x.reshape(N, H * W) if flatten else x.reshape(N, 1, H, W)  # (N, 784) or (N, 1, 28, 28)
        arrays += [x, labels.astype(np.int64)]
    return Dataset(*arrays)


def _toy_labels(n: int, noise: float) -> np.ndarray:
    """Validate a toy set's arguments; labels 0, 1, 0, 1, ... so the classes are balanced."""
    if n < 2:
        raise ValueError(f"Invalid n: {n} (need at least 2 points)")
    if noise < 0:
        raise ValueError(f"Invalid noise: {noise} (must be >= 0)")
    return np.arange(n, dtype=np.int64) % 2


def xor(n: int = 200, *, noise: float = 0.1, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """XOR of the signs: ``y = 1`` where ``x1`` and ``x2`` have opposite signs.

    Points lie in ``[-1, 1]^2``, kept 0.1 away from the axes, plus ``N(0, noise^2)`` jitter.
    Args: n points (default 200), noise std (0.1), rng. Returns ``X: (n, 2)``, ``y: (n,)``.
    """
    y = _toy_labels(n, noise)
    magnitude = rng.uniform(0.1, 1.0, size=(n, 2))
    sign1 = rng.choice([-1.0, 1.0], size=n)
    sign2 = np.where(y == 1, -sign1, sign1)
    X = magnitude * np.stack([sign1, sign2], axis=1)  # (n, 2)
    return X + rng.normal(0.0, noise, size=(n, 2)), y


def circles(n: int = 200, *, noise: float = 0.1, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A disc (class 0, radius < 0.5) inside a ring (class 1, radius 0.7 to 1).

    Args: n points (default 200), noise std (0.1), rng. Returns ``X: (n, 2)``, ``y: (n,)``.
    """
    y = _toy_labels(n, noise)
    radius = np.where(y == 0, rng.uniform(0.0, 0.5, size=n), rng.uniform(0.7, 1.0, size=n))
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    return X + rng.normal(0.0, noise, size=(n, 2)), y


def moons(n: int = 200, *, noise: float = 0.1, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interlocking half-circles of radius 1 (as scikit-learn's ``make_moons``), centered on 0.

    Class 0 is the upper arc ``(cos t, sin t)``, class 1 the lower ``(1 - cos t, 0.5 - sin t)``,
    ``t`` in ``[0, pi]``, both shifted by ``(-0.5, -0.25)``: x within [-1.5, 1.5], y within [-0.75, 0.75].
    Args: n points (default 200), noise std (0.1), rng. Returns ``X: (n, 2)``, ``y: (n,)``.
    """
    y = _toy_labels(n, noise)
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)  # (n, 2)
    X = np.where(y[:, None] == 0, upper, lower) - np.array([0.5, 0.25])
    return X + rng.normal(0.0, noise, size=(n, 2)), y


def spiral(n: int = 200, *, noise: float = 0.1, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals: ``r = s``, ``angle = 3.5 pi s + pi y`` for ``s`` in [0, 1].

    Each arm turns 1.75 times around the origin; class 1 is class 0 rotated by half a turn.
    Args: n points (default 200), noise std (0.1), rng. Returns ``X: (n, 2)``, ``y: (n,)``.
    """
    y = _toy_labels(n, noise)
    s = rng.uniform(0.0, 1.0, size=n)
    angle = 3.5 * np.pi * s + np.pi * y
    X = s[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    return X + rng.normal(0.0, noise, size=(n, 2)), y


def gaussians(n: int = 200, *, noise: float = 0.1, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two round blobs of std 0.25, centered at (-0.5, -0.5) (class 0) and (0.5, 0.5) (class 1).

    ``noise`` adds to the spread: each point gets ``N(0, 0.25^2) + N(0, noise^2)`` per coordinate.
    Args: n points (default 200), noise std (0.1), rng. Returns ``X: (n, 2)``, ``y: (n,)``.
    """
    y = _toy_labels(n, noise)
    center = np.where(y[:, None] == 0, -0.5, 0.5)  # (n, 1), broadcast to both coordinates
    X = center + rng.normal(0.0, 0.25, size=(n, 2))
    return X + rng.normal(0.0, noise, size=(n, 2)), y


def standardize(x_train: np.ndarray, *others: np.ndarray, eps: float = 1e-8) -> tuple[np.ndarray, ...]:
    """``(x - mean) / (std + eps)`` per feature, with mean and std measured on ``x_train`` only.

    Fitting on the training set alone keeps test data from leaking into training.
    A constant feature (std 0) becomes 0 rather than dividing by zero.

    Args:
        x_train: ``(N, ...)`` training inputs; statistics over axis 0.
        *others: further arrays ``(M, ...)`` (validation, test) transformed the same way.
        eps: added to std. Default 1e-8.

    Returns:
        ``(x_train_std, *others_std, mean, std)``; the inputs are not modified.
    """
    if len(x_train) == 0:
        raise ValueError("standardize: x_train is empty; there is no mean or std to measure")
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    scale = std + std.dtype.type(eps)
    return (*((x - mean) / scale for x in (x_train, *others)), mean, std)


def train_val_split(
    x: np.ndarray, y: np.ndarray, val_fraction: float = 0.2, *, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle, then hold out ``round(val_fraction * N)`` samples for validation.

    Args:
        x: ``(N, ...)`` inputs. y: ``(N, ...)`` targets.
        val_fraction: share held out, in (0, 1). Default 0.2.
        rng: generator for the shuffle.

    Returns:
        ``(x_train, y_train, x_val, y_val)``.
    """
    N = len(x)
    if len(y) != N:
        raise ValueError(f"x and y differ in length: {N} vs {len(y)}")
    n_val = round(val_fraction * N)
    if not 0.0 < val_fraction < 1.0 or not 0 < n_val < N:
        raise ValueError(f"Invalid val_fraction: {val_fraction} (with N={N} it must leave both parts non-empty)")
    perm = rng.permutation(N)
    val, train = perm[:n_val], perm[n_val:]
    return x[train], y[train], x[val], y[val]


def kfold(n: int, k: int, *, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """k-fold cross-validation: shuffle ``0..n-1`` into ``k`` near-equal folds; each is validation once.

    Args:
        n: number of samples. k: number of folds, 2 <= k <= n. rng: generator for the shuffle.

    Yields:
        ``(train_idx, val_idx)``, ``k`` times; the ``val_idx`` partition ``0..n-1``.
    """
    if not 2 <= k <= n:
        raise ValueError(f"Invalid k: {k} (need 2 <= k <= n = {n})")
    folds = np.array_split(rng.permutation(n), k)
    return ((np.concatenate(folds[:i] + folds[i + 1 :]), val) for i, val in enumerate(folds))


def minibatches(
    x: np.ndarray, y: np.ndarray, batch_size: int, *, rng: np.random.Generator | None = None, shuffle: bool = True
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch in batches: every sample once, the last batch smaller if ``batch_size`` does not divide N.

    Args:
        x: ``(N, ...)`` inputs. y: ``(N, ...)`` targets.
        batch_size: samples per batch, >= 1.
        rng: generator for the shuffle; required when ``shuffle`` is True.
        shuffle: visit samples in a fresh random order. Default True.

    Yields:
        ``(xb, yb)`` with ``xb: (B, ...)``, ``B <= batch_size``.
    """
    N = len(x)
    if len(y) != N:
        raise ValueError(f"x and y differ in length: {N} vs {len(y)}")
    if batch_size < 1:
        raise ValueError(f"Invalid batch_size: {batch_size}")
    if shuffle and rng is None:
        raise ValueError("minibatches(shuffle=True) needs rng=np.random.default_rng(seed)")
    order = rng.permutation(N) if shuffle else np.arange(N)
    return ((x[idx], y[idx]) for idx in (order[i : i + batch_size] for i in range(0, N, batch_size)))


def one_hot(y: np.ndarray, num_classes: int, *, dtype=np.float64) -> np.ndarray:
    """``Y[i, y[i]] = 1``, zeros elsewhere.

    Args:
        y: ``(N,)`` integer labels in ``0..num_classes-1`` (a column ``(N, 1)`` is refused:
            indexing with it would set the wrong entries). num_classes: K >= 1. dtype: default float64.

    Returns:
        ``Y: (N, K)``.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        hint = "; for a column of labels pass y.ravel()" if y.ndim == 2 and y.shape[1] == 1 else ""
        raise ValueError(f"one_hot expects labels of shape (N,), got {y.shape}{hint}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"one_hot expects integer class labels, got dtype {y.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"Invalid num_classes: {num_classes!r} (expected an integer >= 1)")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"Labels must lie in 0..{num_classes - 1}, got {y.min()}..{y.max()}")
    Y = np.zeros((len(y), num_classes), dtype=dtype)
    Y[np.arange(len(y)), y] = 1
    return Y


def random_shift(images: np.ndarray, max_shift: int = 1, *, rng: np.random.Generator) -> np.ndarray:
    """Move each image by its own random ``(dy, dx)`` in ``[-max_shift, max_shift]^2``, filling with 0.

    ``out[..., i + dy, j + dx] = images[..., i, j]``: positive ``dy`` moves content down,
    positive ``dx`` to the right. One pass per distinct offset, not per image.

    Args:
        images: ``(N, H, W)`` or ``(N, C, H, W)``.
        max_shift: largest shift in pixels, >= 0. Default 1.
        rng: draws the offsets.

    Returns:
        New array, same shape and dtype.
    """
    if max_shift < 0:
        raise ValueError(f"Invalid max_shift: {max_shift}")
    if images.ndim not in (3, 4):
        raise ValueError(f"random_shift expects (N, H, W) or (N, C, H, W), got shape {images.shape}")
    N, H, W = images.shape[0], images.shape[-2], images.shape[-1]
    offsets = rng.integers(-max_shift, max_shift + 1, size=(N, 2))  # (N, 2): (dy, dx) per image
    out = np.zeros_like(images)
    for dy, dx in np.unique(offsets, axis=0):
        if abs(dy) >= H or abs(dx) >= W:
            continue  # shifted entirely out of the frame: the image stays all zeros
        rows = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
        src = images[rows][..., max(-dy, 0) : H - max(dy, 0), max(-dx, 0) : W - max(dx, 0)]
        out[rows, ..., max(dy, 0) : H - max(-dy, 0), max(dx, 0) : W - max(-dx, 0)] = src
    return out


def add_noise(x: np.ndarray, std: float, *, rng: np.random.Generator) -> np.ndarray:
    """``x + N(0, std^2)`` elementwise, in ``x``'s dtype.

    Args:
        x: any shape, floating (integers are computed in float64). std: noise standard
            deviation, >= 0. rng: draws the noise.

    Returns:
        New array, same shape and dtype (float64 for integer x).
    """
    if std < 0:
        raise ValueError(f"Invalid std: {std}")
    x = as_float(x)  # integer input: noise added in float64, not rounded away
    return x + rng.normal(0.0, std, size=x.shape).astype(x.dtype)
