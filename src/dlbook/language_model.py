"""Character-level models that predict the next token: a decoder-only Transformer or an LSTM.

    ids (N, T) -> Embedding -> [PositionalEncoding -> TransformerBlock(causal) x L -> LayerNorm]
                                or [LSTM]                                       -> TimeLinear -> scores (N, T, V)

Both read a sequence left to right and score the next token at every
position: the Transformer because its attention is causally masked, the LSTM
because it is recurrent. Trained with `TimeSoftmaxCrossEntropy` on the next
tokens; `generate` continues a prompt greedily.
"""

from __future__ import annotations

import numpy as np

from dlbook.rnn import LSTM
from dlbook.time_layers import Embedding, TimeLinear
from dlbook.transformer import LayerNorm, PositionalEncoding, TransformerBlock

__all__ = ["TransformerLM", "LSTMLM", "NamedLayers"]


class NamedLayers:
    """A model made of named layers (``self.layers``): flat params/grads named "<layer>.<name>", as Sequential's."""

    layers: dict

    def params(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": a for n, layer in self.layers.items() for k, a in layer.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": a for n, layer in self.layers.items() for k, a in layer.grads.items()}

    def num_params(self) -> int:
        return sum(p.size for p in self.params().values())


class _LanguageModel(NamedLayers):
    """What both share: named layers applied in order, greedy generation."""

    def forward(self, ids: np.ndarray, *, train: bool = False) -> np.ndarray:
        x = ids
        for layer in self.layers.values():
            x = layer.forward(x, train=train)
        return x  # (N, T, V)

    def backward(self, dscores: np.ndarray) -> None:
        d = dscores
        for name, layer in reversed(self.layers.items()):
            d = layer.backward(d) if name != "embed" else layer.backward(d, input_grad=False)

    def generate(self, prompts: np.ndarray, length: int) -> np.ndarray:
        """Greedy continuation: append the most likely next id `length` times. prompts: (N, P) -> (N, P + length)."""
        ids = np.asarray(prompts)
        for _ in range(length):
            # Both models are causal: rerunning the prefix gives the same scores as stepping it.
            nxt = self.forward(ids)[:, -1].argmax(axis=-1)
            ids = np.concatenate([ids, nxt[:, None]], axis=1)
        return ids


class TransformerLM(_LanguageModel):
    """Decoder-only Transformer (GPT's shape, tiny): causal pre-norm blocks and a final LayerNorm.

    Args:
        vocab_size: int, V. d_model: int, D. num_heads: int. num_layers: int, L.
        max_len: int, the longest sequence. Default 64. learned_positions: bool, a learned
            PositionalEncoding instead of the sinusoidal one. Default False.
        rng: np.random.Generator. dtype: default np.float64.
    Shapes:
        ids: (N, T) -> scores (N, T, V).
    """

    def __init__(self, vocab_size: int, d_model: int, num_heads: int, num_layers: int, *, max_len: int = 64,
                 learned_positions: bool = False, rng: np.random.Generator,
                 dtype: np.dtype | type = np.float64) -> None:
        if not isinstance(num_layers, (int, np.integer)) or num_layers <= 0:
            raise ValueError(f"Invalid num_layers: {num_layers}")
        self.layers = {"embed": Embedding(vocab_size, d_model, rng=rng, dtype=dtype)}
        self.layers["embed"].params["W"] *= 0.1  # N(0, 0.1²): the scale of the positional encoding's entries
        self.layers["pos"] = PositionalEncoding(d_model, max_len, learned=learned_positions, rng=rng, dtype=dtype)
        for i in range(num_layers):
            self.layers[f"block{i}"] = TransformerBlock(d_model, num_heads, causal=True, rng=rng, dtype=dtype)
        self.layers["ln_f"] = LayerNorm(d_model, dtype=dtype)
        self.layers["head"] = TimeLinear(d_model, vocab_size, rng=rng, weight_init=1 / np.sqrt(d_model), dtype=dtype)

    def attention_weights(self) -> list[np.ndarray]:
        """Each block's attention weights from the last forward: a list of L arrays (N, heads, T, T)."""
        return [layer.attn.attn_weights for name, layer in self.layers.items() if name.startswith("block")]


class LSTMLM(_LanguageModel):
    """Embedding -> LSTM -> TimeLinear: the recurrent baseline.

    Args:
        vocab_size: int, V. embed_dim: int, E. hidden_size: int, H.
        rng: np.random.Generator. dtype: default np.float64.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, *, rng: np.random.Generator,
                 dtype: np.dtype | type = np.float64) -> None:
        self.layers = {
            "embed": Embedding(vocab_size, embed_dim, rng=rng, dtype=dtype),
            "lstm": LSTM(embed_dim, hidden_size, rng=rng, dtype=dtype),
            "head": TimeLinear(hidden_size, vocab_size, rng=rng, weight_init=1 / np.sqrt(hidden_size), dtype=dtype),
        }
