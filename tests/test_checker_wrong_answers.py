"""Every exercise checker rejects the wrong answers a learner is likely to give, and says why.

`WRONG` is a table of (checker, arguments, words the report must contain): for each checker
in `dlbook.exercises`, the slips a learner makes — off by a factor, the wrong axis, the wrong
sign, the global instead of each row's maximum, a forgotten scale, an input changed in place,
complex numbers, the wrong shape, a copy where the text forbids one. `REFERENCE` holds a right
answer for each checker, which must pass. A checker added to `dlbook.exercises` without at
least three wrong answers here fails `test_every_checker_has_a_table_entry`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from typing import NamedTuple

import numpy as np
import pytest

import dlbook.exercises
from dlbook import functional as F
from dlbook.exercises import backpropagation as bp
from dlbook.exercises import cnn, gradient_descent as gd, loss_functions as lf, optimizers as opt
from dlbook.exercises import perceptrons as pc, regularization as reg
from reader_answers import (  # the chapter's gates by their notebook names: check_gate finds them here
    AND, NAND, NOR, OR, XOR, add_and_subtract, forward_differences, gradient_on_copies, lstm_cell_forward,
    numerical_gradient, rnn_step_backward, stratified_kfold,
)
from dlbook.exercises import generative as gen
from dlbook.exercises import rnn
from dlbook.exercises import attention as att
from dlbook.exercises import batchnorm as bn2d, optimizer_variants as optv

pytestmark = pytest.mark.filterwarnings("error")  # a checker lets no warning through (ComplexWarning, ...)


class Wrong(NamedTuple):
    checker: object
    args: tuple
    says: tuple[str, ...]  # words the report must contain
    why: str


def text(result) -> str:
    """The report with its line wrapping undone, to search for a phrase."""
    return " ".join(str(result).split())


# ------------------------------------------------------------------- chapter 1 --

def xnor(x):
    return OR(np.stack([AND(x), NOR(x)], axis=-1))


def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x):
    return sigmoid(x) * (1 - sigmoid(x))


def two_layer_forward(x, W1, b1, W2, b2):
    return F.softmax(sigmoid(x @ W1 + b1) @ W2 + b2, axis=1)


def sigmoid_in_place(x):
    x *= -1
    np.exp(x, out=x)
    x += 1
    return 1 / x


# ------------------------------------------------------------------- chapter 3 --

def sgd_epoch(w, grad_fn, x, y, *, lr, batch_size, order, stored_order=False, stale=False, in_place=False,
              sign=1.0, full_batches_only=False):
    order = np.arange(len(x)) if stored_order else order
    w0, w_new = w, (w if in_place else w.copy())
    stop = len(order) - len(order) % batch_size if full_batches_only else len(order)
    for start in range(0, stop, batch_size):
        batch = order[start:start + batch_size]
        g = grad_fn(w0 if stale else w_new, x[batch], y[batch])
        if in_place:
            w_new -= lr * sign * g
        else:
            w_new = w_new - lr * sign * g
    return w_new


# ------------------------------------------------------------------- chapter 2 --

def log_softmax(s, *, axis=-1, global_max=False):
    shifted = s - (s.max() if global_max else s.max(axis=axis, keepdims=True))
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def cross_entropy(s, y, **kwargs):
    return -np.mean(log_softmax(s, **kwargs)[np.arange(len(y)), y])


def cross_entropy_grad(s, y, *, global_max=False):
    p = np.exp(log_softmax(s, global_max=global_max))
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


# ------------------------------------------------------------------- chapter 4 --

def linear_backward(x, W, b, dout):
    D, M = W.shape
    x2, d2 = x.reshape(-1, D), dout.reshape(-1, M)
    return dout @ W.T, x2.T @ d2, d2.sum(axis=0)


def sigmoid_backward(x, dout):
    y = sigmoid(x)
    return dout * y * (1 - y)


def two_layer_gradients(params, x, y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    N = x.shape[0]
    z1 = x @ W1 + b1
    h = np.maximum(z1, 0)
    dscores = F.softmax(h @ W2 + b2, axis=1)
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dz1 = (dscores @ W2.T) * (z1 > 0)
    return {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": h.T @ dscores, "b2": dscores.sum(axis=0)}


def scaled(gradients, factor):
    """A backward pass whose every gradient is `factor` times the right one."""
    def fn(*args):
        grads = gradients(*args)
        return {k: factor * v for k, v in grads.items()}
    return fn


def two_layer_changing_params(params, x, y):
    params["W1"] -= 0.1  # "an SGD step while I am at it": the caller's weights change
    return two_layer_gradients(params, x, y)


# ------------------------------------------------------------------- chapter 5 --

def momentum_step(w, v, grad, lr, alpha):
    v_new = alpha * v - lr * grad
    return w + v_new, v_new


def adam_step(w, m, v, grad, t, lr, beta1, beta2, eps, *, t_used=None, correct=True, root=True, square=True):
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * (grad**2 if square else grad)
    t = t if t_used is None else t_used
    m_hat = m_new / (1 - beta1**t) if correct else m_new
    v_hat = v_new / (1 - beta2**t) if correct else v_new
    with np.errstate(all="ignore"):
        return w - lr * m_hat / ((np.sqrt(v_hat) if root else v_hat) + eps), m_new, v_new


def momentum_in_place(w, v, grad, lr, alpha):
    v *= alpha
    v -= lr * grad
    w += v
    return w, v


def nesterov_step(w, v, grad_fn, lr, alpha, *, at="ahead", move_from="w"):
    point = {"ahead": w + alpha * v, "w": w, "behind": w - alpha * v}[at]
    v_new = alpha * v - lr * grad_fn(point)
    return (point if move_from == "ahead" else w) + v_new, v_new


def warmup_cosine(epoch, lr0, warmup, T, *, from_zero=False, restart=True, over=None):
    if epoch < warmup:
        return lr0 * (epoch + (0 if from_zero else 1)) / warmup
    e = epoch - warmup if restart else epoch
    return lr0 * (1 + np.cos(np.pi * e / (over or T - warmup))) / 2


# ------------------------------------------------------------------- chapter 6 --

def adamw_step(w, m, v, grad, t, lr, beta1, beta2, eps, weight_decay, *, coupled=False, decay_after=False,
               lr_in_decay=True):
    factor = 1 - (lr * weight_decay if lr_in_decay else weight_decay)
    if coupled:
        return adam_step(w, m, v, grad + weight_decay * w, t, lr, beta1, beta2, eps)
    if decay_after:
        w_new, m_new, v_new = adam_step(w, m, v, grad, t, lr, beta1, beta2, eps)
        return w_new * factor, m_new, v_new
    return adam_step(w * factor, m, v, grad, t, lr, beta1, beta2, eps)


def dropout_forward(x, p, rng, *, scale=None, keep_probability=None, source=None):
    keep = (source or rng).random(x.shape) < (1 - p if keep_probability is None else keep_probability)
    mask = keep / (1 - p) if scale is None else keep * scale
    return x * mask, keep


def dropout_backward(dout, keep, *, p=None):
    """The right backward needs p; the checker's forward passes use the masks' own scaling below."""
    return dout * keep


def dropout_pair_dividing_backward_by(divide_by_p: bool):
    """A forward that keeps the boolean mask and p; a backward that divides by 1 - p (or, wrongly, by p)."""
    def forward(x, p, rng):
        keep = rng.random(x.shape) < 1 - p
        return x * keep / (1 - p), (keep, p)

    def backward(dout, cache):
        keep, p = cache
        return dout * keep / (p if divide_by_p else 1 - p)
    return forward, backward


def dropout_forward_in_place(x, p, rng):
    x *= (rng.random(x.shape) < 1 - p) / (1 - p)
    return x, x != 0


def dropout_reference_forward(x, p, rng):
    mask = (rng.random(x.shape) < 1 - p) / (1 - p)
    return x * mask, mask


def dropout_reference_backward(dout, mask):
    return dout * mask


def l2_in_place(W, lam):
    W *= lam
    return W


def first_fold_only(y, k, rng):
    for train, val in stratified_kfold(y, k, rng):
        return train, val  # a return inside the loop: one pair, not k


# ------------------------------------------------------------------- chapter 7 --

def batchnorm2d_backward(dout, x, gamma, eps, *, axes=(0, 2, 3), mean_path=True, var_path=True):
    x_hat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    dx_hat = dout * gamma[None, :, None, None]
    dx = dx_hat - (dx_hat.mean(axis=axes, keepdims=True) if mean_path else 0)
    dx = dx - (x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True) if var_path else 0)
    return dx / np.sqrt(x.var(axis=axes, keepdims=True) + eps), (dout * x_hat).sum(axis=(0, 2, 3)), \
        dout.sum(axis=(0, 2, 3))


def fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps, *, slip=None):
    std = {"no eps": np.sqrt(running_var), "variance": running_var + eps,
           "eps outside": np.sqrt(running_var) + eps}.get(slip, np.sqrt(running_var + eps))
    scale = gamma / std
    W_folded = W * scale[:, None] if slip == "rows" else W * scale
    b_folded = {"no mean": b * scale + beta, "plus mean": (b + running_mean) * scale + beta,
                "no beta": (b - running_mean) * scale, "b unscaled": b - running_mean * scale + beta,
                }.get(slip, (b - running_mean) * scale + beta)
    return W_folded, b_folded


def fold_batchnorm_in_place(W, b, gamma, beta, running_mean, running_var, eps):
    scale = gamma / np.sqrt(running_var + eps)
    W *= scale
    b -= running_mean
    b *= scale
    return W, b + beta


# ------------------------------------------------------------------- chapter 8 --

def conv2d(x, W, b, stride, padding, *, flip=False, bias=True, channels=None, ignore_stride=False):
    N, C, H, Wd = x.shape
    F_, _, kh, kw = W.shape
    s = 1 if ignore_stride else stride
    W = W[:, :, ::-1, ::-1] if flip else W
    c = channels or C
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    OH, OW = (H + 2 * padding - kh) // s + 1, (Wd + 2 * padding - kw) // s + 1
    y = np.zeros((N, F_, OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = xp[:, :c, i * s:i * s + kh, j * s:j * s + kw]  # (N, c, kh, kw)
            y[:, :, i, j] = np.tensordot(window, W[:, :c], axes=([1, 2, 3], [1, 2, 3]))
    return y + (b[None, :, None, None] if bias else 0)


def maxpool_backward(x, dout, k, *, mode="max"):
    N, C, H, W = x.shape
    dx = np.zeros_like(x, dtype=float)
    for i in range(H // k):
        for j in range(W // k):
            window = x[:, :, i * k:i * k + k, j * k:j * k + k]  # (N, C, k, k)
            d = dout[:, :, i, j][:, :, None, None]
            if mode == "average":
                part = np.broadcast_to(d / (k * k), window.shape)
            elif mode == "all maxima":
                part = (window == window.max(axis=(2, 3), keepdims=True)) * d
            else:
                flat = window.reshape(N, C, -1)
                first = np.zeros_like(flat)
                np.put_along_axis(first, flat.argmax(axis=2)[..., None], 1.0, axis=2)
                part = first.reshape(window.shape) * (1.0 if mode == "ones" else d)
            dx[:, :, i * k:i * k + k, j * k:j * k + k] = part
    return dx


# ------------------------------------------------------------------- chapter 9 --



def clip_grad_norm(grads, max_norm, *, slip=None):
    total = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    for g in grads.values():
        if slip == "elementwise":
            np.clip(g, -max_norm, max_norm, out=g)
        elif slip != "copy":
            g *= min(1.0, max_norm / total)
    return total


# ------------------------------------------------------------ generative models --

def log_sigmoid(u):
    return -np.logaddexp(0, -u)


def discriminator_loss(u_real, u_fake, *, swap=False, per_count=None, naive=False):
    t_real, t_fake = (0.0, 1.0) if swap else (1.0, 0.0)
    n_real, n_fake = per_count or (len(u_real), len(u_fake))
    if naive:
        loss = -np.mean(np.log(1 / (1 + np.exp(-u_real)))) - np.mean(np.log(1 - 1 / (1 + np.exp(-u_fake))))
    else:
        loss = -np.mean(log_sigmoid(u_real)) - np.mean(log_sigmoid(-u_fake))
    return (loss, (np.exp(log_sigmoid(u_real)) - t_real) / n_real,
            (np.exp(log_sigmoid(u_fake)) - t_fake) / n_fake)


def generator_loss(u, *, minimax=False, sign=1.0, per_count=None):
    M = per_count or len(u)
    s = np.exp(log_sigmoid(u))
    if minimax:
        return np.mean(log_sigmoid(-u)), -s / M
    return sign * -np.mean(log_sigmoid(u)), sign * (s - 1) / M


# ------------------------------------------------------ attention and Transformers --

def masked_attention(q, k, v, mask, *, slip=None):
    d = q.shape[-1]
    S = q @ np.swapaxes(k, -1, -2) / {"no scale": 1.0, "d": d}.get(slip, np.sqrt(d))
    if slip == "multiply":
        S = S * mask
    elif slip != "no mask":
        S = np.where(mask, S, -np.inf)
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) @ v


def layernorm_backward(dout, x, gamma, eps, *, slip=None):
    axis = 0 if slip == "batch" else 1
    mean, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv
    g = dout if slip == "no gamma" else dout * gamma
    if slip == "no paths":
        dx = g * inv
    else:
        dx = inv * (g - g.mean(axis=axis, keepdims=True) - x_hat * (g * x_hat).mean(axis=axis, keepdims=True))
    x_hat1 = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return dx, (dout * x_hat1).sum(axis=0), dout.sum(axis=0)


def block_param_count(D, h, F, *, slip=None):
    attn = (4 * D * D + 4 * D) * (h if slip == "per head" else 1)
    norms = 0 if slip == "no norms" else 4 * D
    biases = slip != "no biases"
    return attn - (0 if biases else 4 * D) + 2 * D * F + (F + D if biases else 0) + norms


# ------------------------------------------------------------------- the table --

REFERENCE = {
    pc.check_nor: (np.array([-0.5, -0.5]), 0.2),
    pc.check_gate: (xnor, "XNOR"),
    pc.check_sigmoid: (sigmoid,),
    pc.check_sigmoid_grad: (sigmoid_grad,),
    pc.check_forward: (two_layer_forward,),
    gd.check_numerical_gradient: (numerical_gradient,),
    gd.check_sgd_epoch: (sgd_epoch,),
    gd.check_fastest_lr: (lambda a, c: 1 / (a + c),),
    lf.check_log_softmax: (log_softmax,),
    lf.check_cross_entropy: (cross_entropy,),
    lf.check_cross_entropy_grad: (cross_entropy_grad,),
    bp.check_linear_backward: (linear_backward,),
    bp.check_sigmoid_backward: (sigmoid_backward,),
    bp.check_two_layer_gradients: (two_layer_gradients,),
    opt.check_momentum_step: (momentum_step,),
    opt.check_adam_step: (adam_step,),
    optv.check_nesterov_lookahead_step: (nesterov_step,),
    optv.check_adamw_step: (adamw_step,),
    optv.check_warmup_cosine: (warmup_cosine,),
    bn2d.check_batchnorm2d_backward: (batchnorm2d_backward,),
    bn2d.check_fold_batchnorm: (fold_batchnorm,),
    reg.check_dropout: (dropout_reference_forward, dropout_reference_backward),
    reg.check_l2_gradient: (lambda W, lam: lam * W,),
    reg.check_stratified_kfold: (stratified_kfold,),
    cnn.check_output_size: (lambda n, k, s, p: (n + 2 * p - k) // s + 1,),
    cnn.check_conv2d: (conv2d,),
    cnn.check_maxpool_backward: (maxpool_backward,),
    rnn.check_rnn_step_backward: (rnn_step_backward,),
    rnn.check_lstm_cell_forward: (lstm_cell_forward,),
    rnn.check_clip_grad_norm: (clip_grad_norm,),
    gen.check_discriminator_loss: (discriminator_loss,),
    gen.check_generator_loss: (generator_loss,),
    att.check_masked_attention: (masked_attention,),
    att.check_layernorm_backward: (layernorm_backward,),
    att.check_block_param_count: (block_param_count,),
}

WRONG = [
    # chapter 1
    Wrong(pc.check_nor, (np.array([0.5, 0.5]), -0.2), ("x = (0, 0) gives 0, NOR is 1",), "OR's weights: wrong sign"),
    Wrong(pc.check_nor, (np.array([-0.5, -0.5]), 0.7), ("x = (1, 0) gives 1, NOR is 0",), "NAND's bias"),
    Wrong(pc.check_nor, (np.array([-0.5, -0.5, 0.2]), 0.0), ("shape (2,)",), "bias written into w"),
    Wrong(pc.check_nor, (np.array([-0.5 + 1j, -0.5]), 0.2), ("complex",), "complex output"),
    Wrong(pc.check_gate, (lambda x: float(x[0] == x[1]), "XNOR"), ("calls no gate",), "XNOR without gates"),
    Wrong(pc.check_gate, (lambda x: 1 - AND(np.stack([NAND(x), OR(x)])), "XNOR"), ("not what the last gate returns", "NAND(a, a)"),
          "NOT by arithmetic after the last gate"),
    Wrong(pc.check_gate, (XOR, "XNOR"), ("x = (0, 0) gives 0, XNOR is 1", "x = (1, 1) gives 0, XNOR is 1"),
          "XOR instead of XNOR"),
    Wrong(pc.check_gate, (lambda x: OR(np.stack([AND(x), NOR(x)])) + 1j, "XNOR"), ("complex",), "complex output"),
    Wrong(pc.check_gate, (lambda x: sys.exit(1), "XNOR"), ("sys.exit(1)",), "sys.exit in the reader's code"),
    Wrong(pc.check_gate, (lambda x: x, "AND"), ("single number",), "returns the input: wrong shape"),
    Wrong(pc.check_gate, (AND, {(0, 0): 0, (1, 1): 1}), ("no output for x = (1, 0), (0, 1)",),
          "an incomplete truth table"),
    Wrong(pc.check_sigmoid, (lambda x: 1 / (1 + np.exp(x)),), ("sigmoid(-6) should be 0.00247262, got 0.997527",),
          "wrong sign: sigmoid(-x)"),
    Wrong(pc.check_sigmoid, (lambda x: 1 / (1 + np.exp(-x)),), ("overflow",), "naive: overflows at -1000"),
    Wrong(pc.check_sigmoid, (sigmoid_in_place,), ("in place",), "changes x in place"),
    Wrong(pc.check_sigmoid, (lambda x: sigmoid(x) + 1j,), ("complex",), "complex output"),
    Wrong(pc.check_sigmoid, (lambda x: np.mean(sigmoid(x)),), ("should have x's shape",), "a mean: wrong shape"),
    Wrong(pc.check_sigmoid_grad, (lambda x: sigmoid(x) * (1 + sigmoid(x)),), ("sigmoid_grad(",), "1 + s: wrong sign"),
    Wrong(pc.check_sigmoid_grad, (sigmoid,), ("sigmoid_grad(0) should be 0.25, got 0.5",), "the sigmoid itself"),
    Wrong(pc.check_sigmoid_grad, (lambda x: 2 * sigmoid_grad(x),), ("should be 0.25, got 0.5",), "off by a factor 2"),
    Wrong(pc.check_sigmoid_grad, (lambda x: sigmoid_grad(x) + 0j,), ("complex",), "complex output"),
    Wrong(pc.check_forward, (lambda x, W1, b1, W2, b2: sigmoid(x @ W1 + b1) @ W2 + b2,),
          ("softmax at the end is missing",), "no softmax"),
    Wrong(pc.check_forward, (lambda x, W1, b1, W2, b2: F.softmax(sigmoid(x @ W1 + b1) @ W2 + b2, axis=0),),
          ("axis 0",), "softmax over the wrong axis"),
    Wrong(pc.check_forward, (lambda x, W1, b1, W2, b2: F.softmax(sigmoid(x @ W1) @ W2 + b2, axis=1),),
          ("b1 is missing",), "a forgotten bias"),
    Wrong(pc.check_forward, (lambda x, W1, b1, W2, b2: two_layer_forward(x, W1, b1, W2, b2).T,),
          ("should have shape (5, 2)",), "transposed: wrong shape"),
    Wrong(pc.check_forward, (lambda *a: two_layer_forward(*a) + 0j,), ("complex",), "complex output"),
    # chapter 3
    Wrong(gd.check_numerical_gradient, (gradient_on_copies,), ("with a copy of x",), "copies x for every element"),
    Wrong(gd.check_numerical_gradient, (forward_differences,), ("forward differences",), "forward differences"),
    Wrong(gd.check_numerical_gradient, (add_and_subtract,), ("x changed: x[4] was 2.3",), "x + h - h rounds"),
    Wrong(gd.check_numerical_gradient, (lambda f, x, h=1e-4: numerical_gradient(f, x, h, scale=1.0),),
          ("expected -8.0, got -16.0",), "divides by h, not 2h: off by a factor 2"),
    Wrong(gd.check_numerical_gradient, (lambda f, x, h=1e-4: numerical_gradient(f, x, h, sign=-1.0),),
          ("expected -8.0, got 8.0",), "f(x - h) - f(x + h): wrong sign"),
    Wrong(gd.check_numerical_gradient, (lambda f, x, h=1e-4: numerical_gradient(f, x, h, dtype=np.float32),),
          ("expected 12.01, got 12.0100002",), "float32 gradient: a difference only visible with more digits"),
    Wrong(gd.check_numerical_gradient, (lambda f, x, h=1e-4: numerical_gradient(f, x, h) + 0j,), ("complex",),
          "complex output"),
    Wrong(gd.check_sgd_epoch, (lambda *a, **k: sgd_epoch(*a, **k, full_batches_only=True),),
          ("called 2 time(s), not 3",), "the last, smaller batch is dropped"),
    Wrong(gd.check_sgd_epoch, (lambda *a, **k: sgd_epoch(*a, **k, stored_order=True),),
          ("in their stored order",), "ignores order"),
    Wrong(gd.check_sgd_epoch, (lambda *a, **k: sgd_epoch(*a, **k, in_place=True),),
          ("do not update it in place",), "changes the caller's w in place"),
    Wrong(gd.check_sgd_epoch, (lambda *a, **k: sgd_epoch(*a, **k, sign=-1.0),), ("uphill",), "wrong sign"),
    Wrong(gd.check_sgd_epoch, (lambda *a, **k: sgd_epoch(*a, **k, stale=True),),
          ("expected the w after the previous updates",), "every gradient taken at the start"),
    Wrong(gd.check_sgd_epoch, (lambda *a, **k: sgd_epoch(*a, **k) + 0j,), ("complex",), "complex output"),
    Wrong(gd.check_fastest_lr, (lambda a, c: 1 / max(a, c),), ("does not converge",), "the largest stable rate"),
    Wrong(gd.check_fastest_lr, (lambda a, c: 1 / (2 * max(a, c)),), ("not fastest",), "the steep direction only"),
    Wrong(gd.check_fastest_lr, (lambda a, c: -1 / (a + c),), ("positive learning rate",), "wrong sign"),
    Wrong(gd.check_fastest_lr, (lambda a, c: 1 / (a + c) + 0j,), ("complex",), "complex output"),
    Wrong(gd.check_fastest_lr, (lambda a, c: np.array([1.0, 1.0]) / (a + c),), ("one number",), "wrong shape"),
    # chapter 2
    Wrong(lf.check_log_softmax, (lambda s: log_softmax(s, global_max=True),), ("EACH ROW's maximum",),
          "global instead of each row's maximum"),
    Wrong(lf.check_log_softmax, (lambda s: np.log(F.softmax(s)),), ("huge logits stay finite",), "log of softmax"),
    Wrong(lf.check_log_softmax, (lambda s: log_softmax(s.ravel()).reshape(s.shape),),
          ("normalized over the whole array",), "normalized over the whole array"),
    Wrong(lf.check_log_softmax, (lambda s: log_softmax(s, axis=0),), ("each column (axis 0)",), "the wrong axis"),
    Wrong(lf.check_log_softmax, (lambda s: -log_softmax(s),), ("expected -2.31703, got 2.31703",), "wrong sign"),
    Wrong(lf.check_log_softmax, (lambda s: log_softmax(s) + 0j,), ("complex",), "complex output"),
    Wrong(lf.check_cross_entropy, (lambda s, y: cross_entropy(s, y, global_max=True),), ("EACH ROW's maximum",),
          "global instead of each row's maximum"),
    Wrong(lf.check_cross_entropy, (lambda s, y: len(y) * cross_entropy(s, y),), ("divide by N",),
          "a sum, not a mean: forgets 1/N"),
    Wrong(lf.check_cross_entropy, (lambda s, y: -cross_entropy(s, y),), ("MINUS the log-probability",), "wrong sign"),
    Wrong(lf.check_cross_entropy, (lambda s, y: -np.mean(log_softmax(s)[:, y]),), ("ONE entry per row",),
          "columns instead of one entry per row"),
    Wrong(lf.check_cross_entropy, (lambda s, y: -log_softmax(s)[np.arange(len(y)), y],), ("one number",),
          "no mean: wrong shape"),
    Wrong(lf.check_cross_entropy, (lambda s, y: cross_entropy(s, y) + 1j,), ("complex",), "complex output"),
    Wrong(lf.check_cross_entropy_grad, (lambda s, y: cross_entropy_grad(s, y, global_max=True),),
          ("EACH ROW's maximum",), "global instead of each row's maximum"),
    Wrong(lf.check_cross_entropy_grad, (lambda s, y: len(y) * cross_entropy_grad(s, y),), ("divide by the batch",),
          "forgets 1/N"),
    Wrong(lf.check_cross_entropy_grad, (lambda s, y: -cross_entropy_grad(s, y),), ("wrong sign",), "y - p"),
    Wrong(lf.check_cross_entropy_grad, (lambda s, y: F.softmax(s) / len(y),), ("subtract 1",), "forgets the one-hot"),
    Wrong(lf.check_cross_entropy_grad, (lambda s, y: cross_entropy_grad(s, y).T,), ("should have the scores' shape",),
          "transposed: wrong shape"),
    Wrong(lf.check_cross_entropy_grad, (lambda s, y: cross_entropy_grad(s, y) * (1 + 1e-6),),
          ("should be below 1e-7",), "slightly wrong: relative error 5e-7"),
    Wrong(lf.check_cross_entropy_grad, (lambda s, y: cross_entropy_grad(s, y) + 0j,), ("complex",), "complex output"),
    # chapter 4
    Wrong(bp.check_linear_backward, (lambda x, W, b, d: (d @ W.T, *linear_backward(x, W, b, d)[1:2],
                                                          d.reshape(-1, 3).mean(axis=0)),),
          ("b is added to every row, so its gradient is the sum",), "db a mean: forgets the sum"),
    Wrong(bp.check_linear_backward, (lambda x, W, b, d: (d @ W.T, x.T @ d, d.sum(axis=0)),),
          ("flatten them first",), "works for (N, D) only"),
    Wrong(bp.check_linear_backward, (lambda x, W, b, d: (d @ W.T, linear_backward(x, W, b, d)[1].T,
                                                          linear_backward(x, W, b, d)[2]),),
          ("it is transposed",), "dW transposed: wrong shape"),
    Wrong(bp.check_linear_backward, (lambda x, W, b, d: (-d @ W.T, *linear_backward(x, W, b, d)[1:]),),
          ("dx has relative error 1.0e+00",), "dx: wrong sign"),
    Wrong(bp.check_linear_backward, (lambda *a: tuple(g + 0j for g in linear_backward(*a)),), ("complex",),
          "complex output"),
    Wrong(bp.check_sigmoid_backward, (lambda x, d: sigmoid_grad(x),), ("multiply it by dout",),
          "forgets dout: the chain rule"),
    Wrong(bp.check_sigmoid_backward, (lambda x, d: d * x * (1 - x),), ("use y = sigmoid(x)",), "x instead of y"),
    Wrong(bp.check_sigmoid_backward, (lambda x, d: 2 * sigmoid_backward(x, d),), ("sigmoid'(0) = 0.25",),
          "off by a factor 2"),
    Wrong(bp.check_sigmoid_backward, (lambda x, d: sigmoid_backward(x, d) + 1j,), ("complex",), "complex output"),
    Wrong(bp.check_two_layer_gradients, (bp.buggy_two_layer_gradients,), ("db1 has relative error",),
          "db1 from dh, not dz1"),
    Wrong(bp.check_two_layer_gradients, (scaled(two_layer_gradients, 8.0),), ("dW1 has relative error",),
          "forgets 1/N: off by a factor N"),
    Wrong(bp.check_two_layer_gradients, (scaled(two_layer_gradients, 1 + 1e-6),), ("should be below 1e-7",),
          "slightly wrong: relative error 5e-7, 'suspicious' in the chapter"),
    Wrong(bp.check_two_layer_gradients, (two_layer_changing_params,), ("changed one of its input arrays in place",),
          "changes the caller's parameters in place"),
    Wrong(bp.check_two_layer_gradients, (lambda p, x, y: [two_layer_gradients(p, x, y)[k] for k in p],),
          ("return a dict",), "a list, not a dict"),
    Wrong(bp.check_two_layer_gradients, (scaled(two_layer_gradients, 1 + 0j),), ("complex",), "complex output"),
    # chapter 5
    Wrong(opt.check_momentum_step, (lambda w, v, grad, lr, alpha: momentum_step(w, v, -grad, lr, alpha),),
          ("points the wrong way",), "wrong sign"),
    Wrong(opt.check_momentum_step, (lambda w, v, grad, lr, alpha: momentum_step(w, v, grad, lr, 1.0),),
          ("alpha is missing",), "forgets alpha"),
    Wrong(opt.check_momentum_step, (lambda w, v, grad, lr, alpha: (w + v, alpha * v - lr * grad),),
          ("update v first",), "w moved with the old velocity"),
    Wrong(opt.check_momentum_step, (momentum_in_place,), ("changed its input",), "in place"),
    Wrong(opt.check_momentum_step, (lambda w, v, grad, lr, alpha: momentum_step(w, v, grad, lr, alpha)[0],),
          ("should return a tuple (w_new, v_new)",), "returns only w: wrong shape"),
    Wrong(opt.check_momentum_step, (lambda **a: tuple(r + 0j for r in momentum_step(**a)),), ("complex",),
          "complex output"),
    Wrong(opt.check_adam_step, (lambda **a: adam_step(**a, correct=False),), ("no bias correction",),
          "forgets the bias correction"),
    Wrong(opt.check_adam_step, (lambda t, **a: adam_step(t=t, **a, t_used=t - 1 or t + 1),),
          ("wrong t",), "t off by one"),
    Wrong(opt.check_adam_step, (lambda **a: adam_step(**a, root=False),), ("square root is missing",),
          "forgets the square root"),
    Wrong(opt.check_adam_step, (lambda **a: adam_step(**a, square=False),), ("squared gradient",),
          "v averages grad, not grad**2"),
    Wrong(opt.check_adam_step, (lambda **a: tuple(np.asarray(r) + 0j for r in adam_step(**a)),), ("complex",),
          "complex output"),
    Wrong(optv.check_nesterov_lookahead_step, (lambda **a: nesterov_step(**a, at="w"),), ("plain momentum",),
          "gradient at w: momentum"),
    Wrong(optv.check_nesterov_lookahead_step, (lambda **a: nesterov_step(**a, at="behind"),),
          ("the way the velocity points",), "look-ahead backwards"),
    Wrong(optv.check_nesterov_lookahead_step, (lambda **a: nesterov_step(**a, move_from="ahead"),),
          ("moved from the look-ahead point",), "steps from the look-ahead point"),
    Wrong(optv.check_nesterov_lookahead_step,
          (lambda w, v, grad_fn, lr, alpha: (lambda g: (w + alpha * (alpha * v - lr * g) - lr * g, alpha * v - lr * g))(
              grad_fn(w + alpha * v)),), ("reparameterized rule",), "the package's form applied to w"),
    Wrong(optv.check_nesterov_lookahead_step, (lambda **a: tuple(r + 0j for r in nesterov_step(**a)),), ("complex",),
          "complex output"),
    Wrong(optv.check_warmup_cosine, (lambda *a: warmup_cosine(*a, from_zero=True),), ("epoch 0 would not learn",),
          "warm-up from 0"),
    Wrong(optv.check_warmup_cosine, (lambda *a: warmup_cosine(*a, restart=False),), ("start after the warm-up",),
          "cosine not restarted"),
    Wrong(optv.check_warmup_cosine, (lambda e, lr0, w, T: warmup_cosine(e, lr0, w, T, over=T),),
          ("not over T",), "cosine over all T epochs"),
    Wrong(optv.check_warmup_cosine, (lambda e, lr0, w, T: lr0 * (1 + np.cos(np.pi * e / T)) / 2,),
          ("expected",), "no warm-up at all"),
    Wrong(optv.check_warmup_cosine, (lambda e, lr0, w, T: np.full(3, warmup_cosine(e, lr0, w, T)),),
          ("one number for one epoch",), "an array"),
    Wrong(optv.check_warmup_cosine, (lambda *a: complex(warmup_cosine(*a)),), ("complex",), "complex output"),
    # chapter 6
    Wrong(optv.check_adamw_step, (lambda **a: adamw_step(**a, coupled=True),), ("Adam with L2 (coupled)",),
          "coupled L2"),
    Wrong(optv.check_adamw_step, (lambda **a: adamw_step(**a, lr_in_decay=False),), ("scaled by the learning rate",),
          "decay without lr"),
    Wrong(optv.check_adamw_step, (lambda **a: adamw_step(**a, decay_after=True),), ("decay first",),
          "decays the new weights"),
    Wrong(optv.check_adamw_step, (lambda weight_decay, **a: adam_step(**a),), ("the decay is missing",), "no decay"),
    Wrong(optv.check_adamw_step, (lambda **a: tuple(np.asarray(r) + 0j for r in adamw_step(**a)),), ("complex",),
          "complex output"),
    Wrong(reg.check_dropout, dropout_pair_dividing_backward_by(divide_by_p=True), ("divided by p = 0.3",),
          "backward divides by p, not 1 - p"),
    Wrong(reg.check_dropout, (lambda x, p, rng: dropout_forward(x, p, rng, scale=1.0), dropout_backward),
          ("unchanged (out = x)",), "forgets the 1 / (1 - p) scale"),
    Wrong(reg.check_dropout, (lambda x, p, rng: dropout_forward(x, p, rng, keep_probability=p), dropout_backward),
          ("probability of DROPPING",), "drops with probability 1 - p"),
    Wrong(reg.check_dropout, (lambda x, p, rng: dropout_forward(x, p, rng, source=np.random.default_rng()),
                              dropout_backward), ("from the rng argument",), "np.random, not rng"),
    Wrong(reg.check_dropout, (dropout_forward_in_place, dropout_backward), ("changed its input x in place",),
          "in place"),
    Wrong(reg.check_dropout, (dropout_reference_forward, lambda dout, mask: dout.copy()),
          ("should be 0 wherever",), "backward ignores the mask"),
    Wrong(reg.check_dropout, (lambda x, p, rng: (lambda out, m: (out + 0j, m))(*dropout_reference_forward(x, p, rng)),
                              dropout_reference_backward), ("complex",), "complex output"),
    Wrong(reg.check_l2_gradient, (lambda W, lam: 2 * lam * W,), ("twice the right answer",), "off by a factor 2"),
    Wrong(reg.check_l2_gradient, (lambda W, lam: -lam * W,), ("sign is flipped",), "wrong sign"),
    Wrong(reg.check_l2_gradient, (lambda W, lam: W.copy(),), ("expected",), "forgets lam"),
    Wrong(reg.check_l2_gradient, (l2_in_place,), ("changed W in place",), "in place"),
    Wrong(reg.check_l2_gradient, (lambda W, lam: lam * W + 0j,), ("complex",), "complex output"),
    Wrong(reg.check_l2_gradient, (lambda W, lam: lam * np.sum(W),), ("should have shape",), "a sum: wrong shape"),
    Wrong(reg.check_stratified_kfold, (lambda y, k, rng: stratified_kfold(y, k, rng, slip="plain"),),
          ("the folds are not stratified", "plain k-fold ignores y"), "plain k-fold: the labels ignored"),
    Wrong(reg.check_stratified_kfold, (lambda y, k, rng: stratified_kfold(y, k, rng, slip="per-class split"),),
          ("fold sizes differ by more than 1", "np.array_split on each class"),
          "np.array_split per class: the first folds get every class's leftovers"),
    Wrong(reg.check_stratified_kfold, (lambda y, k, rng: stratified_kfold(y, k, rng, slip="no shuffle"),),
          ("the split ignores rng",), "dealt without shuffling"),
    Wrong(reg.check_stratified_kfold,
          (lambda y, k, rng: stratified_kfold(y, k, np.random.default_rng()),), ("from the rng argument",),
          "a generator of its own, not rng"),
    Wrong(reg.check_stratified_kfold, (lambda y, k, rng: stratified_kfold(y, k, rng, slip="choice"),),
          ("the folds must not overlap", "rng.choice draws with replacement"),
          "shuffled with rng.choice: indices repeated and missing"),
    Wrong(reg.check_stratified_kfold, (lambda y, k, rng: stratified_kfold(y, k, rng, slip="train all"),),
          ("is every index, its validation fold included",), "train_idx is everything"),
    Wrong(reg.check_stratified_kfold, (lambda y, k, rng: stratified_kfold(y, k, rng, slip="val only"),),
          ("not a pair (train_idx, val_idx)",), "the validation folds only"),
    Wrong(reg.check_stratified_kfold, (first_fold_only,), ("a return inside the loop",), "returns the first pair"),
    Wrong(reg.check_stratified_kfold, (lambda y, k, rng: stratified_kfold(y, k, rng, slip="floats"),),
          ("holds floats", "np.array([], dtype=int)"), "indices gathered from np.array([]): floats"),
    Wrong(reg.check_stratified_kfold,
          (lambda y, k, rng: [(t, np.isin(np.arange(len(y)), v)) for t, v in stratified_kfold(y, k, rng)],),
          ("True/False", "np.flatnonzero"), "a boolean mask for val_idx"),
    Wrong(reg.check_stratified_kfold,
          (lambda y, k, rng: [(t, v + 0j) for t, v in stratified_kfold(y, k, rng)],), ("complex",), "complex output"),
    # chapter 7
    Wrong(bn2d.check_batchnorm2d_backward, (lambda *a: batchnorm2d_backward(*a, axes=(0,)),),
          ("not over N alone",), "statistics over N only"),
    Wrong(bn2d.check_batchnorm2d_backward, (lambda *a: batchnorm2d_backward(*a, mean_path=False),),
          ("path through the mean is missing",), "no mean path"),
    Wrong(bn2d.check_batchnorm2d_backward, (lambda *a: batchnorm2d_backward(*a, var_path=False),),
          ("path through the variance is missing",), "no variance path"),
    Wrong(bn2d.check_batchnorm2d_backward,
          (lambda *a: (lambda dx, dg, db: (dx, dg.reshape(1, -1, 1, 1), db))(*batchnorm2d_backward(*a)),),
          ("one number per channel",), "dgamma not summed to (C,)"),
    Wrong(bn2d.check_batchnorm2d_backward, (lambda *a: tuple(r + 0j for r in batchnorm2d_backward(*a)),),
          ("complex",), "complex output"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a, slip="rows"),),
          ("each scales a column of W", "the rows of W were scaled"), "scales the rows of W, not the columns"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a, slip="no eps"),), ("eps is missing",),
          "forgets eps"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a, slip="eps outside"),),
          ("eps goes inside the square root",), "sqrt(var) + eps"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a[:-1], 1e-5),), ("use the eps argument",),
          "eps hard-coded as 1e-5"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a, slip="variance"),),
          ("divides by the variance",), "the variance, not the standard deviation"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a, slip="no beta"),), ("beta is missing",),
          "forgets beta"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a, slip="no mean"),),
          ("the running mean is missing",), "b_folded = b * scale + beta"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a, slip="plus mean"),),
          ("the running mean is added",), "+ running_mean: wrong sign"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: fold_batchnorm(*a, slip="b unscaled"),), ("b was not scaled",),
          "b left unscaled"),
    Wrong(bn2d.check_fold_batchnorm, (fold_batchnorm_in_place,), ("changed its input W in place",), "in place"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: (fold_batchnorm(*a)[0], fold_batchnorm(*a)[1][None, :]),),
          ("b_folded should have shape (M,)",), "b_folded (1, M): wrong shape"),
    Wrong(bn2d.check_fold_batchnorm, (lambda *a: tuple(r + 0j for r in fold_batchnorm(*a)),), ("complex",),
          "complex output"),
    # chapter 8
    Wrong(cnn.check_output_size, (lambda n, k, s, p: (n + 2 * p - k) // s,), ("forgot the + 1",), "off by one"),
    Wrong(cnn.check_output_size, (lambda n, k, s, p: (n + p - k) // s + 1,), ("2 * padding",), "padding once"),
    Wrong(cnn.check_output_size, (lambda n, k, s, p: n + 2 * p - k + 1,), ("divide by the stride",),
          "forgets the stride"),
    Wrong(cnn.check_output_size, (lambda n, k, s, p: (n + 2 * p - k) / s + 1,), ("integer division //",),
          "true division"),
    Wrong(cnn.check_output_size, (lambda n, k, s, p: complex((n + 2 * p - k) // s + 1),), ("complex",),
          "complex output"),
    Wrong(cnn.check_conv2d, (lambda *a: conv2d(*a, flip=True),), ("flipped the kernel",), "a true convolution"),
    Wrong(cnn.check_conv2d, (lambda *a: conv2d(*a, bias=False),), ("bias b[f] is missing",), "forgets the bias"),
    Wrong(cnn.check_conv2d, (lambda *a: conv2d(*a, channels=1),), ("only channel 0",), "one channel only"),
    Wrong(cnn.check_conv2d, (lambda *a: conv2d(*a, ignore_stride=True),), ("should have shape (N, F, OH, OW)",),
          "ignores the stride: wrong shape"),
    Wrong(cnn.check_conv2d, (lambda *a: conv2d(*a) + 0j,), ("complex",), "complex output"),
    Wrong(cnn.check_maxpool_backward, (lambda x, d, k: maxpool_backward(x, d, k, mode="average"),),
          ("average pooling",), "spreads dout over the window"),
    Wrong(cnn.check_maxpool_backward, (lambda x, d, k: maxpool_backward(x, d, k, mode="ones"),),
          ("holds 1 there",), "forgets dout: the chain rule"),
    Wrong(cnn.check_maxpool_backward, (lambda x, d, k: maxpool_backward(x, d, k, mode="all maxima"),),
          ("once, to one of them",), "a tie gets dout twice"),
    Wrong(cnn.check_maxpool_backward, (lambda x, d, k: d,), ("should have the shape of x",), "wrong shape"),
    Wrong(cnn.check_maxpool_backward, (lambda *a: maxpool_backward(*a) + 0j,), ("complex",), "complex output"),
    # chapter 9
    Wrong(rnn.check_rnn_step_backward, (lambda *a: rnn_step_backward(*a, slip="no tanh'"),),
          ("forgot tanh's derivative",), "skips tanh's derivative"),
    Wrong(rnn.check_rnn_step_backward, (lambda *a: rnn_step_backward(*a, slip="W_h not transposed"),), ("transpose",),
          "W_h instead of its transpose"),
    Wrong(rnn.check_rnn_step_backward, (lambda *a: rnn_step_backward(*a, slip="h for dW_h"),), ("not by h",),
          "h instead of h_prev in dW_h"),
    Wrong(rnn.check_rnn_step_backward, (lambda *a: tuple(g + 0j for g in rnn_step_backward(*a)),), ("complex",),
          "complex output"),
    Wrong(rnn.check_lstm_cell_forward, (lambda *a: lstm_cell_forward(*a, slip="ifog"),), ("order i, f, g, o",),
          "gates read in the order i, f, o, g"),
    Wrong(rnn.check_lstm_cell_forward, (lambda *a: lstm_cell_forward(*a, slip="no tanh(c)"),),
          ("goes through tanh",), "h = o * c"),
    Wrong(rnn.check_lstm_cell_forward, (lambda *a: lstm_cell_forward(*a, slip="no i"),),
          ("input gate scales the candidate",), "forgets the input gate"),
    Wrong(rnn.check_lstm_cell_forward, (lambda *a: tuple(v + 0j for v in lstm_cell_forward(*a)),), ("complex",),
          "complex output"),
    Wrong(rnn.check_clip_grad_norm, (lambda g, m: clip_grad_norm(g, m, slip="elementwise"),),
          ("clipped each number",), "np.clip on the values"),
    Wrong(rnn.check_clip_grad_norm, (lambda g, m: clip_grad_norm(g, m, slip="copy"),), ("in place",),
          "leaves the arrays unchanged"),
    Wrong(rnn.check_clip_grad_norm, (lambda g, m: max_norm_of(g, m),), ("norm after clipping",),
          "returns the norm after clipping"),
    Wrong(rnn.check_clip_grad_norm, (lambda g, m: complex(clip_grad_norm(g, m)),), ("complex",), "complex output"),
    # generative models
    Wrong(gen.check_discriminator_loss, (lambda r, f: discriminator_loss(r, f, swap=True),), ("labels are swapped",),
          "real and fake labels swapped"),
    Wrong(gen.check_discriminator_loss, (lambda r, f: discriminator_loss(r, f, per_count=(len(r) + len(f),) * 2),),
          ("not by N + M",), "divided by all samples, not each batch"),
    Wrong(gen.check_discriminator_loss, (lambda r, f: discriminator_loss(r, f, naive=True),), ("logaddexp",),
          "naive log(sigmoid): log 0 at ±1000"),
    Wrong(gen.check_discriminator_loss, (lambda r, f: (discriminator_loss(r, f)[0] + 1j, *discriminator_loss(r, f)[1:]),),
          ("complex",), "complex output"),
    Wrong(gen.check_generator_loss, (lambda u: generator_loss(u, minimax=True),), ("minimax",),
          "the saturating minimax loss"),
    Wrong(gen.check_generator_loss, (lambda u: generator_loss(u, sign=-1.0),), ("wrong sign",), "maximizes"),
    Wrong(gen.check_generator_loss, (lambda u: generator_loss(u, per_count=1),), ("divide the gradient by M",),
          "a sum, not a mean"),
    Wrong(gen.check_generator_loss, (lambda u: (generator_loss(u)[0], generator_loss(u)[1] + 0j),), ("complex",),
          "complex output"),
    # attention and Transformers
    Wrong(att.check_masked_attention, (lambda *a: masked_attention(*a, slip="no scale"),), ("sqrt(d)",),
          "scores not scaled"),
    Wrong(att.check_masked_attention, (lambda *a: masked_attention(*a, slip="d"),), ("not by d",), "divided by d"),
    Wrong(att.check_masked_attention, (lambda *a: masked_attention(*a, slip="no mask"),), ("mask was not applied",),
          "mask ignored"),
    Wrong(att.check_masked_attention, (lambda *a: masked_attention(*a, slip="multiply"),), ("-inf",),
          "masked scores multiplied by 0"),
    Wrong(att.check_masked_attention, (lambda *a: masked_attention(*a) + 0j,), ("complex",), "complex output"),
    Wrong(att.check_layernorm_backward, (lambda *a: layernorm_backward(*a, slip="no paths"),),
          ("mean and variance",), "dx through x_hat only"),
    Wrong(att.check_layernorm_backward, (lambda *a: layernorm_backward(*a, slip="batch"),), ("BatchNorm",),
          "statistics over the batch"),
    Wrong(att.check_layernorm_backward, (lambda *a: layernorm_backward(*a, slip="no gamma"),), ("gamma was left out",),
          "gamma forgotten in dx"),
    Wrong(att.check_layernorm_backward, (lambda *a: tuple(g + 0j for g in layernorm_backward(*a)),), ("complex",),
          "complex output"),
    Wrong(att.check_block_param_count, (lambda *a: block_param_count(*a, slip="no norms"),), ("LayerNorms",),
          "layer norms forgotten"),
    Wrong(att.check_block_param_count, (lambda *a: block_param_count(*a, slip="per head"),), ("share",),
          "attention weights counted per head"),
    Wrong(att.check_block_param_count, (lambda *a: block_param_count(*a, slip="no biases"),), ("bias",),
          "biases forgotten"),
    Wrong(att.check_block_param_count, (lambda *a: complex(block_param_count(*a)),), ("complex",), "complex output"),
]


def max_norm_of(grads, max_norm):
    """Clips right, but returns the norm after clipping."""
    return min(clip_grad_norm(grads, max_norm), max_norm)


def _checkers() -> dict[str, object]:
    """Every checker in dlbook.exercises: the check_* names in each chapter module's __all__."""
    found = {}
    for info in pkgutil.iter_modules(dlbook.exercises.__path__):
        module = importlib.import_module(f"dlbook.exercises.{info.name}")
        for name in getattr(module, "__all__", []):
            if name.startswith("check_"):
                found[f"{info.name}.{name}"] = getattr(module, name)
    return found


