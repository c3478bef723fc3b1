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

Beam search (notes): each step extends every live hypothesis by every token and keeps the K − F
best extensions by log-probability, F being the number of finished hypotheses; extensions ending
in </s> are set aside as finished, so the beam narrows as hypotheses finish, and K = 1 is greedy
search. A sentence stops when no hypothesis is live, or when ``n_best`` are finished and none of
its live ones can still beat the n_best-th best (see :func:`_stopped`).

Shapes (docs/notation.md): B batch, S source length, T output length, V vocabulary, K beam.
"""

import math
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
    expands and reorders both along dim 0.
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


class Beams(NamedTuple):
    """The live hypotheses of B sentences in K slots each, rows b·K + k; t tokens so far."""

    log_prob: Tensor  # Σ log P of each slot (B, K) float64, −inf at dead slots
    tokens: Tensor  # ŷ<1> … ŷ<t> (B·K, t)
    alpha: Tensor  # α<1..t, t'> (B·K, t, S)
    state: Any  # the decoder's state, rows b·K + k


class Picked(NamedTuple):
    """The extensions kept at one step, best first, K per sentence."""

    log_prob: Tensor  # Σ log P of the extended hypothesis (B, K) float64
    origin: Tensor  # the slot k it extends (B, K)
    token: Tensor  # the token it adds (B, K)
    valid: Tensor  # (B, K) bool: a real extension among the sentence's K − F best


@torch.no_grad()
def beam_search(
    model: Decoder, src: Tensor, src_lengths: Tensor, config: DecodeConfig | None = None
) -> list[list[Hypothesis]]:
    """Beam search (see the module's docstring): src (B, S), src_lengths (B,) → for each sentence
    its ``config.n_best`` best finished :class:`Hypothesis`, best score first."""
    config = config or DecodeConfig()
    B, K = src.shape[0], config.beam
    encoded = _map(lambda x: x.repeat_interleave(K, dim=0), model.encode(src, src_lengths))
    limit = max_length(src_lengths, config)
    log_prob = torch.full((B, K), float("-inf"), dtype=torch.float64, device=src.device)
    log_prob[:, 0] = 0.0  # one live slot at the start, else the K copies would extend alike
    no_tokens = src.new_zeros(B * K, 0)
    no_alpha = torch.zeros(B * K, 0, src.shape[1], device=src.device)
    beams = Beams(log_prob, no_tokens, no_alpha, encoded.state)
    y_prev = torch.full((B * K,), model.bos_id, dtype=torch.long, device=src.device)
    finished: list[list[Hypothesis]] = [[] for _ in range(B)]
    for t in range(1, int(limit.max()) + 1):
        step = model.decode_step(y_prev, beams.state, encoded)
        log_probs = allowed(step.log_probs, t, limit.repeat_interleave(K), model)  # (B·K, V)
        candidates = expand(beams.log_prob, log_probs)  # (B, K·V)
        width = torch.tensor([K - len(f) for f in finished], device=src.device)
        picked = select_topk(candidates, width, log_probs.shape[1])
        beams, ended = advance(beams, picked, step, model.eos_id)
        finalize(beams, ended, src_lengths, config, finished)
        beams = beams._replace(log_prob=beams.log_prob.masked_fill(ended, float("-inf")))
        stopped = _stopped(beams.log_prob, finished, limit, config)
        beams = beams._replace(log_prob=beams.log_prob.masked_fill(stopped[:, None], float("-inf")))
        if bool(stopped.all()):
            break
        y_prev = picked.token.flatten()
    return [sorted(f, key=lambda h: -h.score)[: config.n_best] for f in finished]


def expand(log_prob: Tensor, log_probs: Tensor) -> Tensor:
    """Every one-token extension: log_prob (B, K) of the slots, log_probs (B·K, V) of the next
    token → log P of the extensions (B, K·V), index k·V + v (−inf from dead slots)."""
    B, K = log_prob.shape
    return (log_prob.unsqueeze(2) + log_probs.double().view(B, K, -1)).view(B, -1)


def select_topk(candidates: Tensor, width: Tensor, V: int) -> Picked:
    """The K best extensions per sentence, of which the first ``width`` (B,) count (K − F, F the
    sentence's finished hypotheses): candidates (B, K·V) → :class:`Picked`."""
    K = candidates.shape[1] // V
    log_prob, index = candidates.topk(K, dim=1)  # (B, K), sorted best first
    rank = torch.arange(K, device=candidates.device)
    valid = (log_prob > float("-inf")) & (rank < width[:, None])
    return Picked(log_prob, index // V, index % V, valid)  # index k·V + v → slot k, token v


def advance(beams: Beams, picked: Picked, step: Step, eos_id: int) -> tuple[Beams, Tensor]:
    """The beams after one step: slot k holds the k-th picked extension (dead unless valid); also
    ``ended`` (B, K) bool, the valid extensions that close with </s>."""
    B, K = picked.token.shape
    rows = (torch.arange(B, device=picked.token.device)[:, None] * K + picked.origin).flatten()
    tokens = torch.cat([beams.tokens[rows], picked.token.flatten()[:, None]], dim=1)  # (B·K, t+1)
    alpha = torch.cat([beams.alpha[rows].to(step.alpha), step.alpha[rows].unsqueeze(1)], dim=1)
    state = _map(lambda x: x.index_select(0, rows), step.state)
    log_prob = picked.log_prob.masked_fill(~picked.valid, float("-inf"))
    ended = picked.valid & (picked.token == eos_id)
    return Beams(log_prob, tokens, alpha, state), ended


def finalize(
    beams: Beams,
    ended: Tensor,
    src_lengths: Tensor,
    config: DecodeConfig,
    finished: list[list[Hypothesis]],
) -> None:
    """Append each ended slot (``ended`` (B, K) bool) of ``beams`` to its sentence's ``finished``
    list as a :class:`Hypothesis`."""
    K, T = ended.shape[1], beams.tokens.shape[1]
    for b, k in ended.nonzero().tolist():
        row, log_prob = b * K + k, beams.log_prob[b, k]
        finished[b].append(Hypothesis(
            beams.tokens[row, :-1].tolist(),
            float(normalise(log_prob, torch.tensor(T), config)),
            float(log_prob),
            beams.alpha[row, :, : int(src_lengths[b])].clone(),  # not a view of all the beams
        ))


def _stopped(
    log_prob: Tensor, finished: list[list[Hypothesis]], limit: Tensor, config: DecodeConfig
) -> Tensor:
    """(B,) bool: sentences whose search is over.

    Over when no slot is live, or when ``n_best`` hypotheses are finished and no live one can beat
    the n_best-th best score s_n. Exact for every α ≥ 0: a live hypothesis with log-probability
    L ≤ 0 ends as some y with log P(y|x) ≤ L (log-probabilities only add terms ≤ 0) and
    T ≤ T_max, so lp(T) ≤ lp(T_max) (lp grows with T for α ≥ 0) and
    log P(y|x) / lp(T) ≤ L / lp(T) ≤ L / lp(T_max). Stopping when max L / lp(T_max) ≤ s_n drops
    nothing that could enter the n-best list; the bound is tight at α = 0 and loose for α > 0.
    """
    n = config.n_best
    s_n = [sorted((h.score for h in f), reverse=True)[n - 1] if len(f) >= n else -math.inf
           for f in finished]
    bound = normalise(log_prob.max(dim=1).values, limit.to(log_prob.device), config)  # (B,)
    return bound <= torch.tensor(s_n, dtype=bound.dtype, device=bound.device)


def _map(fn: Any, x: Any) -> Any:
    """``fn`` applied to every tensor of a tensor, tuple or NamedTuple (nested)."""
    if isinstance(x, Tensor):
        return fn(x)
    items = [_map(fn, v) for v in x]
    return type(x)._make(items) if hasattr(x, "_fields") else type(x)(items)
