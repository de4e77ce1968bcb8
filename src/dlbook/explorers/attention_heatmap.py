"""Where does each output character look? Attention weights of the two trained date models.

* the LSTM encoder–decoder with attention (`dlbook.seq2seq.Seq2Seq`): one
  weight per (output character, input character);
* the decoder-only Transformer of `transformer_trainer`: each layer and head has
  its own weights, from each answer position to every earlier position.

The reader picks a date as written, the model, and for the Transformer the
layer and head; the heatmap's rows are the answer's characters, its columns
the input's. Both models are trained once (seeded) and shared with the chapter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dlbook import viz
from dlbook.clipping import clip_grad_norm
from dlbook.dates import PAD, SOURCE_LENGTH, SOURCE_VOCAB, START, TARGET_LENGTH, TARGET_VOCAB, encode_dates
from dlbook.explorers.transformer_trainer import BATCH, MAX_NORM, VOCAB, date_splits, exact_match, \
    train_transformer
from dlbook.optim import Adam
from dlbook.seq2seq import Seq2Seq
from dlbook.time_layers import TimeSoftmaxCrossEntropy
from dlbook.widgets import Choice, Explorer

__all__ = ["heatmap_explorer", "Seq2SeqRun", "train_seq2seq", "seq2seq_answers", "alignment", "Alignment",
           "draw_alignment", "INPUTS", "MODELS"]

INPUTS = ("september 27, 1994", "3 feb 2011", "17.06.1968", "12/01/85")
MODELS = ("LSTM + attention", "Transformer")
EMBED, HIDDEN = 16, 32
START_ID = TARGET_VOCAB.index[START]


def _teacher_inputs(tgt: np.ndarray) -> np.ndarray:
    """[START, y_1 .. y_9]: what the decoder reads while it writes y_1 .. y_10."""
    return np.concatenate([np.full((len(tgt), 1), START_ID), tgt[:, :-1]], axis=1)


def seq2seq_answers(model: Seq2Seq, sources: list[str], targets: list[str]) -> list[str]:
    """The answers in one teacher-forced pass (right in every character exactly when greedy decoding is)."""
    src, tgt = encode_dates(sources, targets)
    return [TARGET_VOCAB.decode(row) for row in model.forward(src, _teacher_inputs(tgt)).argmax(axis=-1)]


@dataclass
class Seq2SeqRun:
    """A trained encoder–decoder and its record: loss and validation exact match per epoch, seconds."""

    model: Seq2Seq
    loss: list
    val_acc: list
    seconds: float


@lru_cache(maxsize=4)
def train_seq2seq(attention: bool, epochs: int = 6, lr: float = 0.01, seed: int = 0) -> Seq2SeqRun:
    """Train the LSTM encoder–decoder (with or without attention) on the 3,000 training dates, seeded."""
    rng = np.random.default_rng(seed)
    model = Seq2Seq(len(SOURCE_VOCAB), len(TARGET_VOCAB), EMBED, HIDDEN, attention=attention,
                    pad_id=SOURCE_VOCAB.index[PAD], rng=rng, dtype=np.float32)
    splits = date_splits()
    src, tgt = encode_dates(*splits["train"])
    tgt_in = _teacher_inputs(tgt)
    optimizer, loss_fn = Adam(lr=lr), TimeSoftmaxCrossEntropy()
    losses, val_acc = [], []
    start = time.perf_counter()
    for _ in range(epochs):
        order, epoch_losses = rng.permutation(len(src)), []
        for i in range(0, len(src), BATCH):
            b = order[i : i + BATCH]
            epoch_losses.append(loss_fn.forward(model.forward(src[b], tgt_in[b]), tgt[b]))
            model.backward(loss_fn.backward())
            grads = model.grads()
            clip_grad_norm(grads, MAX_NORM)
            optimizer.step(model.params(), grads)
        losses.append(float(np.mean(epoch_losses)))
        val_acc.append(exact_match(seq2seq_answers(model, *splits["val"]), splits["val"][1]))
    return Seq2SeqRun(model, losses, val_acc, time.perf_counter() - start)


@dataclass(frozen=True)
class Alignment:
    """Attention weights from the answer's characters (rows) to the input's characters (columns)."""

    source: str
    answer: str
    weights: np.ndarray  # (10, number of columns)
    columns: str  # the characters the columns stand for
    title: str


def alignment(source: str, model: str = MODELS[0], layer: int = 1, head: int = 1) -> Alignment:
    """The weights as the chosen trained model writes the answer to `source` (its own answer, greedily)."""
    if model == MODELS[0]:
        net = train_seq2seq(True).model
        src, _ = encode_dates([source])
        out = net.generate(src, START_ID, TARGET_LENGTH)  # leaves the weights of every step, (1, 10, 18)
        answer = TARGET_VOCAB.decode(out[0])
        keep = slice(SOURCE_LENGTH - len(source), SOURCE_LENGTH)  # the padding gets no weight: leave it out
        return Alignment(source, answer, net.attn_weights[0][:, keep], source, "LSTM encoder–decoder + attention")
    if model != MODELS[1]:
        raise ValueError(f"Invalid model: {model!r} (one of {MODELS})")
    answer, weights = _transformer_weights(source)
    A = weights[layer - 1][head - 1]  # (28, 28)
    rows = A[SOURCE_LENGTH : SOURCE_LENGTH + TARGET_LENGTH]  # the positions that write the answer
    first = SOURCE_LENGTH - len(source)
    text = source + START + answer[:-1]
    return Alignment(source, answer, rows[:, first:], text, f"Transformer, layer {layer}, head {head}")


@lru_cache(maxsize=16)
def _transformer_weights(source: str) -> tuple[str, list[np.ndarray]]:
    """The trained Transformer's answer to `source` and every layer's weights as it reads source ^ answer:
    a list of (heads, 28, 28) arrays. One forward serves every layer and head."""
    net = train_transformer().model
    prompt = VOCAB.encode(source.rjust(SOURCE_LENGTH, PAD) + START)[None]
    seq = net.generate(prompt, TARGET_LENGTH)  # (1, 29)
    net.forward(seq[:, :-1])
    return VOCAB.decode(seq[0, SOURCE_LENGTH + 1 :]), [A[0] for A in net.attention_weights()]


def draw_alignment(ax, a: Alignment, *, cax=None):
    """The heatmap on `ax`: answer characters down, input characters across (a colour bar in `cax`, if
    given); returns the image."""
    with viz.style():
        im = ax.imshow(a.weights, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(a.columns)), [c if c != " " else "␣" for c in a.columns], fontsize=8,
                      family="monospace")
        ax.set_yticks(range(len(a.answer)), list(a.answer), fontsize=8, family="monospace")
        ax.tick_params(length=0)
        ax.set_xlabel("input (what is read)")
        ax.set_ylabel("output (what is written)")
        ax.set_title(a.title, fontsize=9)
        if cax is not None:
            ax.figure.colorbar(im, cax=cax, label="attention weight")
    return im


def readout(a: Alignment) -> str:
    top = [a.columns[j] for j in a.weights.argmax(axis=1)]
    return (f"{a.title}: '{a.source}' → '{a.answer}'. The input character with the largest weight for each "
            f"output character: {' '.join(f'{o}←{c}' for o, c in zip(a.answer, top))}.")


def _draw(a: Alignment):
    fig, ax = viz.new_figure(6.4, 3.0)
    fig.set_layout_engine("none")  # fixed margins: several times faster than laying out every image
    ax.set_position((0.09, 0.17, 0.77, 0.74))
    draw_alignment(ax, a, cax=fig.add_axes((0.89, 0.17, 0.02, 0.74)))
    return fig


def heatmap_explorer() -> Explorer:
    """The explorer: a date as written, the model, and the Transformer's layer and head.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    transformer = {"model": (MODELS[1],)}
    controls = {
        "source": Choice("date as written", INPUTS, INPUTS[0]),
        "model": Choice("model", MODELS, MODELS[0]),
        "layer": Choice("layer", (1, 2), 2, when=transformer),
        "head": Choice("head", (1, 2, 3, 4), 1, when=transformer),
    }
    return Explorer(controls, alignment, _draw, readout=readout,
                    title="Attention heatmap: where each output character looks",
                    alt="Heatmap of attention weights, one row per character of the ISO date written, one column "
                        "per character of the date as read; darker cells carry more weight.",
                    dpi=100, static_dpi=90)
