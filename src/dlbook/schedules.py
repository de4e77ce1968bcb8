"""Learning-rate schedules: change ``optimizer.lr`` from epoch to epoch.

Each schedule wraps an optimizer from `dlbook.optim`; call ``step()`` once at
the end of every epoch (``dlbook.train.train(..., scheduler=...)`` does). Each
also gives its learning rate in closed form, ``lr_at(epoch)``, so a chapter can
plot a schedule without training anything.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

from .optim import Optimizer, _check_nonnegative

__all__ = ["LRScheduler", "StepLR", "CosineAnnealingLR"]


class LRScheduler(ABC):
    """Base class: remembers the optimizer's starting lr and sets ``optimizer.lr = lr_at(epoch)``.

    Call `step()` once at the end of every epoch. Epoch 0 uses the starting lr.

    Args:
        optimizer (Optimizer): the optimizer whose `lr` is set.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def step(self) -> float:
        """End an epoch: count it and set the optimizer's lr for the next one. Returns that lr."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr

    @abstractmethod
    def lr_at(self, epoch: int) -> float:
        """The learning rate in `epoch` (>= 0), in closed form: a pure function for plotting."""


class StepLR(LRScheduler):
    """Multiply lr by gamma every `step_size` epochs: ``lr(e) = base_lr * gamma ** (e // step_size)``.

    Args:
        optimizer (Optimizer): the optimizer whose `lr` is set.
        step_size (int): epochs between decays, >= 1.
        gamma (float, default 0.1): decay factor, >= 0.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not (isinstance(step_size, (int, np.integer)) and step_size >= 1):
            raise ValueError(f"Invalid step_size value: {step_size}")
        self.step_size = int(step_size)
        self.gamma = _check_nonnegative("gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        if epoch < 0:
            raise ValueError(f"Invalid epoch value: {epoch}")
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from base_lr down to eta_min over T_max epochs::

        lr(e) = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / T_max)) / 2

    Past T_max the cosine goes on and lr rises again, as in PyTorch.

    Args:
        optimizer (Optimizer): the optimizer whose `lr` is set.
        T_max (int): epochs from base_lr to eta_min, >= 1.
        eta_min (float, default 0.0): the smallest lr, >= 0.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if not (isinstance(T_max, (int, np.integer)) and T_max >= 1):
            raise ValueError(f"Invalid T_max value: {T_max}")
        self.T_max = int(T_max)
        self.eta_min = _check_nonnegative("eta_min", eta_min)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        if epoch < 0:
            raise ValueError(f"Invalid epoch value: {epoch}")
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
