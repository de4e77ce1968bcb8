"""Checks the whole engine shares, so that bad input fails loudly instead of giving a wrong number.

* Arrays: ``check_real`` refuses complex numbers, text and objects (complex
  numbers would lose their imaginary part, text would be parsed as numbers);
  ``as_float`` turns integers and bools into float64 and leaves float arrays
  alone, so integer input is computed in floating point everywhere.
* dtypes: ``check_float_dtype`` refuses an integer dtype for weights, running
  statistics or scaled images, which would silently round to whole numbers.
* Hyperparameters: a class deriving from ``Hyperparameters`` names a check for
  each hyperparameter in ``hyperparameter_checks``; the check runs on every
  assignment (in ``__init__`` and later, when a schedule or a live slider
  changes the value between steps), so ``opt.momentum = 5`` raises at once.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, Callable, ClassVar

import numpy as np

__all__ = ["check_real", "as_float", "check_float_dtype", "number_check", "Hyperparameters"]


def check_real(x: np.ndarray, *, who: str = "dlbook") -> None:
    """Raise a ValueError naming `who` unless `x` holds real numbers (floats, integers or bools).

    Args:
        x: array-like.
        who: the function or layer named in the message.
    """
    dtype = np.asarray(x).dtype
    if dtype.kind not in "biuf":
        raise ValueError(f"{who}: expected real numbers, got an array of dtype {dtype}")


def as_float(x: np.ndarray, *, who: str = "dlbook") -> np.ndarray:
    """`x` as an array of floats: float arrays keep their dtype (no copy), integers and bools become float64.

    Args:
        x: array-like of real numbers (anything else raises a ValueError naming `who`).
        who: the function or layer named in the message.
    Returns:
        np.ndarray of x's shape, floating dtype.
    """
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.floating):
        return x
    check_real(x, who=who)
    return x.astype(np.float64)


def check_float_dtype(dtype: np.dtype | type, *, who: str = "dlbook") -> np.dtype:
    """`dtype` as a np.dtype if it is a floating-point one; else a ValueError naming `who`.

    Args:
        dtype: anything np.dtype accepts (np.float32, "float64", ...).
        who: the function or layer named in the message.
    """
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"{who}: Invalid dtype: {dtype} (expected a floating-point dtype, e.g. np.float32)")
    return dtype


def number_check(valid: Callable[[float], bool], what: str, hint: str = "") -> Callable[[Any], float]:
    """A hyperparameter check: a real number for which `valid` holds, returned as a float.

    Anything else raises ``ValueError(f"Invalid {what}: {value}{hint}")``; a value
    that is not a number (text, None) is shown quoted. NaN fails every comparison,
    so ``valid`` written with comparisons refuses it.

    Args:
        valid: e.g. ``lambda p: 0 <= p < 1``.
        what: e.g. ``"momentum value"``.
        hint: appended to the message, e.g. ``" (expected 0 <= p < 1)"``.
    """

    def check(value: Any) -> float:
        if not (isinstance(value, Real) and valid(value)):
            raise ValueError(f"Invalid {what}: {value if isinstance(value, Real) else repr(value)}{hint}")
        return float(value)

    return check


class Hyperparameters:
    """Mixin: each attribute named in ``hyperparameter_checks`` is checked whenever it is assigned."""

    # name -> check(value) returning the value to store, or raising ValueError
    hyperparameter_checks: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        check = self.hyperparameter_checks.get(name)
        super().__setattr__(name, value if check is None else check(value))
