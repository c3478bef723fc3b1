"""The attention encoder–decoder (notes: "Attention Model intuition"; Bahdanau et al. 2015,
"RNNsearch").

Encoder: source embeddings run through a bidirectional :class:`seqkit.rnn.RNN` (torch's fused
kernel); a<t'> = [a→<t'>; a←<t'>] (B, S, 2H) is the memory attention reads (notes: "BRNN").

Decoder (Bahdanau et al., Eq. 4–6 and A.2.2), L cells of :mod:`seqkit.rnn` stepped in a loop:

    c<t>  = Σ_t' α<t,t'> a<t'>,   α<t,t'> = softmax_t'(score(s<t−1>, a<t'>))   (attention.py)
    s<t>  = cell([E y<t−1>; c<t>], s<t−1>)                                     Eq. 4, s_i = f(…)
    P(y<t> | x, y<1>, …, y<t−1>) = softmax(W_o [s<t>; c<t>; E y<t−1>] + b_o)     Eq. 4, g(…)
    s<0>  = tanh(W_0 [a→<S>; a←<1>] + b_0),   c<0> = 0 for the lstm's memory cell

s<t> has the memory's size 2H so that every score, Luong's dot included, is defined. Note
(deviations): the readout g is one linear map, not Bahdanau's maxout deep output; s<0> reads both
directions' final states, not a←<1> alone; with Luong's scores the attention reads s<t−1>
before the cell step unless ``attend: after`` (Luong et al.'s order, below).

Options (``model:`` keys), each off by default so that the notes' model above is the default:

* ``readout: attentional`` — Luong et al.'s attentional vector (Eq. 5) between state and softmax,
  as Joey NMT's recurrent decoder: h̃<t> = tanh(W_c [s<t>; c<t>] + b_c) of size D =
  ``readout_dim``, then P(y<t> | …) = softmax(W_o h̃<t> + b_o). It costs D·(4H + V) multiply-adds
  per token instead of (4H + E)·V: less for every D < V·(4H + E)/(4H + V).
* ``input_feeding`` (needs the attentional readout) — Luong et al. §3.3: the cell also reads
  h̃<t−1>, s<t> = cell([E y<t−1>; c<t>; h̃<t−1>], s<t−1>), h̃<0> = 0; h̃ joins the state.
* ``attend: after`` — Luong et al.'s order (§3.1, and Joey NMT's recurrent decoder): the cell
  steps first, s<t> = cell([E y<t−1> (; h̃<t−1>)], s<t−1>), then the new state attends,
  c<t> = Σ_t' α<t,t'> a<t'> with α from score(s<t>, a<t'>), and the readout reads [s<t>; c<t>]
  as before. Without input feeding nothing in the recurrence waits for attention, so teacher
  forcing runs the cells over all T steps in one call of torch's fused kernel (``torch.gru``
  etc. on the cells' own parameters) and attends, reads out and back-propagates for all t in
  batched products (tested equal to stepping the cells).
* ``decoder_layers`` L — stacked cells; layer l > 1 reads layer l−1's new state (dropout between);
  every layer starts from s<0>; attention and readout read the top layer's s<t>.
* ``tie_embeddings`` — W_o is the target embedding matrix E (Press & Wolf 2017); needs the
  attentional readout with D = E. Note: as in Vaswani et al. 2017 (§3.4) the shared matrix
  starts N(0, 1/E), so that the first logits W_o h̃<t> are O(1) and not O(√E), and the decoder
  reads √E · E y<t−1>, an input of the untied scale N(0, 1).

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

# The decoder's state, batch first: s<t> of layers 1 … L (B, 2H) each, then for lstm their memory
# cells, then h̃<t> (B, D) with input feeding; (s<t>,) or (s<t>, c<t>) for one layer and no feeding.
State = tuple[Tensor, ...]
CELLS: dict[str, type[nn.Module]] = {"gru": GRUCell, "lstm": LSTMCell, "rnn": RNNCell}
READOUTS = ("concat", "attentional")
ATTENDS = ("before", "after")
# torch's fused kernel for each decoder cell (the cells' defaults: GRU reset after, LSTM without
# peepholes, tanh RNN), called as torch.nn.GRU etc. call it
KERNELS = {"gru": torch.gru, "lstm": torch.lstm, "rnn": torch.rnn_tanh}


@dataclass
class Seq2SeqConfig:
    """The recipe's ``model:`` section; a bad value raises :class:`ConfigError` (a ValueError)."""

    embedding_dim: int = 64  # E, size of the source and target token embeddings
    hidden_size: int = 128  # H per encoder direction; the decoder's s<t> has 2H
    encoder_layers: int = 1  # stacked bidirectional encoder layers
    decoder_layers: int = 1  # L, stacked decoder cells
    cell: Literal["gru", "lstm", "rnn"] = "gru"  # recurrent cell of encoder and decoder
    attention: Literal["bahdanau", "dot", "general"] = "bahdanau"  # score e<t,t'>
    attend: Literal["before", "after"] = "before"  # from s<t−1> into the cell, or from s<t>
    readout: Literal["concat", "attentional"] = "concat"  # W_o [s; c; E y] or W_o tanh(W_c [s; c])
    readout_dim: int | None = None  # D of the attentional vector h̃<t>; None: 2H
    input_feeding: bool = False  # the cell also reads h̃<t−1> (attentional readout only)
    tie_embeddings: bool = False  # W_o = the target embeddings (attentional readout, D = E)
    dropout: float = 0.0  # drop probability on embeddings, between layers, before the readout

    def __post_init__(self) -> None:
        for key, choices in (("cell", CELLS), ("attention", ATTENTIONS), ("attend", ATTENDS),
                             ("readout", READOUTS)):
            if getattr(self, key) not in choices:
                raise ConfigError(f"model.{key}: unknown {getattr(self, key)!r}; "
                                  f"expected one of {', '.join(choices)}")
        for name in ("embedding_dim", "hidden_size", "encoder_layers", "decoder_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"model.{name}: expected > 0, got {value!r}")
        if self.readout_dim is not None and self.readout_dim <= 0:
            raise ConfigError(f"model.readout_dim: expected > 0 or null, got {self.readout_dim}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout: expected in [0, 1), got {self.dropout}")
        for key in ("input_feeding", "tie_embeddings"):
            if getattr(self, key) and self.readout != "attentional":
                raise ConfigError(f"model.{key}: needs model.readout: attentional, got "
                                  f"{self.readout!r}")
        if self.tie_embeddings and self.attentional_dim != self.embedding_dim:
            raise ConfigError(f"model.tie_embeddings: needs model.readout_dim equal to "
                              f"model.embedding_dim={self.embedding_dim}, got "
                              f"{self.attentional_dim}")

    @property
    def attentional_dim(self) -> int:
        """D, the size of h̃<t>: ``readout_dim``, or the decoder's 2H."""
        return self.readout_dim or 2 * self.hidden_size


class Encoded(NamedTuple):
    """The encoder's output for a batch; every tensor batch first."""

    memory: Tensor  # a<t'> (B, S, 2H), zero at padding
    keys: Tensor  # the attention's query-independent part of e<t,t'> (B, S, A)
    mask: Tensor  # (B, S) bool, True at real source positions
    state: State  # the decoder's initial state (see State): s<0> (B, 2H) per layer, …


class Step(NamedTuple):
    """One decoder step for a batch."""

    log_probs: Tensor  # log P(y<t> | x, y<1>, …, y<t−1>) (B, V)
    state: State  # s<t> (B, 2H) per layer [, c<t> per layer] [, h̃<t> (B, D)]
    alpha: Tensor  # α<t,t'> (B, S)


class Seq2Seq(nn.Module):
    """Bidirectional RNN encoder, attention decoder (see the module's docstring for the equations).

    Args:
        config: sizes, cell, attention score, readout and dropout.
        src_vocab_size, tgt_vocab_size: source and target V.
        pad_id, bos_id, eos_id: target ids of <pad>, <s> (the first y<0>) and </s>; <pad> is also
            the source's padding id.

    Parameters: ``src_embedding``, ``tgt_embedding`` (V, E); ``encoder`` (a :class:`RNN`);
    ``bridge`` W_0 (2H, 2H); ``attention``; ``cell`` (input E [+ 2H attending before] [+ D],
    hidden 2H) and ``stacked_cells`` (layers 2 … L, 2H → 2H);
    ``readout`` W_o (V, 4H + E), or with the attentional readout ``attentional`` W_c (D, 4H) and
    ``readout`` W_o (V, D) (tied: the same tensor as ``tgt_embedding.weight``).
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
        D, L = config.attentional_dim, config.decoder_layers
        self.src_embedding = Embedding(src_vocab_size, E, padding_idx=pad_id)
        self.tgt_embedding = Embedding(tgt_vocab_size, E, padding_idx=pad_id)
        self.dropout = Dropout(1.0 - config.dropout)
        between_layers = config.dropout if config.encoder_layers > 1 else 0.0
        self.encoder = RNN(config.cell, E, H, config.encoder_layers, True, between_layers)
        self.bridge = Dense(M, M)
        self.attention = make_attention(config.attention, M, M, H)
        fed = D if config.input_feeding else 0
        attended = M if config.attend == "before" else 0
        cell = CELLS[config.cell]
        self.cell = cell(E + attended + fed, M)  # layer 1 (the name of one-layer checkpoints)
        self.stacked_cells = nn.ModuleList([cell(M, M) for _ in range(L - 1)])  # layers 2 … L
        if config.readout == "attentional":
            self.attentional = Dense(2 * M, D)
            self.readout = Dense(D, tgt_vocab_size)
            if config.tie_embeddings:
                with torch.no_grad():
                    self.tgt_embedding.weight.mul_(E ** -0.5)  # N(0, 1/E), <pad>'s row still 0
                self.readout.weight = self.tgt_embedding.weight  # (V, E), E = D
        else:
            self.readout = Dense(2 * M + E, tgt_vocab_size)

    def encode(self, src: Tensor, src_lengths: Tensor) -> Encoded:
        """src (B, S) token ids, src_lengths (B,) in [1, S] → :class:`Encoded`."""
        _check_source("Seq2Seq.encode", src, src_lengths)
        S = src.shape[1]
        lengths = src_lengths.to(src.device)
        memory, final = self.encoder(self.dropout(self.src_embedding(src)), lengths)  # (B, S, 2H)
        a = final[0] if isinstance(final, tuple) else final  # (L·2, B, H)
        s_0 = torch.tanh(self.bridge(torch.cat([a[-2], a[-1]], dim=1)))  # top layer's → and ←
        L = self.config.decoder_layers
        state = (s_0,) * L + ((torch.zeros_like(s_0),) * L if self.config.cell == "lstm" else ())
        if self.config.input_feeding:
            state += (s_0.new_zeros(s_0.shape[0], self.config.attentional_dim),)  # h̃<0> = 0
        mask = torch.arange(S, device=src.device) < lengths[:, None]  # (B, S)
        return Encoded(memory, self.attention.keys(memory), mask, state)

    def decode_step(self, y_prev: Tensor, state: State, encoded: Encoded) -> Step:
        """y<t−1> (B,) token ids, s<t−1> → :class:`Step` with log P(y<t> | …) (B, V)."""
        if y_prev.dim() != 1:
            raise ValueError(
                f"Seq2Seq.decode_step: expected y_prev of rank 1 (B,), got rank {y_prev.dim()}"
            )
        e = self.dropout(self._embed_target(y_prev))  # (B, E)
        w_e, w_rest = self._split_input_weights()
        features, state, alpha = self._step(F.linear(e, w_e, self.cell.bias_ih), w_rest, state,
                                            encoded)
        if self.config.readout == "concat":
            features = torch.cat([features, e], dim=1)  # [s<t>; c<t>; E y<t−1>]
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
        e = self.dropout(self._embed_target(tgt_in))  # (B, T, E)
        if self.config.attend == "after" and not self.config.input_feeding:
            return self._forward_fused(e, encoded)
        # E y<t−1> is known for every t before the loop: its part of the first cell's input
        # product, W_ih[:, :E] E y<t−1> + b_ih, is one product for all t (as the RNN layer does);
        # unbind's backward stacks the T gradients once, where e[:, t] would zero (B, T, E) per t.
        w_e, w_rest = self._split_input_weights()
        gates_e = F.linear(e, w_e, self.cell.bias_ih).unbind(1)  # T × (B, G·2H)
        state, features = encoded.state, []
        for gx_e in gates_e:
            f, state, _ = self._step(gx_e, w_rest, state, encoded)
            features.append(f)
        features = torch.stack(features, dim=1)  # (B, T, 4H) or (B, T, D)
        if self.config.readout == "concat":
            features = torch.cat([features, e], dim=2)  # [s<t>; c<t>; E y<t−1>] (B, T, 4H + E)
        return self.readout(self.dropout(features))  # one product for all t

    def _forward_fused(self, e: Tensor, encoded: Encoded) -> Tensor:
        """Teacher forcing attending after the cells, without input feeding: dropped-out target
        embeddings e (B, T, E) → logits (B, T, V). The cells run over all T steps in one call of
        torch's kernel on their own parameters (dropout between layers inside it, as between
        the stepped cells); padding follows each target, so no step before it reads it."""
        config = self.config
        L, lstm = config.decoder_layers, config.cell == "lstm"
        cells = [self.cell, *self.stacked_cells]
        weights = [w for c in cells for w in (c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh)]
        state = encoded.state
        s_0 = torch.stack(state[:L])  # (L, B, 2H)
        hx = (s_0, torch.stack(state[L:2 * L])) if lstm else s_0
        s, *_ = KERNELS[config.cell](e, hx, weights, True, L, config.dropout if L > 1 else 0.0,
                                     self.training, False, True)  # (B, T, 2H)
        context, _ = self.attention(s, encoded.keys, encoded.memory, encoded.mask)  # (B, T, 2H)
        features = torch.cat([s, context], dim=2)  # [s<t>; c<t>] (B, T, 4H)
        if config.readout == "concat":
            features = torch.cat([features, e], dim=2)
        else:
            features = torch.tanh(self.attentional(self.dropout(features)))  # h̃<t> (B, T, D)
        return self.readout(self.dropout(features))

    def _embed_target(self, y: Tensor) -> Tensor:
        """E y for target ids y (N*) → (N*, E); √E · E y when tied (see the module's Note)."""
        e = self.tgt_embedding(y)
        return e * self.config.embedding_dim ** 0.5 if self.config.tie_embeddings else e

    def _split_input_weights(self) -> tuple[Tensor, Tensor]:
        """The first cell's W_ih (G·2H, E + 2H [+ D]) split by the columns of its input
        [E y<t−1>; c<t> (; h̃<t−1>)]: W_e (G·2H, E) and W_rest (G·2H, 2H [+ D]). Split once per
        forward: a slice inside the loop would zero a gradient of W_ih's size at every step."""
        return self.cell.weight_ih.split([self.config.embedding_dim, self.cell.input_size
                                          - self.config.embedding_dim], dim=1)

    def _step(
        self, gx_e: Tensor, w_rest: Tensor, state: State, encoded: Encoded
    ) -> tuple[Tensor, State, Tensor]:
        """One decoder step. gx_e = W_e E y<t−1> + b_ih (B, G·2H), the embedding's part of the
        first cell's input product (see :meth:`_split_input_weights`), and the state at t−1 →
        the readout's input ([s<t>; c<t>] (B, 4H), to which the concat readout appends E y<t−1>,
        or h̃<t> (B, D)), the state at t, α<t,t'> (B, S).

        The first cell computes cell([E y<t−1>; c<t> (; h̃<t−1>)], s<t−1>) as W_ih times that
        concatenation, written as the sum of its column blocks' products (tested equal);
        attending after the cells, its input is [E y<t−1> (; h̃<t−1>)]."""
        config = self.config
        L, lstm, feeding = config.decoder_layers, config.cell == "lstm", config.input_feeding
        before = config.attend == "before"
        s, memory_cells = state[:L], state[L:2 * L] if lstm else ()
        rest = [state[-1]] if feeding else []  # h̃<t−1> (B, D)
        if before:
            context, alpha = self.attention(s[-1], encoded.keys, encoded.memory, encoded.mask)
            rest.insert(0, context)  # c<t> (B, 2H)
        # W_ih [E y<t−1>; c<t> (; h̃<t−1>)] + b_ih (B, G·2H)
        gx = gx_e + F.linear(torch.cat(rest, dim=1), w_rest) if rest else gx_e
        new_s, new_memory = [], []
        for layer, cell in enumerate([self.cell, *self.stacked_cells]):
            if layer:  # layer l > 1 reads layer l−1's new state
                gx = F.linear(self.dropout(new_s[-1]), cell.weight_ih, cell.bias_ih)  # (B, G·2H)
            new = cell.step(gx, (s[layer], memory_cells[layer]) if lstm else (s[layer],))
            new_s.append(new[0])
            new_memory.extend(new[1:])
        state = (*new_s, *new_memory)
        if not before:
            context, alpha = self.attention(new_s[-1], encoded.keys, encoded.memory, encoded.mask)
        features = torch.cat([new_s[-1], context], dim=1)  # [s<t>; c<t>] (B, 4H)
        if self.config.readout == "concat":
            return features, state, alpha
        h_tilde = torch.tanh(self.attentional(self.dropout(features)))
        return h_tilde, (*state, h_tilde) if feeding else state, alpha


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
