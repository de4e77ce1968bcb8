"""The memory task: can a recurrent network recall a symbol it saw `delay` steps ago?

Each sequence (`dlbook.sequences.delayed_recall`) is a symbol (one of 4), then
delay - 1 random distractor tokens, then a query token; the answer is the
first symbol, so guessing scores 25 %. The network: ``Embedding(9, 8)``, a
recurrent layer of 32 units (RNN, LSTM or GRU), and a ``Linear(32, 4)`` on its
last hidden state, trained with softmax cross-entropy and Adam on fresh
batches of 32 sequences; gradients are clipped to norm 1 unless clipping is off.

The LSTM's forget gate and the GRU's update gate start open (bias +5, so they
keep about 99 % per step; a positive forget-gate bias is the advice of
Jozefowicz et al., 2015): the gated cells begin by remembering and learn what
to forget. A plain RNN has no such gate to open.

Accuracy is measured on a fixed validation set of 500 sequences after every
epoch (25 batches); a separate test set is for the chapter's final numbers.
Runs are seeded, so the same settings give the same curve: finished epochs are
cached, and a chapter's figure and the explorer share them. The learning rate is
hot: changed while training runs, Adam goes on with its moments, and the change
is marked on the curve (see `dlbook.hot`); such a run is never cached.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from dlbook import viz
from dlbook.clipping import clip_grad_norm
from dlbook.explorers.classifier_training import mark_changes
from dlbook.hot import Change, changes_text
from dlbook.layers import Linear
from dlbook.losses import SoftmaxCrossEntropy
from dlbook.optim import Adam
from dlbook.rnn import GRU, LSTM, RNN
from dlbook.sequences import delayed_recall
from dlbook.time_layers import Embedding
from dlbook.widgets import Choice, LogSlider, Slider, Toggle, TrainingExplorer

__all__ = ["memory_explorer", "MemoryModel", "MemoryState", "init", "step", "adjust", "readout", "train_memory",
           "evaluation_sets", "CELLS"]

CELLS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
N_SYMBOLS, N_DISTRACTORS = 4, 4
VOCAB = N_SYMBOLS + N_DISTRACTORS + 1
EMBED, HIDDEN, BATCH, BATCHES_PER_EPOCH = 8, 32, 32, 25
GATE_BIAS = 5.0  # added to the LSTM's forget-gate and the GRU's update-gate biases
MAX_NORM = 1.0
DTYPE = np.float32


class MemoryModel:
    """Embedding -> recurrent layer -> Linear on the last hidden state: scores for the 4 symbols.

    Args:
        cell: a key of `CELLS`. rng: np.random.Generator for every weight.
    Shapes:
        x: (N, T) int tokens -> scores: (N, 4).
    """

    def __init__(self, cell: str, *, rng: np.random.Generator) -> None:
        if cell not in CELLS:
            raise ValueError(f"Invalid cell: {cell!r} (expected one of {list(CELLS)})")
        self.embedding = Embedding(VOCAB, EMBED, rng=rng, dtype=DTYPE)
        self.recurrent = CELLS[cell](EMBED, HIDDEN, rng=rng, dtype=DTYPE)
        if cell != "RNN":  # the gate that keeps the state is the second block of columns in both
            self.recurrent.params["b"][HIDDEN : 2 * HIDDEN] += GATE_BIAS
        self.head = Linear(HIDDEN, N_SYMBOLS, rng=rng, weight_init=0.1, dtype=DTYPE)
        self.layers = {"embedding": self.embedding, "recurrent": self.recurrent, "head": self.head}

    def forward(self, x: np.ndarray) -> np.ndarray:
        h = self.recurrent.forward(self.embedding.forward(x))  # (N, T, H)
        self._h_shape = h.shape
        return self.head.forward(h[:, -1])  # only the last step answers

    def backward(self, dscores: np.ndarray) -> None:
        dh = np.zeros(self._h_shape, dtype=self.head.params["W"].dtype)
        dh[:, -1] = self.head.backward(dscores)  # the other steps get gradient only through the recurrence
        self.embedding.backward(self.recurrent.backward(dh))

    def params(self) -> dict[str, np.ndarray]:
        return {f"{name}.{k}": p for name, layer in self.layers.items() for k, p in layer.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        return {f"{name}.{k}": g for name, layer in self.layers.items() for k, g in layer.grads.items()}

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.forward(x).argmax(axis=1) == y))


@lru_cache(maxsize=16)
def evaluation_sets(delay: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(validation, test) sets of 500 sequences each, from their own seeds, never trained on."""
    val = delayed_recall(500, delay, rng=np.random.default_rng([1, delay]), n_symbols=N_SYMBOLS,
                         n_distractors=N_DISTRACTORS)
    test = delayed_recall(500, delay, rng=np.random.default_rng([2, delay]), n_symbols=N_SYMBOLS,
                          n_distractors=N_DISTRACTORS)
    return val, test


