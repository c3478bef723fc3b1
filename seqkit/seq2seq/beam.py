"""Beam search over the model protocol (notes: "Beam Search"), batched for large test sets.

The objective, search space and T_max are those of :mod:`seqkit.seq2seq.search`. Each step
extends every live hypothesis by every token; of the extensions it keeps, those ending in </s> are
set aside as finished, the others stay live in K slots per sentence. Two widths:

* narrowing (the notes' beam, the default): keep the K − F best extensions, F the sentence's
  finished hypotheses, so the beam narrows as hypotheses finish; K = 1 is greedy search;
* ``fixed_width`` (Joey NMT's and fairseq's beam): of the 2K best extensions, those ending in
  </s> among the first K finish, and the K best of the others stay live, so K hypotheses stay live
  after some finish. Such a beam never empties, so a sentence also stops once K have finished.

A sentence stops when no hypothesis is live, or when ``n_best`` are finished and none of its live
ones can still beat the n_best-th best (see :func:`_stopped`). At scale, two things keep the cost
per step proportional to the live hypotheses:

* a sentence whose search has stopped leaves the batch: its rows of the decoder's state and of the
  encoder's output are dropped, so later steps run on the sentences still searched only. The
  copy costs about one step, so the batch is compacted once a quarter (``DROP_SHARE``) of its
  sentences have stopped; until then they ride along with dead (−inf) slots, adding nothing;
* the history is kept per step, not per hypothesis: step t stores each live slot's token ŷ<t>, its
  attention α<t,·> and the row it extends at step t − 1 (its parent). A finished hypothesis is
  read back along its parents; nothing is copied per step, so the history costs O(T) per step
  instead of the O(T²) of re-copying every prefix.

Shapes (docs/notation.md): B batch, N sentences still searched, S source length, V vocabulary,
K beam, W extensions picked per sentence (K narrowing, 2K fixed width), R rows of a step.
"""

import math
from typing import Any, NamedTuple

import torch
from torch import Tensor

from seqkit.seq2seq.model import Step
from seqkit.seq2seq.search import (
    DecodeConfig,
    Decoder,
    Hypothesis,
    allowed,
    max_length,
    normalise,
)

DROP_SHARE = 0.25  # share of stopped sentences that makes the search compact its batch


class Beams(NamedTuple):
    """The live slots of the N sentences still searched, rows n·K + k."""

    log_prob: Tensor  # Σ log P of each slot (N, K) float64, −inf at dead slots
    state: Any  # the decoder's state, rows n·K + k
    row: Tensor  # (N·K,) each slot's row in the history's last step
    sentence: Tensor  # (N,) each row block's sentence b in the caller's batch


class History(NamedTuple):
    """What each step kept, for reading finished hypotheses back: lists over steps t = 1, 2, …"""

    token: list[Tensor]  # ŷ<t> of each row of step t (R_t,)
    parent: list[Tensor]  # the row of step t − 1 that row r extends (R_t,); at t = 1 unused
    alpha: list[Tensor]  # α<t,t'> of each row (R_t, S)


class Picked(NamedTuple):
    """The W best extensions of each sentence at one step, best first."""

    log_prob: Tensor  # Σ log P of the extended hypothesis (N, W) float64
    origin: Tensor  # the slot k it extends (N, W)
    token: Tensor  # the token it adds (N, W)
    ended: Tensor  # (N, W) bool: kept, and closing with </s>: finished
    live: Tensor  # (N, W) bool: kept, and not closing: live in a slot of the next step


