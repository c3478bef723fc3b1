"""Decoding over the model protocol (``encode``, ``decode_step``): greedy and beam search, and the
teacher-forced score of a given output (notes: "Beam Search", and its length normalisation).

The notes' objective, with length normalisation:

    ŷ = argmax_y  1/lp(T) · Σ_{t=1}^{T} log P(y<t> | x, y<1>, …, y<t−1>)

lp(T) = T^α (``"notes"``) or ((5 + T)/6)^α (``"gnmt"``, Wu et al. 2016, Eq. 14); α = 0 is the raw
log-probability. T counts the output tokens including the closing </s>, which the model predicts
like any other token, so a score equals the teacher-forced log-probability of y<1> … y<T−1> </s>
divided by lp(T) (:func:`score`). The search space is every sequence of tokens other than <pad>
and <s> that ends with its first </s>, at most T_max = ⌊max_ratio · S⌋ + max_extra tokens long
(S the sentence's own source length): at step T_max only </s> is allowed.

Beam search (notes: keep the K best partial outputs at every step) is in
:mod:`seqkit.seq2seq.beam`; ``decode.beam``, ``decode.fixed_width`` and ``decode.n_best`` set it.

Shapes (docs/notation.md): B batch, S source length, T output length, V vocabulary, K beam.
"""

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

import torch
from torch import Tensor

from seqkit.config import require
from seqkit.errors import ConfigError
from seqkit.seq2seq.model import Step

LENGTH_PENALTIES = ("notes", "gnmt")


@dataclass
class DecodeConfig:
    """The recipe's ``decode:`` section; a bad value raises :class:`ConfigError` (a ValueError)."""

    beam: int = 5  # K, hypotheses kept per sentence and step (1: greedy)
    fixed_width: bool = False  # keep K live after some finish (Joey NMT); False: the notes' K − F
    alpha: float = 0.7  # α ≥ 0 of the length normalisation (0: raw log-probability)
    length_penalty: Literal["notes", "gnmt"] = "notes"  # lp(T) = T^α or ((5 + T)/6)^α
    n_best: int = 1  # hypotheses returned per sentence, at most beam
    max_ratio: float = 2.0  # T_max = ⌊max_ratio · S⌋ + max_extra output tokens, </s> included
    max_extra: int = 10  # the constant of T_max
    batch_size: int = 64  # sentences decoded together (by callers that batch a corpus)

    def __post_init__(self) -> None:
        if self.length_penalty not in LENGTH_PENALTIES:
            raise ConfigError(
                f"decode.length_penalty: unknown {self.length_penalty!r}; "
                f"expected one of {', '.join(LENGTH_PENALTIES)}"
            )
        minimum = {"beam": 1, "n_best": 1, "max_extra": 1, "batch_size": 1}
        for name, low in minimum.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"decode.{name}: expected ≥ {low}, got {value!r}")
        if self.n_best > self.beam:
            raise ConfigError(
                f"decode.n_best: expected ≤ beam, got n_best={self.n_best}, beam={self.beam}"
            )
        # require also refuses nan and inf, which ≥ 0 lets through (inf) or words badly (nan):
        # lp(T) = T^α and T_max = ⌊max_ratio · S⌋ + max_extra need finite values
        for name in ("alpha", "max_ratio"):
            value = getattr(self, name)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            require(number and value >= 0, f"decode.{name}", "≥ 0", value)


