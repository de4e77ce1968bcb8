"""Controls: what an explorer lets the reader change, described once for both of its modes.

Four kinds, each with a label, its allowed values and a default:

* `Slider` — evenly spaced numbers (``IntSlider``/``FloatSlider`` live);
* `LogSlider` — round numbers spanning decades, 0.001, 0.002, 0.005, 0.01, ...
  (learning rates, weight decay);
* `Choice` — one of a few options (a drop-down);
* `Toggle` — on or off (a checkbox).

Every control also takes two keyword arguments:

* ``static=[...]``: the values the website precomputes (each kind has a
  sensible default); one value shows the control fixed on the website;
* ``when={"other control": (values, ...)}``: the control matters only when the
  other controls have one of these values (momentum α only for Momentum). It is
  grayed out otherwise, and its value is then taken as its default, so the
  settings that differ only in it share one result.

In a training explorer a control is also *hot* or *cold*: a hot control
(learning rate, momentum α, dropout rate, weight decay λ) is applied to the
running training at the next step, a cold one (architecture, data,
initialization) starts training again. ``hot=True``/``False`` says which;
left ``None``, the explorer decides by the control's name (see `dlbook.hot`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Slider", "LogSlider", "Choice", "Toggle", "Control", "active"]


def _finite(label: str, value: Any) -> float:
    """`value` as a float, or a ValueError naming the control: NaN, inf, text and bools are not settings."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"Invalid value for {label!r}: {value!r} (expected a finite number)")
    return float(value)


def _round(value: float) -> float:
    """Drop float noise (0.30000000000000004 -> 0.3) so equal settings compare equal."""
    return float(f"{value:.10g}")


@dataclass(frozen=True, kw_only=True)
class _Control:
    """What all controls share: which values the website precomputes, when the control matters, and if it is hot."""

    static: Sequence[Any] | None = None
    when: Mapping[str, Sequence[Any]] | None = field(default=None, hash=False)
    hot: bool | None = None


def active(control: _Control, values: Mapping[str, Any]) -> bool:
    """Does `control` matter at these settings (is every condition in its ``when`` met)?"""
    return not control.when or all(values[name] in allowed for name, allowed in control.when.items())


@dataclass(frozen=True)
class Slider(_Control):
    """A linear slider from `min` to `max` in steps of `step` (integers if all three are).

    Args:
        label: what the reader sees, e.g. ``"hidden units"``.
        min, max, step: the range and its spacing.
        default: the starting value (snapped onto the grid).
        static: website values; default: five evenly spaced ones plus the default.
    """

    label: str
    min: float
    max: float
    step: float
    default: float

    def __post_init__(self) -> None:
        if not self.min < self.max or self.step <= 0:
            raise ValueError(f"Invalid slider range for {self.label!r}: {self.min}..{self.max} step {self.step}")

    @property
    def integer(self) -> bool:
        return all(float(v).is_integer() for v in (self.min, self.max, self.step))

    def options(self) -> list:
        count = int(round((self.max - self.min) / self.step)) + 1
        return [self.snap(self.min + i * self.step) for i in range(count)]

    def snap(self, value: float) -> float | int:
        i = round((min(max(_finite(self.label, value), self.min), self.max) - self.min) / self.step)
        snapped = _round(min(self.min + i * self.step, self.max))
        return int(snapped) if self.integer else snapped

    def static_values(self) -> list:
        if self.static is not None:
            return sorted({self.snap(v) for v in self.static})
        every = self.options()
        picks = {every[round(i * (len(every) - 1) / 4)] for i in range(5)}
        return sorted(picks | {self.snap(self.default)})

    def format(self, value: float) -> str:
        return str(int(value)) if self.integer else f"{value:.4g}"


