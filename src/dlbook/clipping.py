"""Gradient clipping by the global norm, as PyTorch's ``torch.nn.utils.clip_grad_norm_``.

    total_norm = sqrt(sum over every gradient g of sum(g²))
    if total_norm > max_norm:  every g <- g * max_norm / (total_norm + 1e-6)

The direction of the whole gradient is kept; only its length is capped. An
exploding step of backpropagation through time then moves the weights by at
most about lr * max_norm instead of throwing them far away.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["clip_grad_norm"]


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float, norm_type: float = 2.0) -> float:
    """Scale all gradients IN PLACE so that their joint norm is at most max_norm; return the norm before.

    As PyTorch: the scale is min(1, max_norm / (total_norm + 1e-6)), so a norm
    below max_norm leaves the gradients unchanged.

    Args:
        grads: dict of np.ndarray (e.g. ``model.grads()`` or a layer's ``grads``), updated in place.
        max_norm: float > 0, the largest norm allowed.
        norm_type: 2.0 (default, the Euclidean norm of all entries together) or ``math.inf``
            (the largest absolute entry).
    Returns:
        float: the total norm of the gradients before clipping.
    """
    if not (isinstance(max_norm, (int, float, np.floating)) and math.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"Invalid max_norm: {max_norm} (expected a finite number > 0)")
    if norm_type not in (2.0, math.inf):
        raise ValueError(f"Invalid norm_type: {norm_type} (expected 2.0 or math.inf)")
    arrays = list(grads.values())
    if not arrays:
        return 0.0
    if norm_type == math.inf:
        total_norm = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in arrays)
    else:
        # Accumulate in float64: squares of float32 gradients can overflow float32's range.
        total_norm = math.sqrt(sum(float(np.dot(g.ravel().astype(np.float64), g.ravel())) for g in arrays))
    clip_coef = max_norm / (total_norm + 1e-6)
    if clip_coef < 1.0:
        for g in arrays:
            g *= g.dtype.type(clip_coef)
    return total_norm
