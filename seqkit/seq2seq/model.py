"""The attention encoder–decoder (notes: "Attention Model intuition"; Bahdanau et al. 2015,
"RNNsearch").

Encoder: source embeddings run through a bidirectional :class:`seqkit.rnn.RNN` (torch's fused
kernel); a<t'> = [a→<t'>; a←<t'>] (B, S, 2H) is the memory attention reads (notes: "BRNN").

Decoder (Bahdanau et al., Eq. 4–6 and A.2.2), one cell of :mod:`seqkit.rnn` stepped in a loop:

    c<t>  = Σ_t' α<t,t'> a<t'>,   α<t,t'> = softmax_t'(score(s<t−1>, a<t'>))   (attention.py)
    s<t>  = cell([E y<t−1>; c<t>], s<t−1>)                                     Eq. 4, s_i = f(…)
    P(y<t> | x, y<1>, …, y<t−1>) = softmax(W_o [s<t>; c<t>; E y<t−1>] + b_o)     Eq. 4, g(…)
    s<0>  = tanh(W_0 [a→<S>; a←<1>] + b_0),   c<0> = 0 for the lstm's memory cell

s<t> has the memory's size 2H so that every score, Luong's dot included, is defined. Note
(deviations): the readout g is one linear map, not Bahdanau's maxout deep output; s<0> reads both
directions' final states, not a←<1> alone; with Luong's scores the attention still reads s<t−1>
before the cell step (Luong et al. score the new state and feed the context to the readout only).

The model is a protocol for the decoding functions of :mod:`seqkit.seq2seq.search`, which hold no
model code: :meth:`Seq2Seq.encode` once per batch, :meth:`Seq2Seq.decode_step` once per output
token. :meth:`Seq2Seq.forward` is teacher forcing for training, the same steps on given y<t−1>.

Shapes (docs/notation.md): B batch, S source length, T target length, E embedding, H hidden size
(per encoder direction), V target vocabulary.
"""

from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.core.layers import Dense, Dropout, Embedding
from seqkit.errors import ConfigError
from seqkit.rnn import RNN, GRUCell, LSTMCell, RNNCell
from seqkit.seq2seq.attention import ATTENTIONS, make_attention

State = tuple[Tensor, ...]  # the decoder's state, batch first: (s<t>,), or (s<t>, c<t>) for lstm
CELLS: dict[str, type[nn.Module]] = {"gru": GRUCell, "lstm": LSTMCell, "rnn": RNNCell}