@torch.no_grad()
def beam_search(
    model: Decoder, src: Tensor, src_lengths: Tensor, config: DecodeConfig | None = None
) -> list[list[Hypothesis]]:
    """Beam search (see the module's docstring): src (B, S), src_lengths (B,) → for each sentence
    its ``config.n_best`` best finished :class:`Hypothesis`, best score first."""
    config = config or DecodeConfig()
    B, K, device = src.shape[0], config.beam, src.device
    encoded = _map(lambda x: x.repeat_interleave(K, dim=0), model.encode(src, src_lengths))
    limit = max_length(src_lengths, config).to(device)
    log_prob = torch.full((B, K), float("-inf"), dtype=torch.float64, device=device)
    log_prob[:, 0] = 0.0  # one live slot at the start, else the K copies would extend alike
    beams = Beams(log_prob, encoded.state, torch.zeros(B * K, dtype=torch.long, device=device),
                  torch.arange(B, device=device))
    history = History([], [], [])
    y_prev = torch.full((B * K,), model.bos_id, dtype=torch.long, device=device)
    finished: list[list[Hypothesis]] = [[] for _ in range(B)]
    for t in range(1, int(limit.max()) + 1):
        step = model.decode_step(y_prev, beams.state, encoded)
        rows_limit = limit[beams.sentence].repeat_interleave(K)
        log_probs = allowed(step.log_probs, t, rows_limit, model)  # (N·K, V)
        candidates = expand(beams.log_prob, log_probs)  # (N, K·V)
        done = torch.tensor([len(finished[b]) for b in beams.sentence.tolist()], device=device)
        picked = select_topk(candidates, done, log_probs.shape[1], model.eos_id, config.fixed_width)
        finalize(picked, beams, step.alpha, history, src_lengths, config, finished)
        beams, y_prev = advance(beams, picked, step, history)
        stopped = _stopped(beams.log_prob, [finished[b] for b in beams.sentence.tolist()],
                           limit[beams.sentence], config)
        if config.fixed_width:  # a fixed-width beam never empties: stop at K finished
            stopped |= torch.tensor([len(finished[b]) >= K for b in beams.sentence.tolist()],
                                    device=device)
        if bool(stopped.all()):
            break
        beams = beams._replace(log_prob=beams.log_prob.masked_fill(stopped[:, None], -math.inf))
        if int(stopped.sum()) >= DROP_SHARE * len(stopped):
            beams, encoded, y_prev = drop(beams, encoded, y_prev, ~stopped)
    return [sorted(f, key=lambda h: -h.score)[: config.n_best] for f in finished]


def expand(log_prob: Tensor, log_probs: Tensor) -> Tensor:
    """Every one-token extension: log_prob (N, K) of the slots, log_probs (N·K, V) of the next
    token → log P of the extensions (N, K·V), index k·V + v (−inf from dead slots)."""
    N, K = log_prob.shape
    return (log_prob.unsqueeze(2) + log_probs.double().view(N, K, -1)).view(N, -1)


def select_topk(candidates: Tensor, done: Tensor, V: int, eos_id: int,
                fixed_width: bool = False) -> Picked:
    """The extensions each sentence keeps: candidates (N, K·V), ``done`` (N,) its finished
    hypotheses F → :class:`Picked` of its W best: narrowing, W = K and the first K − F are kept;
    fixed width, W = 2K, </s> among the first K finishes and the first K others stay live."""
    K = candidates.shape[1] // V
    log_prob, index = candidates.topk(2 * K if fixed_width else K, dim=1)  # (N, W), best first
    origin, token = index // V, index % V  # index k·V + v → slot k, token v
    real, eos = log_prob > float("-inf"), token == eos_id
    rank = torch.arange(log_prob.shape[1], device=candidates.device)
    if fixed_width:
        others = real & ~eos
        return Picked(log_prob, origin, token, real & eos & (rank < K),
                      others & (others.cumsum(dim=1) <= K))
    kept = real & (rank < (K - done)[:, None])
    return Picked(log_prob, origin, token, kept & eos, kept & ~eos)


def advance(beams: Beams, picked: Picked, step: Step, history: History) -> tuple[Beams, Tensor]:
    """The beams after one step, and their next inputs y<t> (N·K,): slot k holds the k-th live
    extension (dead slots, −inf, after the last); the step's rows join the history."""
    N, K = beams.log_prob.shape
    order = torch.argsort((~picked.live).byte(), dim=1, stable=True)[:, :K]  # live first (N, K)
    alive = picked.live.gather(1, order)
    origin, token = picked.origin.gather(1, order), picked.token.gather(1, order)
    rows = (torch.arange(N, device=origin.device)[:, None] * K + origin).flatten()  # (N·K,)
    history.token.append(token.flatten())
    history.parent.append(beams.row[rows])
    history.alpha.append(step.alpha[rows])  # (N·K, S)
    log_prob = picked.log_prob.gather(1, order).masked_fill(~alive, float("-inf"))
    state = _map(lambda x: x.index_select(0, rows), step.state)
    row = torch.arange(N * K, device=origin.device)
    return Beams(log_prob, state, row, beams.sentence), token.flatten()