@dataclass
class MemoryState:
    """A run: its settings, model, optimizer and data stream, and the record after every epoch.

    ``changes`` lists the learning-rate changes made while it trained (see `adjust`).
    """

    settings: dict
    model: MemoryModel
    optimizer: Adam
    rng: np.random.Generator
    seed: int = 0
    epoch: int = 0
    diverged_at: int | None = None
    history: dict = field(default_factory=lambda: {"epoch": [0], "val_acc": [], "loss": [], "grad_norm": []})
    changes: list[Change] = field(default_factory=list)


_cache: dict[tuple, MemoryState] = {}  # (cell, delay, lr, clip, seed, epoch) -> a copy of the state then


def init(cell: str, delay: int, lr: float, clip: bool, seed: int = 0) -> MemoryState:
    """A fresh, seeded run; the validation accuracy before training is recorded as epoch 0."""
    rng = np.random.default_rng(seed)
    settings = {"cell": cell, "delay": int(delay), "lr": float(lr), "clip": bool(clip)}
    state = MemoryState(settings, MemoryModel(cell, rng=rng), Adam(lr=lr), rng, seed)
    (x_val, y_val), _ = evaluation_sets(int(delay))
    state.history["val_acc"].append(state.model.accuracy(x_val, y_val))
    return state


def _train_epoch(state: MemoryState) -> None:
    s, model, loss_fn = state.settings, state.model, SoftmaxCrossEntropy()
    losses, norms = [], []
    for _ in range(BATCHES_PER_EPOCH):
        x, y = delayed_recall(BATCH, s["delay"], rng=state.rng, n_symbols=N_SYMBOLS, n_distractors=N_DISTRACTORS)
        losses.append(loss_fn.forward(model.forward(x), y))
        model.backward(loss_fn.backward())
        grads = model.grads()
        norms.append(clip_grad_norm(grads, MAX_NORM) if s["clip"] else
                     float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values()))))
        state.optimizer.step(model.params(), grads)
    state.epoch += 1
    loss = float(np.mean(losses))
    (x_val, y_val), _ = evaluation_sets(s["delay"])
    h = state.history
    h["epoch"].append(state.epoch)
    h["loss"].append(loss)
    h["grad_norm"].append(float(np.max(norms)))
    h["val_acc"].append(model.accuracy(x_val, y_val) if np.isfinite(loss) else float("nan"))
    if not np.isfinite(loss):
        state.diverged_at = state.epoch


def step(state: MemoryState, n: int) -> MemoryState:
    """Train `n` more epochs of 25 batches; epochs this seeded run has finished before come from the cache."""
    key = (*state.settings.values(), state.seed)
    cacheable = not state.changes  # a run whose learning rate changed is its own
    for _ in range(n):
        cached = _cache.get((*key, state.epoch + 1)) if cacheable else None
        if cached is not None:
            state = copy.deepcopy(cached)
        else:
            _train_epoch(state)
            for layer in state.model.layers.values():
                layer.cache = None  # the validation pass's activations: large, and no backward follows
            if cacheable:
                _cache[(*key, state.epoch)] = copy.deepcopy(state)
        if state.diverged_at is not None:
            break
    return state


