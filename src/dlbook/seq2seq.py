"""An encoder–decoder of LSTMs, with or without attention over the encoder's states.

    encoder:  src ids (N, S) -> Embedding -> LSTM -> e: (N, S, H); its last state starts the decoder
    decoder:  [START, y_1 .. y_{T-1}] (N, T) -> Embedding -> LSTM -> d: (N, T, H)
    attention (optional): c_t = attention(query d_t, keys and values e), padding masked
    output:   TimeLinear([d_t, c_t]) -> scores (N, T, V_out)

Without attention the decoder knows the source only through one vector, the
encoder's last state; with it, every output step looks back at every input
step, and the weights say where (Luong et al.'s dot-product attention, scaled).
"""

from __future__ import annotations

import numpy as np

from dlbook.attention import attention_backward, scaled_dot_product_attention
from dlbook.language_model import NamedLayers
from dlbook.rnn import LSTM
from dlbook.time_layers import Embedding, TimeLinear

__all__ = ["Seq2Seq"]


class Seq2Seq(NamedLayers):
    """LSTM encoder–decoder, trained with teacher forcing, decoded greedily.

    Args:
        src_vocab, tgt_vocab: int, the two vocabulary sizes. embed_dim: int, E. hidden_size: int, H.
        attention: bool, attend over the encoder's states. Default True.
        pad_id: int or None, the source id that is padding (never attended to). Default None.
        rng: np.random.Generator. dtype: default np.float64.
    Shapes:
        src: (N, S) ids, tgt_in: (N, T) ids -> scores: (N, T, V_out);
        ``self.attn_weights``: (N, T, S) after forward (None without attention).
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, embed_dim: int, hidden_size: int, *,
                 attention: bool = True, pad_id: int | None = None, rng: np.random.Generator,
                 dtype: np.dtype | type = np.float64) -> None:
        E, H = embed_dim, hidden_size
        self.attention, self.pad_id = bool(attention), pad_id
        self.layers = {
            "src_embed": Embedding(src_vocab, E, rng=rng, dtype=dtype),
            "encoder": LSTM(E, H, rng=rng, dtype=dtype),
            "tgt_embed": Embedding(tgt_vocab, E, rng=rng, dtype=dtype),
            "decoder": LSTM(E, H, rng=rng, dtype=dtype),
            "out": TimeLinear(2 * H if attention else H, tgt_vocab, rng=rng, weight_init=1 / np.sqrt(H),
                              dtype=dtype),
        }
        self.attn_weights: np.ndarray | None = None
        self.cache = None

    def __repr__(self) -> str:
        L = self.layers
        return (f"Seq2Seq({L['src_embed']!r}, {L['encoder']!r}, {L['decoder']!r}, "
                f"attention={self.attention})")

    def _mask(self, src: np.ndarray) -> np.ndarray | None:
        """(N, 1, S): True where the source is not padding."""
        return None if self.pad_id is None else (src != self.pad_id)[:, None, :]

    def forward(self, src: np.ndarray, tgt_in: np.ndarray, *, train: bool = False) -> np.ndarray:
        L = self.layers
        e = L["encoder"].forward(L["src_embed"].forward(src))  # (N, S, H)
        d = L["decoder"].forward(L["tgt_embed"].forward(tgt_in), h0=L["encoder"].h_n)  # (N, T, H)
        if self.attention:
            c, A = scaled_dot_product_attention(d, e, e, self._mask(src))  # (N, T, H), (N, T, S)
            self.attn_weights, self.cache = A, (d, e, A)
            d = np.concatenate([d, c], axis=-1)  # (N, T, 2H)
        return L["out"].forward(d)

    def backward(self, dscores: np.ndarray) -> None:
        """Fill every layer's grads. The encoder's states get gradient from the attention (as keys and as
        values: two paths, summed) and, at the last step, from the decoder's initial state."""
        L = self.layers
        dd = L["out"].backward(dscores)  # (N, T, H) or (N, T, 2H)
        H = L["decoder"].hidden_size
        de = None
        if self.attention:
            d, e, A = self.cache
            dq, dk, dv = attention_backward(dd[..., H:], d, e, e, A)
            dd, de = dd[..., :H] + dq, dk + dv
        L["tgt_embed"].backward(L["decoder"].backward(dd))
        if de is None:  # without attention only the last encoder state reaches the decoder
            S = L["encoder"].cache[0].shape[0]  # the encoder's cached x is time-major, (S, N, E)
            de = np.zeros((len(dd), S, H), dtype=dd.dtype)
        de[:, -1] += L["decoder"].dh0  # h0 of the decoder is the encoder's last output
        L["src_embed"].backward(L["encoder"].backward(de))

    def generate(self, src: np.ndarray, start_id: int, length: int) -> np.ndarray:
        """Greedy decoding: feed each predicted id back in. Returns ids (N, length); the attention
        weights of every step are left in ``self.attn_weights`` (N, length, S)."""
        N = len(src)
        tgt = np.full((N, length), start_id, dtype=np.int64)
        for t in range(length):
            # The LSTM is causal, so rerunning the prefix gives the same states as stepping it.
            scores = self.forward(src, tgt[:, : t + 1])
            nxt = scores[:, t].argmax(axis=-1)
            if t + 1 < length:
                tgt[:, t + 1] = nxt
        out = np.concatenate([tgt[:, 1:], nxt[:, None]], axis=1)
        return out
