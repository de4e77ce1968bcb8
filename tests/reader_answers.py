"""Answers a reader might write, shared by the checker tests (right ones and typical wrong ones).

The logic gates are the chapter 1 notebook's, by the same names: `check_gate` finds them in the
globals of the module that defines the reader's function, so a test module imports them by name.
"""

import numpy as np


# ------------------------------------------------------------ chapter 1: gates --

def step(z):
    return (np.asarray(z) > 0).astype(float)


def perceptron(x, w, b):
    return step(x @ np.asarray(w, dtype=float) + b)


def AND(x):
    return perceptron(x, [0.5, 0.5], -0.7)


def NAND(x):
    return perceptron(x, [-0.5, -0.5], 0.7)


def OR(x):
    return perceptron(x, [0.5, 0.5], -0.2)


def NOR(x):
    return perceptron(x, [-0.5, -0.5], 0.2)


def XOR(x):
    return AND(np.stack([NAND(x), OR(x)], axis=-1))


# ------------------------------------------- chapter 3: the numerical gradient --

def numerical_gradient(f, x, h=1e-4, *, scale=2.0, sign=1.0, dtype=None):
    """Central differences, changing x in place and putting each element back exactly.

    ``scale``, ``sign`` and ``dtype`` make the usual slips: dividing by h instead of 2h
    (scale=1), f(x - h) - f(x + h) (sign=-1), a float32 result.
    """
    grad = np.zeros(x.shape, dtype=dtype or x.dtype)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        f_plus = f(x)
        x[i] = saved - h
        f_minus = f(x)
        x[i] = saved  # not saved - h + h, which may round differently
        grad[i] = sign * (f_plus - f_minus) / (scale * h)
    return grad


def gradient_on_copies(f, x, h=1e-4):
    """The right numbers, but x is copied for every element, which the exercise forbids."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def forward_differences(f, x, h=1e-4):
    grad, fx = np.zeros_like(x), f(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        grad[i] = (f(x) - fx) / h
        x[i] = saved
    return grad


def add_and_subtract(f, x, h=1e-4):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h  # rounds: not always the original value
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


# ------------------------------------------ chapter 6: stratified k-fold --

def stratified_kfold(y, k, rng, *, slip=None):
    """Shuffle, sort by label (stable: each class stays shuffled), deal position j to fold j % k.

    ``slip`` makes a usual mistake: "plain" (the chapter's k-fold, y ignored), "no shuffle",
    "per-class split" (np.array_split on each class), "choice" (rng.choice, with replacement),
    "train all" (train_idx is every index), "val only" (no train_idx), "floats" (indices
    gathered from np.array([])).
    """
    y = np.asarray(y)
    n = len(y)
    if slip == "plain":
        folds = np.array_split(rng.permutation(n), k)
    elif slip == "per-class split":
        parts = [np.array_split(rng.permutation(np.flatnonzero(y == c)), k) for c in np.unique(y)]
        folds = [np.concatenate(fold) for fold in zip(*parts)]
    else:
        order = {None: rng.permutation(n), "no shuffle": np.arange(n)}.get(slip, rng.permutation(n))
        if slip == "choice":
            order = rng.choice(n, n)
        order = order[np.argsort(y[order], kind="stable")]
        folds = [order[i::k] for i in range(k)]
    for val in folds:
        train = np.arange(n) if slip == "train all" else np.setdiff1d(np.arange(n), val)
        if slip == "val only":
            yield val
        elif slip == "floats":
            yield np.append(np.array([]), train), np.append(np.array([]), val)
        else:
            yield train, val


# ---- chapter 9: one RNN step backward, one LSTM step forward (slip= gives a likely mistake) ----

def rnn_step_backward(dh, x, h_prev, h, W_x, W_h, *, slip=None):
    da = dh if slip == "no tanh'" else dh * (1 - h) if slip == "1 - h" else dh * (1 - h * h)
    dW_h = (h if slip == "h for dW_h" else h_prev).T @ da
    dh_prev = da @ (W_h if slip == "W_h not transposed" else W_h.T)
    db = da.mean(axis=0) if slip == "mean" else da.sum(axis=0)
    return da @ W_x.T, dh_prev, x.T @ da, dW_h, db


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_cell_forward(x, h_prev, c_prev, W_x, W_h, b, *, slip=None):
    a = x @ W_x + h_prev @ W_h + b
    H = h_prev.shape[1]
    i, f, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
    if slip == "ifog":
        g, o = o, g
    i, f, o = sigmoid(i), sigmoid(f), sigmoid(o)
    g = sigmoid(g) if slip == "sigmoid g" else np.tanh(g)
    c = f * c_prev + (g if slip == "no i" else i * g)
    h = o * c if slip == "no tanh(c)" else o * np.tanh(c)
    if slip == "h_prev":
        h = o * np.tanh(c) + h_prev
    return h, c