@dataclass
class Seq2SeqConfig:
    """The recipe's ``model:`` section; a bad value raises :class:`ConfigError` (a ValueError)."""

    embedding_dim: int = 64  # E, size of the source and target token embeddings
    hidden_size: int = 128  # H per encoder direction; the decoder's s<t> has 2H
    encoder_layers: int = 1  # L, stacked bidirectional encoder layers
    cell: Literal["gru", "lstm", "rnn"] = "gru"  # recurrent cell of encoder and decoder
    attention: Literal["bahdanau", "dot", "general"] = "bahdanau"  # score e<t,t'>
    dropout: float = 0.0  # drop probability on embeddings, between layers, before the readout

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ConfigError(
                f"model.cell: unknown {self.cell!r}; expected one of {', '.join(CELLS)}"
            )
        if self.attention not in ATTENTIONS:
            raise ConfigError(
                f"model.attention: unknown {self.attention!r}; "
                f"expected one of {', '.join(ATTENTIONS)}"
            )
        for name in ("embedding_dim", "hidden_size", "encoder_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"model.{name}: expected > 0, got {value!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout: expected in [0, 1), got {self.dropout}")


class Encoded(NamedTuple):
    """The encoder's output for a batch; every tensor batch first."""

    memory: Tensor  # a<t'> (B, S, 2H), zero at padding
    keys: Tensor  # the attention's query-independent part of e<t,t'> (B, S, A)
    mask: Tensor  # (B, S) bool, True at real source positions
    state: State  # the decoder's initial state s<0> (B, 2H) [, c<0> (B, 2H)]


class Step(NamedTuple):
    """One decoder step for a batch."""

    log_probs: Tensor  # log P(y<t> | x, y<1>, …, y<t−1>) (B, V)
    state: State  # s<t> (B, 2H) [, c<t> (B, 2H)]
    alpha: Tensor  # α<t,t'> (B, S)


class Seq2Seq(nn.Module):
    """Bidirectional RNN encoder, attention decoder (see the module's docstring for the equations).

    Args:
        config: sizes, cell, attention score and dropout.
        src_vocab_size, tgt_vocab_size: source and target V.
        pad_id, bos_id, eos_id: target ids of <pad>, <s> (the first y<0>) and </s>; <pad> is also
            the source's padding id.

    Parameters: ``src_embedding``, ``tgt_embedding`` (V, E); ``encoder`` (a :class:`RNN`);
    ``bridge`` W_0 (2H, 2H); ``attention``; ``cell`` (input E + 2H, hidden 2H); ``readout``
    W_o (V, 4H + E).
    """

    def __init__(
        self,
        config: Seq2SeqConfig,
        src_vocab_size: int,
        tgt_vocab_size: int,
        pad_id: int = 0,
        bos_id: int = 2,
        eos_id: int = 3,
    ) -> None:
        super().__init__()
        _check_arguments(src_vocab_size, tgt_vocab_size, (pad_id, bos_id, eos_id))
        self.config = config
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        E, H, M = config.embedding_dim, config.hidden_size, 2 * config.hidden_size
        self.src_embedding = Embedding(src_vocab_size, E, padding_idx=pad_id)
        self.tgt_embedding = Embedding(tgt_vocab_size, E, padding_idx=pad_id)
        self.dropout = Dropout(1.0 - config.dropout)
        between_layers = config.dropout if config.encoder_layers > 1 else 0.0
        self.encoder = RNN(config.cell, E, H, config.encoder_layers, True, between_layers)
        self.bridge = Dense(M, M)
        self.attention = make_attention(config.attention, M, M, H)
        self.cell = CELLS[config.cell](E + M, M)
        self.readout = Dense(2 * M + E, tgt_vocab_size)

    def encode(self, src: Tensor, src_lengths: Tensor) -> Encoded:
        """src (B, S) token ids, src_lengths (B,) in [1, S] → :class:`Encoded`."""
        _check_source("Seq2Seq.encode", src, src_lengths)
        S = src.shape[1]
        lengths = src_lengths.to(src.device)
        memory, final = self.encoder(self.dropout(self.src_embedding(src)), lengths)  # (B, S, 2H)
        a = final[0] if isinstance(final, tuple) else final  # (L·2, B, H)
        s_0 = torch.tanh(self.bridge(torch.cat([a[-2], a[-1]], dim=1)))  # top layer's → and ←
        state = (s_0, torch.zeros_like(s_0)) if self.config.cell == "lstm" else (s_0,)
        mask = torch.arange(S, device=src.device) < lengths[:, None]  # (B, S)
        return Encoded(memory, self.attention.keys(memory), mask, state)

    def decode_step(self, y_prev: Tensor, state: State, encoded: Encoded) -> Step:
        """y<t−1> (B,) token ids, s<t−1> → :class:`Step` with log P(y<t> | …) (B, V)."""
        if y_prev.dim() != 1:
            raise ValueError(
                f"Seq2Seq.decode_step: expected y_prev of rank 1 (B,), got rank {y_prev.dim()}"
            )
        e = self.dropout(self.tgt_embedding(y_prev))  # (B, E)
        features, state, alpha = self._step(e, state, encoded)
        return Step(F.log_softmax(self.readout(self.dropout(features)), dim=1), state, alpha)

    def forward(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher forcing: src (B, S), src_lengths (B,), tgt_in (B, T) = <s> y<1> … y<T−1>
        → logits (B, T, V) of y<1> … y<T>; log_softmax of them equals stepping decode_step."""
        encoded = self.encode(src, src_lengths)
        if tgt_in.dim() != 2 or tgt_in.shape[0] != src.shape[0] or tgt_in.shape[1] == 0:
            raise ValueError(
                f"Seq2Seq.forward: expected tgt_in of shape ({src.shape[0]}, T ≥ 1), "
                f"got {tuple(tgt_in.shape)}"
            )
        e = self.dropout(self.tgt_embedding(tgt_in))  # (B, T, E)
        state, features = encoded.state, []
        for t in range(tgt_in.shape[1]):
            f, state, _ = self._step(e[:, t], state, encoded)
            features.append(f)
        return self.readout(self.dropout(torch.stack(features, dim=1)))  # one product for all t

    def _step(self, e: Tensor, state: State, encoded: Encoded) -> tuple[Tensor, State, Tensor]:
        """E y<t−1> (B, E), s<t−1> → readout input [s<t>; c<t>; E y<t−1>] (B, 4H + E), s<t>,
        α<t,t'> (B, S)."""
        context, alpha = self.attention(state[0], encoded.keys, encoded.memory, encoded.mask)
        x = torch.cat([e, context], dim=1)  # (B, E + 2H)
        if self.config.cell == "lstm":
            state = self.cell(x, (state[0], state[1]))
        else:
            state = (self.cell(x, state[0]),)
        return torch.cat([state[0], context, e], dim=1), state, alpha


def _check_arguments(src_vocab_size: int, tgt_vocab_size: int, ids: tuple[int, int, int]) -> None:
    for name, value in (("src_vocab_size", src_vocab_size), ("tgt_vocab_size", tgt_vocab_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"Seq2Seq: expected {name} to be a positive int, got {value!r}")
    limits = {"pad_id": min(src_vocab_size, tgt_vocab_size), "bos_id": tgt_vocab_size,
              "eos_id": tgt_vocab_size}  # <pad> pads both sides
    for (name, limit), value in zip(limits.items(), ids, strict=True):
        if not 0 <= value < limit:
            raise ValueError(f"Seq2Seq: expected {name} in [0, {limit}), got {value}")
    if len(set(ids)) != 3:
        raise ValueError(f"Seq2Seq: expected distinct pad, bos and eos ids, got {ids}")


def _check_source(who: str, src: Tensor, src_lengths: Tensor) -> None:
    """src (B, S) integer ids and src_lengths (B,) integers in [1, S], else an error."""
    if src.dim() != 2:
        raise ValueError(f"{who}: expected src of rank 2 (B, S), got rank {src.dim()}")
    B, S = src.shape
    if src.is_floating_point() or src_lengths.is_floating_point():
        raise TypeError(
            f"{who}: expected integer src and src_lengths, got {src.dtype} and {src_lengths.dtype}"
        )
    if tuple(src_lengths.shape) != (B,):
        raise ValueError(
            f"{who}: expected src_lengths of shape ({B},), got {tuple(src_lengths.shape)}"
        )
    if B and not (int(src_lengths.min()) >= 1 and int(src_lengths.max()) <= S):
        raise ValueError(
            f"{who}: expected src_lengths in [1, {S}], "
            f"got [{int(src_lengths.min())}, {int(src_lengths.max())}]"
        )
