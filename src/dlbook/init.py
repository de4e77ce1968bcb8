"""Weight initialization: how wide a normal distribution the first weights come from.

Every function has the form ``init(shape, rng, dtype=...) -> array`` so that a
layer can take it as ``weight_init``; call it with ``dtype`` as a keyword.
Randomness comes only from the ``rng`` you pass in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import numpy as np

from dlbook.validation import check_float_dtype

__all__ = ["fan_in_out", "normal", "xavier", "he", "initial_weights"]


def fan_in_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """How many inputs feed each output unit (fan_in) and how many outputs each input feeds (fan_out).

    * A fully connected weight W: (in, out) has fan_in = in, fan_out = out.
    * A convolution weight W: (F, C, kh, kw) has fan_in = C * kh * kw and
      fan_out = F * kh * kw.

    Args:
        shape: tuple of int, a 2-D (in, out) or 4-D (F, C, kh, kw) weight shape.
    Returns:
        (fan_in, fan_out), two ints.
    """
    shape = tuple(shape)
    if len(shape) == 2:
        fan_in, fan_out = shape
    elif len(shape) == 4:
        F, C, kh, kw = shape
        fan_in, fan_out = C * kh * kw, F * kh * kw
    else:
        raise ValueError(f"Invalid shape: {shape} (expected (in, out) or (F, C, kh, kw))")
    if fan_in <= 0 or fan_out <= 0:
        raise ValueError(f"Invalid shape: {shape} (every dimension must be positive)")
    return fan_in, fan_out


def normal(
    shape: tuple[int, ...],
    rng: np.random.Generator,
    std: float = 0.01,
    dtype: np.dtype | type = np.float64,
) -> np.ndarray:
    """Plain normal initialization: W ~ N(0, std^2), the same width for every layer.

    Args:
        shape: tuple of int, the weight's shape.
        rng: np.random.Generator, the source of randomness.
        std: float, standard deviation. Default 0.01.
        dtype: the array's dtype. Default np.float64.
    Returns:
        np.ndarray of `shape` and `dtype`.
    """
    if not isinstance(std, Real) or not 0 <= std < math.inf:
        raise ValueError(f"Invalid std: {std!r}")
    dtype = check_float_dtype(dtype, who="init.normal")
    return rng.standard_normal(shape, dtype=dtype) * dtype.type(std)


def xavier(
    shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """Xavier/Glorot normal initialization: W ~ N(0, std^2) with std = sqrt(2 / (fan_in + fan_out)).

    Glorot & Bengio (2010) keep the variance of the signal the same going
    forward (Var = 1/fan_in) and of the gradient going backward
    (Var = 1/fan_out) by taking the compromise 2 / (fan_in + fan_out). Suited
    to sigmoid and tanh. "Deep Learning from Scratch" uses the forward-only
    variant std = 1 / sqrt(fan_in); for a square layer both are identical.

    Args:
        shape: tuple of int, (in, out) or (F, C, kh, kw); see `fan_in_out`.
        rng: np.random.Generator, the source of randomness.
        dtype: the array's dtype. Default np.float64.
    Returns:
        np.ndarray of `shape` and `dtype`.
    """
    fan_in, fan_out = fan_in_out(shape)
    return normal(shape, rng, std=math.sqrt(2.0 / (fan_in + fan_out)), dtype=dtype)


def he(
    shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """He (Kaiming) normal initialization: W ~ N(0, std^2) with std = sqrt(2 / fan_in).

    ReLU zeroes half of its inputs, halving the variance; the factor 2 puts it
    back, so activations keep their scale through a deep ReLU network
    (He et al., 2015).

    Args:
        shape: tuple of int, (in, out) or (F, C, kh, kw); see `fan_in_out`.
        rng: np.random.Generator, the source of randomness.
        dtype: the array's dtype. Default np.float64.
    Returns:
        np.ndarray of `shape` and `dtype`.
    """
    fan_in, _ = fan_in_out(shape)
    return normal(shape, rng, std=math.sqrt(2.0 / fan_in), dtype=dtype)


def initial_weights(
    weight_init: Callable[..., np.ndarray] | float, shape: tuple[int, ...], rng: np.random.Generator,
    dtype: np.dtype | type = np.float64,
) -> np.ndarray:
    """The weights a layer starts from: what ``Linear`` and ``Conv2D`` call with their ``weight_init``.

    Args:
        weight_init: an initializer from this module (``he``, ``xavier``, ...) or
            any function ``(shape, rng, dtype=...) -> array``; or a float, the
            standard deviation of a plain `normal` initialization.
        shape: the weight's shape. rng: the source of randomness. dtype: default np.float64.
    Returns:
        np.ndarray of `shape` and `dtype`.
    """
    dtype = check_float_dtype(dtype, who="initial_weights")
    if callable(weight_init):
        W = np.asarray(weight_init(shape, rng, dtype=dtype), dtype=dtype)
    elif isinstance(weight_init, Real):
        W = normal(shape, rng, std=weight_init, dtype=dtype)
    else:
        raise ValueError(f"Invalid weight_init: {weight_init!r}")
    if W.shape != tuple(shape):
        raise ValueError(f"Invalid weight_init: returned shape {W.shape}, expected {tuple(shape)}")
    return W
