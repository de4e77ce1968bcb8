"""Hot changes: a training explorer's learning rate, momentum α, dropout rate or λ changed while it trains.

A practitioner lowers the learning rate when the loss plateaus, raises momentum
and watches the curve speed up, switches dropout on when the validation loss
turns up — without starting again. A training explorer lets the reader do the
same: its *hot* controls are applied to the running training at the next step,
keeping the weights and the optimizer's state (velocities, Adam's moments);
its *cold* controls (architecture, data, initialization) start a new run.

This module holds what the explorers share about it:

* `hot_names`: which controls of an explorer are hot (by declaration, else by name);
* `Change`: one hot change, recorded in the training state (``state.changes``)
  and drawn as a labelled vertical line on the curves ("lr 0.5 → 0.05");
* `Scenario`: a mid-run change the website precomputes, since a static page
  cannot train ("lr 0.5 for 10 epochs, then 0.05");
* `changes_text` and `diverged_after`: the readout's words for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["HOT_BY_DEFAULT", "Change", "Scenario", "hot_names", "make_change", "changes_text",
           "diverged_after"]

# Controls with these names are hot unless declared otherwise (``hot=False``).
HOT_BY_DEFAULT = ("lr", "momentum", "dropout", "weight_decay")
# How a change names them on the curve: short, as in the book's equations.
_SHORT = {"lr": "lr", "momentum": "α", "dropout": "dropout", "weight_decay": "λ"}


@dataclass(frozen=True)
class Change:
    """A hot change: at `epoch` (training had run that many epochs) control `name` went from `old` to `new`.

    `label` is how the curve and the readout show it, e.g. ``"lr 0.5 → 0.05"``;
    `short` names the control in it (``"lr"``, ``"α"``, ``"dropout"``, ``"λ"``).
    """

    epoch: int
    name: str
    old: Any
    new: Any
    short: str
    label: str


def make_change(epoch: int, name: str, control: Any, old: Any, new: Any) -> Change:
    """The `Change` of control `name` from `old` to `new` at `epoch`, labelled ``"lr 0.5 → 0.05"``."""
    short = _SHORT.get(name, control.label)
    return Change(epoch, name, old, new, short, f"{short} {control.format(old)} → {control.format(new)}")


@dataclass(frozen=True)
class Scenario:
    """A mid-run change precomputed for the website.

    Args:
        settings: the controls' values at the start (defaults for the rest).
        changes: ``{epoch: {hot control: new value}}``, applied when training
            has run that many epochs, e.g. ``{10: {"lr": 0.05}}``.
    """

    settings: Mapping[str, Any]
    changes: Mapping[int, Mapping[str, Any]]


def hot_names(controls: Mapping[str, Any], adjustable: bool) -> frozenset[str]:
    """The names of the hot controls.

    A control's ``hot=True``/``False`` decides; left ``None``, the names in
    `HOT_BY_DEFAULT` are hot. An explorer that cannot apply a change to a
    running training (no ``adjust``) has none.

    Raises:
        ValueError: a control is declared hot but the explorer cannot adjust.
    """
    declared = sorted(name for name, c in controls.items() if c.hot)
    if not adjustable:
        if declared:
            raise ValueError(f"Control(s) {declared} are declared hot, but the explorer has no `adjust` "
                             "to apply a change to a running training")
        return frozenset()
    return frozenset(name for name, c in controls.items()
                     if c.hot or (c.hot is None and name in HOT_BY_DEFAULT))


def changes_text(changes: Sequence[Change]) -> str:
    """The readout's sentence about the changes so far, e.g. "Changed while training: lr 0.5 → 0.05 at epoch 10."

    Empty when nothing was changed.
    """
    if not changes:
        return ""
    return "Changed while training: " + "; ".join(f"{c.label} at epoch {c.epoch}" for c in changes) + "."


def diverged_after(state: Any) -> str:
    """`` after lr → 2.0`` when the latest change came before the divergence, else "" (to follow "diverged at epoch k")."""
    changes = getattr(state, "changes", ())
    if state.diverged_at is None or not changes or changes[-1].epoch > state.diverged_at:
        return ""
    last = changes[-1]
    return f" after {last.short} → {last.label.rsplit('→ ', 1)[1]}"