def test_every_checker_has_a_table_entry():
    checkers = _checkers()
    assert len(checkers) >= 21
    for name, checker in checkers.items():
        wrong = [w for w in WRONG if w.checker is checker]
        assert len(wrong) >= 3, f"{name}: add at least three likely wrong answers to WRONG"
        assert checker in REFERENCE, f"{name}: add a right answer to REFERENCE"


@pytest.mark.parametrize("checker", list(REFERENCE), ids=lambda c: c.__name__)
def test_the_reference_answer_passes(checker):
    result = checker(*REFERENCE[checker])
    assert result.passed, str(result)


@pytest.mark.parametrize("wrong", WRONG, ids=[f"{w.checker.__name__}: {w.why}" for w in WRONG])
def test_a_likely_wrong_answer_is_rejected_with_a_useful_message(wrong):
    result = wrong.checker(*wrong.args)
    assert not result.passed, f"{wrong.why} passed {wrong.checker.__name__}"
    report = text(result)
    for words in wrong.says:
        assert words in report, report
    assert "NOT YET" in report


COMPLEX = [w for w in WRONG if w.why == "complex output"]


@pytest.mark.parametrize("wrong", COMPLEX, ids=[w.checker.__name__ for w in COMPLEX])
def test_complex_answers_are_refused_without_a_warning(wrong):
    # In a notebook warnings are only shown, not raised: the checker must refuse the answer itself,
    # not drop the imaginary part with a ComplexWarning and pass it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = wrong.checker(*wrong.args)
    assert not result.passed and "complex" in text(result), text(result)
    assert not [w for w in caught if issubclass(w.category, np.exceptions.ComplexWarning)]


def test_every_checker_is_tried_with_a_complex_answer():
    assert {w.checker for w in COMPLEX} == set(_checkers().values())
