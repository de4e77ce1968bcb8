"""The book's three explorers, each ready to ``.show()`` in a chapter.

* `optimizer_explorer`: an optimizer's path on a surface (SGD, Momentum,
  AdaGrad, RMSProp, Adam; learning rate, momentum α).
* `playground_explorer`: a small network learning a 2-D data set, as in
  TensorFlow Playground (data set, noise, depth, width, activation, learning
  rate, batch size).
* `overfitting_explorer`: dropout and weight decay against overfitting a small
  training set.

Each module keeps its explorer's pieces as plain functions (``run`` or
``init``/``step``, ``readout``) that a chapter can also call directly.
"""

from dlbook.explorers.optimizer import optimizer_explorer
from dlbook.explorers.overfitting import overfitting_explorer
from dlbook.explorers.playground import playground_explorer

__all__ = ["optimizer_explorer", "playground_explorer", "overfitting_explorer"]
