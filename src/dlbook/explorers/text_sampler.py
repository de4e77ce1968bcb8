"""A character-level LSTM on generated addition problems, and text sampled from it at a temperature.

The text is `dlbook.sequences.addition_text`: lines such as "57+68=125". The
model reads one character at a time and scores the next:

    ids (N, T) -> Embedding(V, 16) -> LSTM(16, 64) -> TimeLinear(64, V) -> softmax cross-entropy at every step

Training cuts the text into 32 parallel streams and walks along them in
chunks of 25 characters, each chunk starting from the state the previous chunk
ended in (truncated backpropagation through time). Sampling feeds the model
its own output: the next character is drawn from softmax(scores / temperature).
Snapshots of the weights after each epoch let the explorer show how the text
improves with training.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dlbook import functional as F
from dlbook import viz
from dlbook.clipping import clip_grad_norm
from dlbook.optim import Adam
from dlbook.rnn import LSTM
from dlbook.sequences import CharVocab, addition_text
from dlbook.time_layers import Embedding, TimeLinear, TimeSoftmaxCrossEntropy
from dlbook.widgets import Explorer, LogSlider, Slider

__all__ = ["text_explorer", "CharModel", "TextRun", "train_text", "sample", "score_lines", "VOCAB",
           "texts"]

VOCAB = CharVocab("0123456789+=\n")
EMBED, HIDDEN, STREAMS, CHUNK = 16, 64, 32, 25
EPOCHS = 12  # the run the explorer samples from
DTYPE = np.float32


@lru_cache(maxsize=1)
def texts() -> tuple[str, str, str]:
    """(train, validation, test) texts of 3,000, 300 and 300 addition problems, from separate seeds."""
    return tuple(addition_text(n, rng=np.random.default_rng(seed)) for n, seed in ((3000, 10), (300, 11), (300, 12)))


class CharModel:
    """Embedding -> LSTM -> TimeLinear: next-character scores at every step.

    Shapes:
        ids: (N, T) -> scores: (N, T, V). The LSTM's last states stay in ``lstm.h_n``, ``lstm.c_n``.
    """

    def __init__(self, *, rng: np.random.Generator) -> None:
        V = len(VOCAB)
        self.embedding = Embedding(V, EMBED, rng=rng, dtype=DTYPE)
        self.lstm = LSTM(EMBED, HIDDEN, rng=rng, dtype=DTYPE)
        self.head = TimeLinear(HIDDEN, V, rng=rng, weight_init=0.1, dtype=DTYPE)
        self.layers = {"embedding": self.embedding, "lstm": self.lstm, "head": self.head}

    def forward(self, ids: np.ndarray, state: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        h0, c0 = state if state is not None else (None, None)
        return self.head.forward(self.lstm.forward(self.embedding.forward(ids), h0=h0, c0=c0))

    def backward(self, dscores: np.ndarray) -> None:
        self.embedding.backward(self.lstm.backward(self.head.backward(dscores)))

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """The LSTM's last (h, c): the next chunk starts from here."""
        return self.lstm.h_n, self.lstm.c_n

    def params(self) -> dict[str, np.ndarray]:
        return {f"{name}.{k}": p for name, layer in self.layers.items() for k, p in layer.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        return {f"{name}.{k}": g for name, layer in self.layers.items() for k, g in layer.grads.items()}


def streams(text: str, n_streams: int = STREAMS) -> np.ndarray:
    """The text's ids cut into n_streams equal rows: (n_streams, L), read left to right in parallel."""
    ids = VOCAB.encode(text)
    L = len(ids) // n_streams
    return ids[: n_streams * L].reshape(n_streams, L)


def mean_loss(model: CharModel, text: str) -> float:
    """Mean next-character cross-entropy (nats) over a text, read in streams with carried state."""
    ids = streams(text, 4)
    scores = model.forward(ids[:, :-1])
    return TimeSoftmaxCrossEntropy().forward(scores, ids[:, 1:])


@dataclass
class TextRun:
    """``snapshots[e]``: the model after e epochs (0: untrained); ``val_loss[e]``: its validation loss."""

    snapshots: list[CharModel]
    val_loss: list[float]
    train_loss: list[float]


_runs: dict[tuple, TextRun] = {}  # seeded runs, computed once per process: the chapter and the explorer share them


def train_text(epochs: int = EPOCHS, *, lr: float = 0.01, max_norm: float = 1.0, seed: int = 0) -> TextRun:
    """Train with truncated BPTT (chunks of 25, state carried), Adam and clipping; a snapshot per epoch."""
    key = (int(epochs), float(lr), float(max_norm), int(seed))
    if key in _runs:
        return _runs[key]
    train, val, _test = texts()
    rng = np.random.default_rng(seed)
    model, optimizer, loss_fn = CharModel(rng=rng), Adam(lr=lr), TimeSoftmaxCrossEntropy()
    ids = streams(train)  # (32, L): 32 streams read side by side
    run = TextRun([copy.deepcopy(model)], [mean_loss(model, val)], [float("nan")])
    for _ in range(int(epochs)):
        state, losses = None, []  # each epoch starts the streams from a zero state
        for start in range(0, ids.shape[1] - 1, CHUNK):
            chunk = ids[:, start : start + CHUNK + 1]  # inputs and, shifted by one, targets
            losses.append(loss_fn.forward(model.forward(chunk[:, :-1], state), chunk[:, 1:]))
            model.backward(loss_fn.backward())
            state = model.state()  # carried forward; the gradient stops here
            clip_grad_norm(model.grads(), max_norm)
            optimizer.step(model.params(), model.grads())
        for layer in model.layers.values():
            layer.cache = None  # no backward follows: the snapshot need not carry activations
        run.snapshots.append(copy.deepcopy(model))
        run.val_loss.append(mean_loss(model, val))
        run.train_loss.append(float(np.mean(losses)))
    _runs[key] = run
    return run


def sample(model: CharModel, length: int, *, temperature: float, rng: np.random.Generator,
           prime: str = "\n") -> str:
    """`length` characters drawn one at a time from softmax(scores / temperature), after `prime`.

    temperature -> 0 approaches always taking the most likely character; 1 samples the model's own
    probabilities; large temperatures approach uniformly random characters.
    """
    if not temperature > 0:
        raise ValueError(f"Invalid temperature: {temperature} (expected > 0)")
    scores = model.forward(VOCAB.encode(prime)[None, :])  # (1, len(prime), V)
    state, out = model.state(), []
    for _ in range(length):
        p = F.softmax(scores[0, -1].astype(np.float64) / temperature)
        nxt = int(rng.choice(len(p), p=p))
        out.append(nxt)
        scores = model.forward(np.array([[nxt]]), state)
        state = model.state()
    return VOCAB.decode(np.array(out))


def score_lines(text: str) -> tuple[int, int, int]:
    """(complete lines, well-formed "a+b=c" lines, correct sums) in a sampled text."""
    lines = text.split("\n")[:-1]  # the last piece may be cut off
    formed = correct = 0
    for line in lines:
        left, eq, right = line.partition("=")
        a, plus, b = left.partition("+")
        if eq and plus and a.isdigit() and b.isdigit() and right.isdigit():
            formed += 1
            correct += int(a) + int(b) == int(right)
    return len(lines), formed, correct


@dataclass(frozen=True)
class Sampled:
    epoch: int
    temperature: float
    text: str
    val_loss: float


def run(epoch: int, temperature: float) -> Sampled:
    result = train_text()
    model = copy.deepcopy(result.snapshots[int(epoch)])  # sampling writes the model's caches
    text = sample(model, 160, temperature=temperature, rng=np.random.default_rng(7))
    return Sampled(int(epoch), float(temperature), text, result.val_loss[int(epoch)])


def describe(s: Sampled) -> str:
    n, formed, correct = score_lines(s.text)
    return (f"Epoch {s.epoch}, temperature {s.temperature:g}: of {n} complete lines, {formed} read "
            f"'a+b=c' and {correct} are correct sums; validation loss {s.val_loss:.2f} nats per character.")


class _Drawing:
    """The first 12 sampled lines in a monospaced font, 3 columns of 4; a correct sum is marked ✓."""

    def __init__(self) -> None:
        self.fig = None

    def _build(self) -> None:
        fig, ax = viz.new_figure(5.4, 1.5)
        ax.set_axis_off()
        with viz.style():
            self.text = ax.text(0.0, 0.95, "", family="monospace", fontsize=10, va="top", ha="left",
                                transform=ax.transAxes, linespacing=1.4)
            self.title = ax.set_title(" ", loc="left")
        viz.freeze_layout(fig)
        viz.animate(self.text, self.title)
        self.fig, self.ax = fig, ax

    def __call__(self, s: Sampled):
        if self.fig is None:
            self._build()
        shown = []
        for line in s.text.split("\n")[:12]:
            mark = " ✓" if score_lines(line + "\n")[2] else ""
            line = repr(line)[1:-1] if line else "(empty)"
            shown.append((line if len(line) <= 16 else line[:15] + "…") + mark)
        shown += [""] * (12 - len(shown))
        rows = ["".join(f"{shown[col * 4 + r]:<20}" for col in range(3)) for r in range(4)]
        self.text.set_text("\n".join(rows))
        self.title.set_text(f"after {s.epoch} epochs, temperature {s.temperature:g}")
        return self.fig


def text_explorer() -> Explorer:
    """The explorer: how far the model has trained, and the sampling temperature.

    Returns:
        An `Explorer`; call ``.show()`` in a notebook.
    """
    controls = {
        "epoch": Slider("training epochs", 0, EPOCHS, 1, default=EPOCHS, static=(0, 1, 3, EPOCHS)),
        "temperature": LogSlider("temperature", 0.1, 10.0, default=1.0, static=(0.2, 0.5, 1.0, 2.0, 5.0)),
    }
    return Explorer(
        controls, run, _Drawing(), readout=describe, title="Sampling addition problems from a character LSTM",
        alt="Twelve lines of text sampled one character at a time from the character model, in three "
            "columns of four; a check mark follows each line that is a correct sum.",
        dpi=100, static_dpi=100)
