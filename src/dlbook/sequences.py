"""Sequence data the package generates itself (no downloads; every function takes an explicit rng).

    noisy_sines      sums of two sines with random phases plus noise: a time series
    delayed_recall   a symbol, `delay` steps of distractors, then a query: recall the symbol
    addition_text    lines like "57+68=125", for a character-level model
    CharVocab        characters <-> integer ids
"""

from __future__ import annotations

import numpy as np

__all__ = ["noisy_sines", "delayed_recall", "addition_text", "CharVocab"]


def noisy_sines(n_series: int, length: int, *, rng: np.random.Generator, periods: tuple[float, float] = (20.0, 7.0),
                amplitudes: tuple[float, float] = (1.0, 0.5), noise: float = 0.05,
                dtype: np.dtype | type = np.float64) -> np.ndarray:
    """x[n, t] = sum_k a_k sin(2π t / P_k + φ_nk) + ε, phases φ uniform in [0, 2π), ε ~ N(0, noise²).

    Args:
        n_series: int, N. length: int, T.
        rng: np.random.Generator. periods, amplitudes: the two sines' periods (in steps) and sizes.
        noise: float >= 0, the noise's standard deviation. Default 0.05.
        dtype: default np.float64.
    Returns:
        np.ndarray (N, T).
    """
    for name, value in (("n_series", n_series), ("length", length)):
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"Invalid {name}: {value}")
    if not noise >= 0:
        raise ValueError(f"Invalid noise: {noise}")
    t = np.arange(length)
    x = np.zeros((n_series, length))
    for period, amplitude in zip(periods, amplitudes):
        phase = rng.uniform(0, 2 * np.pi, size=(n_series, 1))
        x += amplitude * np.sin(2 * np.pi * t / period + phase)
    x += noise * rng.standard_normal(x.shape)
    return x.astype(dtype)


def delayed_recall(n: int, delay: int, *, rng: np.random.Generator, n_symbols: int = 4,
                   n_distractors: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The memory task: recall, at the last step, the symbol shown `delay` steps earlier.

    Tokens 0..S-1 are the symbols, S..S+K-1 the distractors, S+K the query. Each
    sequence is [symbol, delay - 1 random distractors, query] (length delay + 1);
    its target is the symbol. Guessing is right with probability 1/S.

    Args:
        n: int, N, the number of sequences. delay: int >= 1, the steps from the symbol to the query.
        rng: np.random.Generator. n_symbols: int, S (default 4). n_distractors: int, K (default 4).
    Returns:
        x: (N, delay + 1) int64 tokens; y: (N,) int64 symbols. The vocabulary size is S + K + 1.
    """
    for name, value in (("n", n), ("delay", delay), ("n_symbols", n_symbols), ("n_distractors", n_distractors)):
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"Invalid {name}: {value}")
    y = rng.integers(0, n_symbols, size=n)
    x = np.empty((n, delay + 1), dtype=np.int64)
    x[:, 0] = y
    x[:, 1:delay] = rng.integers(n_symbols, n_symbols + n_distractors, size=(n, delay - 1))
    x[:, delay] = n_symbols + n_distractors
    return x, y


def addition_text(n_lines: int, *, rng: np.random.Generator, max_value: int = 99) -> str:
    """n_lines lines "a+b=c" with a, b uniform in [0, max_value], each ended by a newline.

    Args:
        n_lines: int. rng: np.random.Generator. max_value: int >= 1, default 99.
    Returns:
        str, e.g. "57+68=125\\n3+40=43\\n".
    """
    if not isinstance(n_lines, (int, np.integer)) or n_lines <= 0:
        raise ValueError(f"Invalid n_lines: {n_lines}")
    if not isinstance(max_value, (int, np.integer)) or max_value < 1:
        raise ValueError(f"Invalid max_value: {max_value}")
    a = rng.integers(0, max_value + 1, size=n_lines)
    b = rng.integers(0, max_value + 1, size=n_lines)
    return "".join(f"{i}+{j}={i + j}\n" for i, j in zip(a.tolist(), b.tolist()))


class CharVocab:
    """Characters <-> ids: ``encode(text) -> ids``, ``decode(ids) -> text``; the ids of sorted(chars).

    Args:
        chars: str, every character the text may contain (duplicates are dropped).
    """

    def __init__(self, chars: str) -> None:
        if not chars:
            raise ValueError("CharVocab needs at least one character")
        self.chars = "".join(sorted(set(chars)))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocab({self.chars!r})"

    def encode(self, text: str) -> np.ndarray:
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"{self!r} cannot encode the characters {unknown}")
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids: np.ndarray) -> str:
        ids = np.asarray(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.chars)):
            raise ValueError(f"{self!r} cannot decode ids outside [0, {len(self.chars)})")
        return "".join(self.chars[i] for i in ids.tolist())
