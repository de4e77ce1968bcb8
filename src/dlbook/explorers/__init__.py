"""The book's explorers, one module each, each ready to ``.show()`` in a chapter.

Used across the book (importable from here):

* `optimizer_explorer`: an optimizer's path on a surface (SGD, Momentum,
  AdaGrad, RMSProp, Adam; learning rate, momentum α).
* `playground_explorer`: a small network learning a 2-D data set, as in
  TensorFlow Playground (data set, noise, depth, width, activation, learning
  rate, batch size).
* `overfitting_explorer`: dropout and weight decay against overfitting a small
  training set.

One chapter each (import from their modules):

* `approximation` (1): hidden units fitting a 1-D function.
* `logistic_neuron` (2): MSE against cross-entropy from a bad start.
* `bowl`, `logistic_batch` (3): learning rate on a bowl; batch size.
* `digits_trainer`, `gradient_depth` (4): training on digits; gradients per layer.
* `initialization`, `momentum` (5): weight scale and activation histograms;
  optimizers and momentum α training a network on the digits.
* `batchnorm` (7): batch normalization against the initial weight scale.
* `convolution`, `cnn_trainer` (8): a kernel on a digit; a CNN training.
* `attention_scaling`, `transformer_trainer`, `attention_heatmap` (attention):
  √d, temperature and the causal mask; a decoder-only Transformer learning to
  rewrite dates (learning rate hot); where each output character looks.
* `gan_ring`, `digits_gan` (generative models): a GAN learning a ring of Gaussians;
  a digits GAN played back epoch by epoch, with latent interpolation.

Each module keeps its explorer's pieces as plain functions (``run`` or
``init``/``step``, ``readout``) that a chapter can also call directly. The
explorers that train a classifier epoch by epoch share their common pieces
through `classifier_training`; their learning rate, momentum α, dropout rate
and weight decay λ are hot controls (`dlbook.hot`).
"""

from dlbook.explorers.optimizer import optimizer_explorer
from dlbook.explorers.overfitting import overfitting_explorer
from dlbook.explorers.playground import playground_explorer

__all__ = ["optimizer_explorer", "playground_explorer", "overfitting_explorer"]