class Decoder(Protocol):
    """What the search needs of a model (:class:`seqkit.seq2seq.Seq2Seq` is one).

    ``encode`` returns a NamedTuple of batch-first tensors (or tuples of them) with the decoder's
    initial state in its field ``state``; a state is a batch-first tensor or tuple of them. Search
    expands, reorders and drops (finished sentences) rows of both along dim 0.
    """

    pad_id: int
    bos_id: int
    eos_id: int

    def encode(self, src: Tensor, src_lengths: Tensor) -> Any: ...

    def decode_step(self, y_prev: Tensor, state: Any, encoded: Any) -> Step: ...

    def __call__(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor: ...


class Hypothesis(NamedTuple):
    """One output sentence."""

    tokens: list[int]  # ŷ<1> … ŷ<T−1>, without the closing </s>
    score: float  # log_prob / lp(T), the objective the search maximises
    log_prob: float  # Σ_{t=1}^{T} log P(ŷ<t> | x, ŷ<1>, …, ŷ<t−1>), </s> included
    attention: Tensor  # α<t,t'> (T, S) for t = 1 … T, S the sentence's own source length


class Score(NamedTuple):
    """Teacher-forced log-probabilities of given outputs."""

    log_prob: Tensor  # Σ_t log P(y<t> | x, y<1>, …, y<t−1>) (B,)
    length: Tensor  # T (B,), </s> included


def length_penalty(length: Tensor, alpha: float, kind: str) -> Tensor:
    """lp(T) for lengths T (N*): T^α (``"notes"``) or ((5 + T)/6)^α (``"gnmt"``) → float (N*)."""
    if kind not in LENGTH_PENALTIES:
        raise ValueError(
            f"length_penalty: unknown kind {kind!r}; expected one of {', '.join(LENGTH_PENALTIES)}"
        )
    T = length.double()
    return (T if kind == "notes" else (5 + T) / 6) ** alpha


def normalise(log_prob: Tensor, length: Tensor, config: DecodeConfig) -> Tensor:
    """The search's objective log P(y|x) / lp(T): log_prob (N*), length (N*) → (N*)."""
    lp = length_penalty(length, config.alpha, config.length_penalty)
    return log_prob / lp.to(log_prob.dtype)


def max_length(src_lengths: Tensor, config: DecodeConfig) -> Tensor:
    """T_max = ⌊max_ratio · S⌋ + max_extra for source lengths S (B,) → (B,) long."""
    return (src_lengths.double() * config.max_ratio).floor().long() + config.max_extra


def score(model: Decoder, src: Tensor, src_lengths: Tensor, tgt: Tensor) -> Score:
    """Teacher-forced log P(y|x): src (B, S), src_lengths (B,), tgt (B, T) = y<1> … y<T_b> with
    y<T_b> = </s>, padded with <pad> → :class:`Score` (log_prob (B,), length (B,) = T_b)."""
    if tgt.dim() != 2 or tgt.shape[0] != src.shape[0]:
        raise ValueError(
            f"score: expected tgt of shape ({src.shape[0]}, T), got {tuple(tgt.shape)}"
        )
    bos = torch.full_like(tgt[:, :1], model.bos_id)
    logits = model(src, src_lengths, torch.cat([bos, tgt[:, :-1]], dim=1))  # (B, T, V)
    log_probs = torch.log_softmax(logits, dim=2).gather(2, tgt.unsqueeze(2)).squeeze(2)  # (B, T)
    real = tgt != model.pad_id
    return Score(torch.where(real, log_probs, 0.0).sum(dim=1), real.sum(dim=1))


def allowed(log_probs: Tensor, t: int, limit: Tensor, model: Decoder) -> Tensor:
    """The search space at step t: log_probs (N, V) with <pad> and <s> at −inf, and every token but
    </s> at −inf in rows whose T_max ``limit`` (N,) is t."""
    V = log_probs.shape[1]
    tokens = torch.arange(V, device=log_probs.device)
    banned = (tokens == model.pad_id) | (tokens == model.bos_id)  # (V,)
    banned = banned | ((limit.to(tokens.device) == t)[:, None] & (tokens != model.eos_id))
    return log_probs.masked_fill(banned, float("-inf"))  # (N, V)


@torch.no_grad()
def greedy(
    model: Decoder, src: Tensor, src_lengths: Tensor, config: DecodeConfig | None = None
) -> list[Hypothesis]:
    """Pick ŷ<t> = argmax P(y<t> | x, ŷ<1..t−1>) until </s>: src (B, S), src_lengths (B,) → one
    :class:`Hypothesis` per sentence, scored with ``config``'s length normalisation."""
    config = config or DecodeConfig()
    encoded = model.encode(src, src_lengths)
    limit = max_length(src_lengths, config)
    B = src.shape[0]
    y = torch.full((B,), model.bos_id, dtype=torch.long, device=src.device)
    state = encoded.state
    total = torch.zeros(B, dtype=torch.float64, device=src.device)  # Σ log P, float64 as in beams
    ended = torch.zeros(B, dtype=torch.long, device=src.device)  # T of each finished sentence
    tokens, alphas = [], []
    for t in range(1, int(limit.max()) + 1):
        step = model.decode_step(y, state, encoded)
        best, y = allowed(step.log_probs, t, limit, model).max(dim=1)  # (B,) each
        total = torch.where(ended > 0, total, total + best.double())
        ended = torch.where((ended == 0) & (y == model.eos_id), t, ended)
        tokens.append(y)
        alphas.append(step.alpha)
        state = step.state
        if bool((ended > 0).all()):
            break
    scores = normalise(total, ended, config).tolist()
    y_hat, alpha = torch.stack(tokens, dim=1), torch.stack(alphas, dim=1)  # (B, T), (B, T, S)
    T, S = ended.tolist(), src_lengths.tolist()
    return [
        Hypothesis(y_hat[b, : T[b] - 1].tolist(), scores[b], float(total[b]),
                   alpha[b, : T[b], : S[b]].clone())  # its own tensor, not a view of the batch's
        for b in range(B)
    ]
