"""Pure functions: activations, their derivatives, and losses.

Every function takes NumPy arrays and returns new ones; nothing is modified in
place. dtype is preserved (float32 in, float32 out); integer input is computed
in float64, and complex numbers or text are refused (`dlbook.validation`).
Each function is written to stay finite, without a NumPy warning, for inputs
as large as 1e4 in magnitude: exponentials only ever see non-positive
arguments, and logarithms never see 0. The losses refuse an empty batch.
"""

from __future__ import annotations

import numpy as np

from dlbook.validation import as_float, check_real

__all__ = [
    "step",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softmax",
    "log_softmax",
    "sigmoid_grad",
    "tanh_grad",
    "relu_grad",
    "leaky_relu_grad",
    "mse_loss",
    "l1_loss",
    "validate_class_targets",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def _check_same_shape(y_hat: np.ndarray, y: np.ndarray, who: str) -> None:
    """A loss's prediction and target: real numbers, the same shape, not empty."""
    check_real(y, who=who)
    # Broadcasting (N, 1) against (N,) would silently build an (N, N) loss.
    if y_hat.shape != y.shape:
        raise ValueError(f"{who}: prediction has shape {y_hat.shape} but target has shape {y.shape}")
    if y_hat.size == 0:
        raise ValueError(f"{who}: got an empty batch; a mean over no samples is undefined")


def _check_binary_targets(y: np.ndarray, who: str) -> None:
    # A target of 2 or -1 would give a loss below 0 and a gradient towards nonsense.
    if not np.all((y >= 0) & (y <= 1)):  # NaN fails both comparisons
        raise ValueError(f"{who}: expected targets in [0, 1], got values in [{np.min(y)}, {np.max(y)}]")


# Activations -------------------------------------------------------------


def step(x: np.ndarray) -> np.ndarray:
    """Heaviside step: 1 where x > 0, else 0.

    Args:
        x: np.ndarray, any shape.
    Returns:
        np.ndarray of x's shape and (float) dtype.
    """
    x = as_float(x)
    return (x > 0).astype(x.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid: 1 / (1 + exp(-x)).

    Written with z = exp(-|x|), which lies in (0, 1] and never overflows:
    sigmoid(x) = 1 / (1 + z) for x >= 0 and z / (1 + z) for x < 0.

    Args:
        x: np.ndarray, any shape.
    Returns:
        np.ndarray of x's shape and dtype, values in [0, 1].
    """
    x = as_float(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent: (exp(x) - exp(-x)) / (exp(x) + exp(-x)) = 2 sigmoid(2x) - 1.

    Args:
        x: np.ndarray, any shape.
    Returns:
        np.ndarray of x's shape and dtype, values in [-1, 1].
    """
    return np.tanh(as_float(x))


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit: max(x, 0).

    Args:
        x: np.ndarray, any shape.
    Returns:
        np.ndarray of x's shape and dtype.
    """
    x = as_float(x)
    # The same as np.maximum(x, 0), about twice as fast on large arrays: NumPy's maximum
    # has a fast loop for two arrays side by side, not for an array against a scalar.
    # (Filled with 0 rather than made by np.zeros_like, whose zeroed allocation, calloc, made
    # glibc give memory back to the system and fault it in again every batch of an MLP.)
    y = np.empty_like(x)
    y.fill(0)
    return np.maximum(x, y, out=y)


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """Leaky ReLU: x where x > 0, negative_slope * x elsewhere.

    Args:
        x: np.ndarray, any shape.
        negative_slope: float, slope for x <= 0. Default 0.01 (as PyTorch).
    Returns:
        np.ndarray of x's shape and dtype.
    """
    x = as_float(x)
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax: exp(x_i) / sum_j exp(x_j) along `axis`.

    Subtracting the maximum first leaves the result unchanged and keeps every
    exponent <= 0, so nothing overflows.

    Args:
        x: np.ndarray, any shape, e.g. scores (N, K).
        axis: int, the axis that sums to 1. Default -1.
    Returns:
        np.ndarray of x's shape and dtype.
    """
    x = as_float(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Log of the softmax: x_i - log(sum_j exp(x_j)), with the log-sum-exp trick.

    log(sum_j exp(x_j)) = m + log(sum_j exp(x_j - m)) with m = max_j x_j; the
    sum is at least 1, so its log is finite even where softmax underflows to 0.

    Args:
        x: np.ndarray, any shape, e.g. scores (N, K).
        axis: int, the axis normalized over. Default -1.
    Returns:
        np.ndarray of x's shape and dtype, values <= 0.
    """
    x = as_float(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# Derivatives (for the book's plots; the layers use them too) ----------


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """d sigmoid / dx = sigmoid(x) * (1 - sigmoid(x)).

    Args:
        x: np.ndarray, any shape.
    Returns:
        np.ndarray of x's shape and dtype, values in [0, 1/4].
    """
    s = sigmoid(x)
    return s * (1 - s)


def tanh_grad(x: np.ndarray) -> np.ndarray:
    """d tanh / dx = 1 - tanh(x)^2.

    Args:
        x: np.ndarray, any shape.
    Returns:
        np.ndarray of x's shape and dtype, values in [0, 1].
    """
    t = tanh(x)
    return 1 - t * t


def relu_grad(x: np.ndarray) -> np.ndarray:
    """d relu / dx = 1 where x > 0, else 0 (0 is taken at the kink x = 0).

    Args:
        x: np.ndarray, any shape.
    Returns:
        np.ndarray of x's shape and dtype.
    """
    return step(x)


def leaky_relu_grad(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """d leaky_relu / dx = 1 where x > 0, else negative_slope.

    Args:
        x: np.ndarray, any shape.
        negative_slope: float, slope for x <= 0. Default 0.01.
    Returns:
        np.ndarray of x's shape and dtype.
    """
    x = as_float(x)
    return np.where(x > 0, x.dtype.type(1), x.dtype.type(negative_slope))


# Losses (mean over all elements, as PyTorch's default reduction) ---------


def mse_loss(y_hat: np.ndarray, y: np.ndarray) -> np.floating:
    """Mean squared error: mean((y_hat - y)^2) over all elements.

    Args:
        y_hat: np.ndarray, predictions, any shape.
        y: np.ndarray, targets, same shape as y_hat.
    Returns:
        A NumPy scalar of y_hat's dtype.
    """
    y_hat = as_float(y_hat)
    y = np.asarray(y)
    _check_same_shape(y_hat, y, "mse_loss")
    diff = y_hat - y.astype(y_hat.dtype, copy=False)
    return np.mean(diff * diff)


def l1_loss(y_hat: np.ndarray, y: np.ndarray) -> np.floating:
    """Mean absolute error: mean(|y_hat - y|) over all elements.

    Args:
        y_hat: np.ndarray, predictions, any shape.
        y: np.ndarray, targets, same shape as y_hat.
    Returns:
        A NumPy scalar of y_hat's dtype.
    """
    y_hat = as_float(y_hat)
    y = np.asarray(y)
    _check_same_shape(y_hat, y, "l1_loss")
    return np.mean(np.abs(y_hat - y.astype(y_hat.dtype, copy=False)))


def validate_class_targets(scores: np.ndarray, y: np.ndarray, *, who: str = "cross_entropy") -> None:
    """Check class targets against scores (N, K); raise a ValueError naming `who` if wrong.

    Accepted: integer class indices y: (N,) with 0 <= y < K, or target
    distributions y: (N, K) (one-hot rows, or any rows of probabilities: each
    entry in [0, 1], each row summing to 1). N must be at least 1.

    Args:
        scores: np.ndarray, (N, K).
        y: np.ndarray, (N,) integers or (N, K).
        who: str, the name put in the error message (a function or a layer repr).
    """
    scores = np.asarray(scores)
    y = np.asarray(y)
    if scores.ndim != 2:
        raise ValueError(f"{who}: expected scores of shape (N, K), got {scores.shape}")
    N, K = scores.shape
    if N == 0:
        raise ValueError(f"{who}: got an empty batch; a mean over no samples is undefined")
    if y.shape == (N,):
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{who}: class indices y must be integers, got dtype {y.dtype}")
        if y.min() < 0 or y.max() >= K:
            raise ValueError(
                f"{who}: class indices must lie in [0, {K - 1}], got values in [{y.min()}, {y.max()}]"
            )
    elif y.shape != (N, K):
        raise ValueError(
            f"{who}: for scores of shape {scores.shape} expected y of shape ({N},) "
            f"(class indices) or {scores.shape} (one-hot), got {y.shape}"
        )
    else:
        check_real(y, who=who)
        # Rows that are not distributions (-1s, or summing to 2) would give a loss below 0.
        tolerance = np.sqrt(np.finfo(y.dtype if y.dtype.kind == "f" else np.float64).eps)
        sums = y.sum(axis=1, dtype=np.float64)
        if not (np.all((y >= 0) & (y <= 1)) and np.all(np.abs(sums - 1) <= tolerance)):
            raise ValueError(
                f"{who}: target rows must be probabilities (entries in [0, 1] summing to 1, e.g. one-hot); "
                f"got entries in [{y.min()}, {y.max()}] and row sums in [{sums.min():.6g}, {sums.max():.6g}]"
            )


def cross_entropy(scores: np.ndarray, y: np.ndarray) -> np.floating:
    """Cross-entropy from raw scores (logits): -(1/N) sum_n sum_k y_nk log softmax(s_n)_k.

    With class indices this is -(1/N) sum_n log softmax(s_n)_{y_n}. Computed
    with `log_softmax`, so logits of +-1e4 give a finite loss.

    Args:
        scores: np.ndarray, (N, K) logits.
        y: np.ndarray, (N,) integer class indices or (N, K) one-hot / probabilities.
    Returns:
        A NumPy scalar of scores' dtype: the mean over the batch.
    """
    validate_class_targets(scores, y)
    log_p = log_softmax(scores, axis=1)  # (N, K)
    N = log_p.shape[0]
    y = np.asarray(y)
    if y.ndim == 1:
        return -np.mean(log_p[np.arange(N), y])
    return -np.sum(y.astype(log_p.dtype, copy=False) * log_p) / log_p.dtype.type(N)


def binary_cross_entropy(p: np.ndarray, y: np.ndarray) -> np.floating:
    """Binary cross-entropy from probabilities: -mean(y log p + (1 - y) log(1 - p)).

    p is clipped to [eps, 1 - eps], eps the machine epsilon of p's dtype
    (2.2e-16 for float64, 1.2e-7 for float32), so p = 0 or 1 gives a large
    but finite loss instead of log(0). Prefer `binary_cross_entropy_with_logits`
    when the logits are at hand: it needs no clipping.

    Args:
        p: np.ndarray, probabilities in [0, 1], any shape.
        y: np.ndarray, targets in [0, 1], same shape as p.
    Returns:
        A NumPy scalar of p's dtype: the mean over all elements.
    """
    p = as_float(p)
    y = np.asarray(y)
    _check_same_shape(p, y, "binary_cross_entropy")
    _check_binary_targets(y, "binary_cross_entropy")
    y = y.astype(p.dtype, copy=False)
    eps = np.finfo(p.dtype).eps
    p = np.clip(p, eps, 1 - eps)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def binary_cross_entropy_with_logits(u: np.ndarray, y: np.ndarray) -> np.floating:
    """Binary cross-entropy from logits u, p = sigmoid(u): mean(max(u, 0) - u y + log(1 + exp(-|u|))).

    The right-hand side equals -(y log p + (1 - y) log(1 - p)) exactly, and
    exp only sees -|u| <= 0, so logits of +-1e4 give a finite loss.

    Args:
        u: np.ndarray, logits, any shape.
        y: np.ndarray, targets in [0, 1], same shape as u.
    Returns:
        A NumPy scalar of u's dtype: the mean over all elements.
    """
    u = as_float(u)
    y = np.asarray(y)
    _check_same_shape(u, y, "binary_cross_entropy_with_logits")
    _check_binary_targets(y, "binary_cross_entropy_with_logits")
    y = y.astype(u.dtype, copy=False)
    return np.mean(np.maximum(u, 0) - u * y + np.log1p(np.exp(-np.abs(u))))