@dataclass(frozen=True)
class LogSlider(_Control):
    """A slider over round numbers spanning decades, for learning rates and the like.

    Args:
        label: what the reader sees.
        min, max: the range, both > 0.
        default: the starting value (snapped to the nearest stop).
        steps_per_decade: round stops per decade: 1 (1, 10, ...), 2 (1, 3, 10, ...),
            3 (1, 2, 5, 10, ...) or 10 (Renard's preferred numbers 1, 1.25, 1.6, 2,
            2.5, 3.2, 4, 5, 6.3, 8); other counts space the stops evenly in log10.
        zero: also offer 0 as the first stop (e.g. "no weight decay").
        static: website values; default: the powers of ten, the default (and 0 with `zero`).
    """

    label: str
    min: float
    max: float
    default: float
    steps_per_decade: int = 3
    zero: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.min < self.max:
            raise ValueError(f"Invalid log slider range for {self.label!r}: {self.min}..{self.max}")

    def options(self) -> list[float]:
        mantissas = {1: (1,), 2: (1, 3), 3: (1, 2, 5),
                     10: (1, 1.25, 1.6, 2, 2.5, 3.2, 4, 5, 6.3, 8)}.get(self.steps_per_decade)
        stops = []
        for decade in range(math.floor(math.log10(self.min)) - 1, math.ceil(math.log10(self.max)) + 1):
            if mantissas is None:
                stops += [10 ** (decade + i / self.steps_per_decade) for i in range(self.steps_per_decade)]
            else:
                stops += [m * 10.0**decade for m in mantissas]
        tolerance = 1e-9
        kept = {float(f"{s:.3g}") for s in stops if self.min * (1 - tolerance) <= s <= self.max * (1 + tolerance)}
        return ([0.0] if self.zero else []) + sorted(kept)

    def snap(self, value: float) -> float:
        value = _finite(self.label, value)
        stops = self.options()
        positive = [s for s in stops if s > 0]
        if value <= 0 or (self.zero and value < positive[0] / 2):
            return stops[0]  # 0 with `zero`, else the smallest stop
        return min(positive, key=lambda s: abs(math.log(s) - math.log(value)))

    def static_values(self) -> list[float]:
        if self.static is not None:
            return sorted({self.snap(v) for v in self.static})
        decades = {s for s in self.options() if s == 0 or math.log10(s).is_integer()}
        return sorted(decades | {self.snap(self.default)})

    def format(self, value: float) -> str:
        return "0" if value == 0 else f"{value:g}"


@dataclass(frozen=True)
class Choice(_Control):
    """One of a few options (a drop-down).

    Args:
        label: what the reader sees.
        choices: the values, shown with ``str`` (e.g. ``("SGD", "Adam")``).
        default: the starting option.
        static: website options; default: all of them.
    """

    label: str
    choices: Sequence[Any]
    default: Any

    def __post_init__(self) -> None:
        if self.default not in self.choices:
            raise ValueError(f"Invalid default for {self.label!r}: {self.default!r} is not one of {list(self.choices)}")

    def options(self) -> list:
        return list(self.choices)

    def snap(self, value: Any) -> Any:
        if value not in self.choices:
            raise ValueError(f"Invalid value for {self.label!r}: {value!r} is not one of {list(self.choices)}")
        return value

    def static_values(self) -> list:
        wanted = self.choices if self.static is None else self.static
        return [v for v in self.choices if v in wanted]

    def format(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class Toggle(_Control):
    """An on/off switch (a checkbox).

    Args:
        label: what the reader sees.
        default: the starting state.
        static: website states; default: both.
    """

    label: str
    default: bool = False

    def options(self) -> list[bool]:
        return [False, True]

    def snap(self, value: Any) -> bool:
        # True/False (NumPy's too) or 1/0; bool("off") would be True, so text is refused.
        if not (isinstance(value, (numbers.Real, np.bool_)) and value in (0, 1)):
            raise ValueError(f"Invalid value for {self.label!r}: {value!r} (expected True or False)")
        return bool(value)

    def static_values(self) -> list[bool]:
        return [False, True] if self.static is None else sorted({bool(v) for v in self.static})

    def format(self, value: bool) -> str:
        return "on" if value else "off"


Control = Slider | LogSlider | Choice | Toggle
