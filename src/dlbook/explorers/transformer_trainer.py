"""A tiny decoder-only Transformer learning to rewrite dates, epoch by epoch.

Each example is one sequence: the date as written, left-padded to 18
characters, a start symbol ``^``, then the ISO date, e.g.
``"september 27, 1994^1994-09-27"``. The model (`dlbook.language_model.TransformerLM`,
d_model 32, causal pre-norm blocks) predicts every next character; only the
10 characters of the answer count in the loss. Accuracy is exact match of the
answer (as greedy decoding would write it) on a validation set of 300 dates; the test set
(500 dates) is for the chapter's final numbers only.

The learning rate is hot (`dlbook.hot`): changed while training it applies
from the next epoch, keeping Adam's moments. Heads and layers restart.
Runs are seeded; finished epochs are cached (keyed by the settings and the
hot changes so far), so the chapter's numbers and the explorer share them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from dlbook import viz
from dlbook.clipping import clip_grad_norm
from dlbook.dates import PAD, SOURCE_LENGTH, SOURCE_VOCAB, START, TARGET_LENGTH, TARGET_VOCAB, date_pairs
from dlbook.explorers.classifier_training import adjust, mark_changes, mark_diverged
from dlbook.hot import Scenario, diverged_after
from dlbook.language_model import TransformerLM
from dlbook.optim import Adam
from dlbook.sequences import CharVocab
from dlbook.time_layers import TimeSoftmaxCrossEntropy
from dlbook.widgets import Choice, LogSlider, TrainingExplorer

__all__ = ["transformer_explorer", "TrainerState", "VOCAB", "date_splits", "lm_arrays", "exact_match", "init",
           "step", "readout", "train_transformer", "D_MODEL"]

VOCAB = CharVocab(SOURCE_VOCAB.chars + TARGET_VOCAB.chars)
D_MODEL, BATCH, MAX_NORM = 32, 64, 1.0
N_TRAIN, N_VAL, N_TEST = 3000, 300, 500
DTYPE = np.float32
N_SAMPLES = 4  # validation dates shown with the model's answer


@lru_cache(maxsize=1)
def date_splits() -> dict[str, tuple[list[str], list[str]]]:
    """{"train", "val", "test"}: (sources, targets) drawn from three separate seeds (never overlapping use)."""
    return {name: date_pairs(n, rng=np.random.default_rng(seed))
            for name, n, seed in (("train", N_TRAIN, 0), ("val", N_VAL, 1), ("test", N_TEST, 2))}


def lm_arrays(sources: list[str], targets: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (n, 28) and next-token targets (n, 28) of the sequences source ^ target; -100 (ignored) except
    where the next token is a character of the answer."""
    seq = np.stack([VOCAB.encode(s.rjust(SOURCE_LENGTH, PAD) + START + t) for s, t in zip(sources, targets)])
    x, y = seq[:, :-1], seq[:, 1:].copy()
    y[:, :SOURCE_LENGTH] = -100  # predicting the source's own characters is not the task
    return x, y


def answers(model: TransformerLM, sources: list[str], targets: list[str]) -> list[str]:
    """The model's answers, in one forward pass with the true answers fed in (teacher forcing).

    An answer is right in every character exactly when greedy decoding (`generate`) gives it: if each
    character is right given the true ones before it, greedy decoding never leaves the true prefix.
    Where a character is wrong, the characters after it may differ from what greedy decoding writes.
    """
    x, y = lm_arrays(sources, targets)
    predicted = model.forward(x)[:, SOURCE_LENGTH:].argmax(axis=-1)  # (n, 10): the answer's positions
    return [VOCAB.decode(row) for row in predicted]


def exact_match(predicted: list[str], targets: list[str]) -> float:
    """The fraction of answers right in every character."""
    return float(np.mean([p == t for p, t in zip(predicted, targets)]))


@dataclass
class TrainerState:
    """A run: settings, model, optimizer, data order, the record per epoch, validation samples."""

    settings: dict
    model: TransformerLM
    optimizer: Adam
    rng: np.random.Generator
    seed: int = 0
    epoch: int = 0
    diverged_at: int | None = None
    changes: list = field(default_factory=list)
    history: dict = field(default_factory=lambda: {"epoch": [0], "loss": [float("nan")], "val_acc": []})
    samples: list = field(default_factory=list)


# (lr, heads, layers, seed, the hot changes so far, epoch) -> the state then
_cache: dict[tuple, TrainerState] = {}


def _evaluate(state: TrainerState) -> None:
    sources, targets = date_splits()["val"]
    predicted = answers(state.model, sources, targets)
    state.history["val_acc"].append(exact_match(predicted, targets))
    state.samples = [(s, p, t) for s, p, t in zip(sources[:N_SAMPLES], predicted, targets)]
    for layer in state.model.layers.values():
        layer.cache = None  # the evaluation's activations: large, and no backward follows


def init(lr: float, heads: int, layers: int, seed: int = 0) -> TrainerState:
    """A fresh seeded run; validation accuracy before training is epoch 0's."""
    rng = np.random.default_rng(seed)
    model = TransformerLM(len(VOCAB), D_MODEL, int(heads), int(layers), max_len=32, rng=rng, dtype=DTYPE)
    settings = {"lr": float(lr), "heads": int(heads), "layers": int(layers)}
    state = TrainerState(settings, model, Adam(lr=lr), rng, seed)
    _evaluate(state)
    return state


