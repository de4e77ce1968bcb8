"""dlbook: the shared NumPy package of *Deep Learning from Scratch, the interactive textbook*.

One concept per module (see docs/ARCHITECTURE.md):

    functional  step, sigmoid, softmax, … and the losses as plain functions
    layers      Linear, ReLU, Sigmoid, Tanh, LeakyReLU, Dropout, BatchNorm, Flatten
    conv        im2col / col2im, Conv2D, MaxPool2D, AvgPool2D
    resnet      ResidualBlock (conv, batch norm, shortcut), GlobalAvgPool2D
    losses      SoftmaxCrossEntropy, SigmoidBCE, MSELoss
    model       Sequential
    init        normal, xavier, he
    optim       SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW
    schedules   learning-rate schedules: StepLR, CosineAnnealingLR
    rnn         recurrent layers over sequences: RNN, LSTM, GRU
    time_layers Embedding, TimeLinear, TimeSoftmaxCrossEntropy (every time step)
    clipping    clip_grad_norm: gradient clipping by the global norm
    attention   scaled dot-product attention (masks, backward), MultiHeadAttention
    transformer LayerNorm, PositionalEncoding, TransformerBlock (pre-norm)
    seq2seq     an LSTM encoder–decoder, with or without attention
    language_model  next-token models: TransformerLM (decoder-only), LSTMLM
    gan         generative adversarial networks: the two losses, D's and G's steps, the ring data
    gradcheck   numerical gradients and gradient checks
    data        digits, MNIST, 2-D toy sets, splits, mini-batches, augmentation
    sequences   generated sequences: noisy sines, delayed recall, addition text
    dates       generated dates as written -> ISO 8601, for alignment
    train       the training loop, accuracy, early stopping
    small_digits  chapters 6 and 7's small problem: 300 training digits, make_net, fit
    surfaces    functions to watch optimizers on
    validation  the checks every module shares (real numbers, float dtypes, hyperparameters)
    hot         changes applied to a training explorer while it trains
    show        show(obj): the package's own source, in a notebook

Importing `dlbook` loads NumPy only; the figure and explorer modules
(`dlbook.viz`, `dlbook.widgets`, `dlbook.explorers`) load matplotlib and
ipywidgets when they are imported themselves.
"""

from . import (attention, clipping, conv, data, dates, functional, gradcheck, init, language_model, layers, losses,
               model, optim, rnn, schedules, seq2seq, sequences, surfaces, time_layers, train, transformer)
from .clipping import clip_grad_norm
from .show import show

__version__ = "0.1.0"

__all__ = [
    "attention", "clipping", "conv", "data", "dates", "functional", "gradcheck", "init", "language_model", "layers",
    "losses", "model", "optim", "rnn", "schedules", "seq2seq", "sequences", "surfaces", "time_layers", "train",
    "transformer", "clip_grad_norm", "show", "__version__",
]
