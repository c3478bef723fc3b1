"""The beam search as it was at commit d4116d3, before finished sentences left the batch and
before the attention history was kept per step: every line below ``Beams`` is that version,
unchanged. It is the oracle of ``test_beam.py``: the new search must return exactly what this one
returns (tokens, scores, log-probabilities and attention maps)."""

import math
from typing import Any, NamedTuple

import torch
from torch import Tensor

from seqkit.seq2seq.model import Step
from seqkit.seq2seq.search import DecodeConfig, Decoder, Hypothesis, allowed, max_length, normalise


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