def finalize(picked: Picked, beams: Beams, alpha: Tensor, history: History, src_lengths: Tensor,
             config: DecodeConfig, finished: list[list[Hypothesis]]) -> None:
    """Append each ended extension of ``picked`` to its sentence's ``finished`` list as a
    :class:`Hypothesis`, read back from the history (``beams`` and the history as before the
    step; ``alpha`` (N·K, S) the step's α<t,t'>)."""
    K = beams.log_prob.shape[1]
    n, j = picked.ended.nonzero(as_tuple=True)  # in (n, rank) order, best first per sentence
    if not len(n):
        return
    rows = n * K + picked.origin[n, j]  # the slots they extend (m,)
    tokens, alphas = read_back(history, beams.row[rows], alpha[rows])  # (m, t − 1), (m, t, S)
    log_prob = picked.log_prob[n, j]
    T = torch.full_like(log_prob, alphas.shape[1])
    scores = normalise(log_prob, T, config).tolist()
    sentences = beams.sentence[n].tolist()
    for i, (b, y) in enumerate(zip(sentences, tokens.tolist(), strict=True)):
        S = int(src_lengths[b])
        finished[b].append(Hypothesis(y, scores[i], float(log_prob[i]),
                                      alphas[i, :, :S].clone()))  # not a view of the batch's


def read_back(history: History, rows: Tensor, alpha: Tensor) -> tuple[Tensor, Tensor]:
    """The hypotheses that extend ``rows`` (m,) of the history's last step with a last token
    whose attention is ``alpha`` (m, S), read along their parents: the history's tokens
    ŷ<1..t−1> (m, t − 1) and the attention α<1..t,·> (m, t, S), t − 1 the steps so far."""
    tokens, alphas = [], [alpha]
    for token, parent, alpha_t in zip(reversed(history.token), reversed(history.parent),
                                      reversed(history.alpha), strict=True):
        tokens.append(token[rows])
        alphas.append(alpha_t[rows])
        rows = parent[rows]
    y = torch.stack(tokens[::-1], dim=1) if tokens else rows.new_zeros(len(rows), 0)
    return y, torch.stack(alphas[::-1], dim=1)


def drop(beams: Beams, encoded: Any, y_prev: Tensor, keep: Tensor) -> tuple[Beams, Any, Tensor]:
    """Beams, encoder output and next inputs of the sentences ``keep`` (N,) bool only."""
    K = beams.log_prob.shape[1]
    rows = keep.repeat_interleave(K).nonzero().squeeze(1)  # (N'·K,)
    select = lambda x: x.index_select(0, rows)  # noqa: E731
    beams = Beams(beams.log_prob[keep], _map(select, beams.state), beams.row[rows],
                  beams.sentence[keep])
    return beams, _map(select, encoded), y_prev[rows]


def _stopped(
    log_prob: Tensor, finished: list[list[Hypothesis]], limit: Tensor, config: DecodeConfig
) -> Tensor:
    """(N,) bool: sentences whose search is over.

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
    bound = normalise(log_prob.max(dim=1).values, limit.to(log_prob.device), config)  # (N,)
    return bound <= torch.tensor(s_n, dtype=bound.dtype, device=bound.device)


def _map(fn: Any, x: Any) -> Any:
    """``fn`` applied to every tensor of a tensor, tuple or NamedTuple (nested)."""
    if isinstance(x, Tensor):
        return fn(x)
    items = [_map(fn, v) for v in x]
    return type(x)._make(items) if hasattr(x, "_fields") else type(x)(items)