def _train_epoch(state: TrainerState) -> None:
    x, y = lm_arrays(*date_splits()["train"])
    model, loss_fn, losses = state.model, TimeSoftmaxCrossEntropy(), []
    order = state.rng.permutation(len(x))
    for i in range(0, len(x), BATCH):
        b = order[i : i + BATCH]
        losses.append(loss_fn.forward(model.forward(x[b], train=True), y[b]))
        model.backward(loss_fn.backward())
        grads = model.grads()
        clip_grad_norm(grads, MAX_NORM)
        state.optimizer.step(model.params(), grads)
    state.epoch += 1
    loss = float(np.mean(losses))
    state.history["epoch"].append(state.epoch)
    state.history["loss"].append(loss)
    if np.isfinite(loss):
        _evaluate(state)
    else:
        state.history["val_acc"].append(float("nan"))
        state.diverged_at = state.epoch


def step(state: TrainerState, n: int) -> TrainerState:
    """Train `n` more epochs (one pass over the 3,000 training dates each); epochs this seeded run (with the
    same hot changes) has finished before come from the cache."""
    for _ in range(n):
        changes = tuple((c.epoch, c.name, c.new) for c in state.changes)
        key = (*state.settings.values(), state.seed, changes, state.epoch + 1)
        if key in _cache:
            state = copy.deepcopy(_cache[key])
        else:
            _train_epoch(state)
            _cache[key] = copy.deepcopy(state)
        if state.diverged_at is not None:
            break
    return state


def train_transformer(*, lr: float = 5e-3, heads: int = 4, layers: int = 2, epochs: int = 6,
                      seed: int = 0) -> TrainerState:
    """A whole run (the chapter's); shares the explorer's cache."""
    return step(init(lr, heads, layers, seed), epochs)


def readout(state: TrainerState) -> str:
    s, h = state.settings, state.history
    head = f"{s['heads']} head{'s' if s['heads'] > 1 else ''}, {s['layers']} layer{'s' if s['layers'] > 1 else ''}"
    if state.diverged_at is not None:
        return f"{head}: diverged at epoch {state.diverged_at}{diverged_after(state)}."
    loss = "" if state.epoch == 0 else f"training loss {h['loss'][-1]:.3f}, "
    return (f"{head}, lr {s['lr']:g}, epoch {state.epoch}: {loss}validation exact match "
            f"{h['val_acc'][-1]:.0%} ({state.model.num_params():,} parameters).")


class _Drawing:
    """Loss and validation accuracy against the epoch, and sample answers; one figure, reused."""

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs, self.fig, self.marked, self.note = max_epochs, None, (), None

    def _build(self) -> None:
        fig, (ax_l, ax_a, ax_t) = viz.new_figure(7.2, 2.6, ncols=3)
        with viz.style():
            (self.loss,) = ax_l.plot([], [], "-o", color=viz.PALETTE["orange"], markersize=3)
            ax_l.set_yscale("log")
            ax_l.set_ylim(1e-3, 3)
            ax_l.set_xlabel("epoch")
            ax_l.set_ylabel("training loss")
            (self.acc,) = ax_a.plot([], [], "-o", color=viz.PALETTE["blue"], markersize=3)
            ax_a.set_ylim(0, 1.03)
            ax_a.set_xlabel("epoch")
            ax_a.set_ylabel("validation exact match")
            for ax in (ax_l, ax_a):
                ax.set_xlim(0, self.max_epochs)
            ax_t.axis("off")
            self.text = ax_t.text(0, 1, "", va="top", ha="left", family="monospace", fontsize=7.5,
                                  transform=ax_t.transAxes)
            ax_l.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(self.loss, self.acc, self.text, ax_l.title)
        self.fig, self.ax_l, self.ax_a = fig, ax_l, ax_a

    def __call__(self, state: TrainerState):
        if self.fig is None:
            self._build()
        h = state.history
        self.loss.set_data(h["epoch"][1:], h["loss"][1:])
        self.acc.set_data(h["epoch"][: len(h["val_acc"])], np.nan_to_num(h["val_acc"]))
        lines = ["validation dates:"]
        for source, predicted, target in state.samples:
            lines += [f"{source}", f" → {predicted} {'✓' if predicted == target else '✗'}"]
        self.text.set_text("\n".join(lines))
        s = state.settings
        self.ax_l.set_title(f"{s['heads']} heads, {s['layers']} layers, epoch {state.epoch}")
        self.marked = mark_changes((self.ax_l, self.ax_a), self.marked, state.changes)
        self.note = mark_diverged(self.ax_a, self.note, state.diverged_at, diverged_after(state))
        return self.fig


def transformer_explorer(*, max_epochs: int = 6) -> TrainingExplorer:
    """The explorer: learning rate (hot), number of heads and of layers.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "lr": LogSlider("learning rate", 1e-4, 0.1, default=5e-3, static=(5e-3,), hot=True),
        "heads": Choice("heads", (1, 2, 4), 4, static=(4,)),
        "layers": Choice("layers", (1, 2, 3), 2, static=(2,)),
    }
    scenarios = {  # a tenfold rise mid-run: the loss jumps, the accuracy collapses and recovers only partly
        "lr 0.005 for 3 epochs, then 0.05": Scenario({"lr": 5e-3}, {3: {"lr": 0.05}}),
    }
    return TrainingExplorer(
        controls, init, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        frames=list(range(max_epochs + 1)), adjust=adjust, scenarios=scenarios,
        title="A decoder-only Transformer learning to rewrite dates",
        alt="Two line charts against the epoch, training loss on a log scale and validation exact-match "
            "accuracy, and a list of validation dates with the model's answers marked right or wrong.",
        dpi=100, static_dpi=90)