def adjust(state: MemoryState, **changed: float) -> MemoryState:
    """Apply a new learning rate to a running training, in place: Adam keeps its moments.

    `TrainingExplorer.adjust` calls this, then records the change in ``state.changes``.
    """
    if "lr" in changed:
        state.optimizer.lr = changed["lr"]
    return state


def train_memory(cell: str, delay: int, *, lr: float = 0.01, clip: bool = True, epochs: int = 8,
                 seed: int = 0) -> MemoryState:
    """A whole run: `init` and `epochs` epochs of `step` (the chapter's figure; shares the explorer's cache)."""
    return step(init(cell, delay, lr, clip, seed), epochs)


def readout(state: MemoryState) -> str:
    s, h = state.settings, state.history
    if state.diverged_at is not None:
        return f"{s['cell']}, delay {s['delay']}: diverged at epoch {state.diverged_at}."
    text = (f"{s['cell']}, delay {s['delay']}, epoch {state.epoch} ({state.epoch * BATCHES_PER_EPOCH} batches): "
            f"validation accuracy {h['val_acc'][-1]:.0%} (guessing: 25%).")
    return " ".join(filter(None, [text, changes_text(state.changes)]))


class _Drawing:
    """Validation accuracy against the epoch, with the 25 % of guessing; one figure, reused."""

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs, self.fig, self.marked = max_epochs, None, ()

    def _build(self) -> None:
        fig, ax = viz.new_figure(5.0, 2.6)
        with viz.style():
            ax.axhline(1 / N_SYMBOLS, color="0.6", linestyle=":", linewidth=1)
            ax.text(self.max_epochs, 1 / N_SYMBOLS + 0.02, "guessing", ha="right", va="bottom", fontsize=8,
                    color="0.35")
            (self.line,) = ax.plot([], [], "-o", color=viz.PALETTE["blue"], markersize=3.5)
            ax.set_xlim(0, self.max_epochs)
            ax.set_ylim(0, 1.03)
            ax.set_xlabel(f"epoch ({BATCHES_PER_EPOCH} batches of {BATCH})")
            ax.set_ylabel("validation accuracy")
            ax.set_title(" ")
        viz.freeze_layout(fig)
        viz.animate(self.line, ax.title)
        self.fig, self.ax = fig, ax

    def __call__(self, state: MemoryState):
        if self.fig is None:
            self._build()
        h, s = state.history, state.settings
        acc = np.nan_to_num(np.asarray(h["val_acc"], dtype=float), nan=0.0)
        self.line.set_data(h["epoch"][: len(acc)], acc)
        self.line.set_color(viz.PALETTE["vermillion"] if s["cell"] == "RNN" else viz.PALETTE["blue"])
        self.marked = mark_changes((self.ax,), self.marked, state.changes)
        clip = "clipped" if s["clip"] else "no clipping"
        self.ax.set_title(f"{s['cell']}, delay {s['delay']}, lr {s['lr']:g}, {clip}: "
                          f"{acc[-1]:.0%} at epoch {state.epoch}")
        return self.fig


def memory_explorer(*, max_epochs: int = 8) -> TrainingExplorer:
    """The explorer: cell type, delay, learning rate and clipping on the memory task.

    Returns:
        A `TrainingExplorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "cell": Choice("cell", tuple(CELLS), "RNN"),
        "delay": Slider("delay T", 5, 60, 5, default=25, static=(5, 25, 50)),
        "lr": LogSlider("learning rate", 1e-3, 0.1, default=0.01, static=(0.01,), hot=True),
        "clip": Toggle("clip gradients (norm 1)", default=True, static=(True,)),
    }
    return TrainingExplorer(
        controls, init, step, _Drawing(max_epochs), readout=readout, max_epochs=max_epochs,
        frames=list(range(0, max_epochs + 1, 2)), adjust=adjust, title="The memory task: recall a symbol after T steps",
        alt="Line chart of validation accuracy against training epoch on the memory task, with a dotted "
            "line at 25 percent for guessing.",
        dpi=100, static_dpi=90)
