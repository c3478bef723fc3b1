"""Decoding CTC outputs into labellings: greedy (best path) and prefix beam search.

Greedy decoding takes the most likely symbol of every frame and collapses the path with ℬ (merge
repeats, then drop blanks). It finds the most likely *alignment*, not the most likely labelling:
p(l|x) sums over all alignments of l, and several mediocre alignments of one labelling can
outweigh the best single path of another.

Prefix beam search (Graves et al., 2006, §3.2; Hannun et al., 2014) searches labellings instead.
For each prefix ℓ it keeps two masses over the frames so far: p_b(ℓ), of the alignments ending in a
blank, and p_nb(ℓ), of those ending in ℓ's last label. On frame t with distribution y<t>:

    p_b'(ℓ)    += (p_b(ℓ) + p_nb(ℓ)) · y<t>_b                        a blank keeps ℓ
    p_nb'(ℓ)   += p_nb(ℓ) · y<t>_c          for c = last(ℓ)          a repeat merges into ℓ
    p_nb'(ℓ+c) += p_b(ℓ) · y<t>_c           for c = last(ℓ)          a repeat after a blank is new
    p_nb'(ℓ+c) += (p_b(ℓ) + p_nb(ℓ)) · y<t>_c   for c ≠ last(ℓ), c ≠ b

and keeps the K prefixes of highest score log(p_b + p_nb) + λ·LM(ℓ). Without pruning (K at least
the number of prefixes) p_b + p_nb is exactly p(ℓ|x), so the search returns the exhaustive argmax.
An optional label scorer adds a bonus λ·log P_LM(c | ℓ) at every extension ℓ → ℓ+c: a character
n-gram model (:class:`NgramLM`) or a word list (:class:`WordList`).

Shape symbols (docs/notation.md): B batch, T frames, V labels (blank included), K beam.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from torch import Tensor

Prefix = tuple[int, ...]
# log-score bonus for appending label c to prefix ℓ: scorer(ℓ, c)
LabelScorer = Callable[[Prefix, int], float]


def collapse(path: Iterable[int], blank: int = 0) -> list[int]:
    """ℬ: merge repeated symbols, then drop blanks: (1, 1, 0, 1, 2, 2) → [1, 1, 2] for blank 0."""
    labels, previous = [], None
    for symbol in path:
        if symbol != previous and symbol != blank:
            labels.append(symbol)
        previous = symbol
    return labels


def greedy_decode(log_probs: Tensor, lengths: Tensor | None = None,
                  blank: int = 0) -> list[list[int]]:
    """ℬ(argmax_v y<t>_v) of each utterance: log_probs (B, T, V), lengths (B,) or None for T."""
    if log_probs.dim() != 3:
        raise ValueError(f"greedy_decode: expected log_probs of shape (B, T, V), got "
                         f"{tuple(log_probs.shape)}")
    B, T, _ = log_probs.shape
    best = log_probs.argmax(-1).tolist()  # (B, T)
    frames = [T] * B if lengths is None else lengths.tolist()
    return [collapse(best[b][:frames[b]], blank) for b in range(B)]


class Hypothesis(NamedTuple):
    """One labelling found by prefix beam search."""

    labels: Prefix  # ℓ, without blanks
    log_prob: float  # log p(ℓ|x) = log(p_b + p_nb), over the alignments the beam kept
    score: float  # log_prob + λ · Σ log P_LM(c | prefix), what the beam ranks by


class _Beam(NamedTuple):
    log_p_b: dict[Prefix, float]  # log p_b(ℓ)
    log_p_nb: dict[Prefix, float]  # log p_nb(ℓ)
    lm: dict[Prefix, float]  # λ · Σ LM bonuses along ℓ


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def _expand(beam: _Beam, log_y: list[float], blank: int, scorer: LabelScorer | None,
            lm_weight: float) -> _Beam:
    """One frame of the recursion in the module docstring, for every prefix in the beam."""
    p_b: dict[Prefix, float] = defaultdict(lambda: -math.inf)
    p_nb: dict[Prefix, float] = defaultdict(lambda: -math.inf)
    lm = dict(beam.lm)
    for prefix in beam.lm:
        total = _logaddexp(beam.log_p_b[prefix], beam.log_p_nb[prefix])
        p_b[prefix] = _logaddexp(p_b[prefix], total + log_y[blank])
        for c, log_y_c in enumerate(log_y):
            if c == blank:
                continue
            if prefix and c == prefix[-1]:
                p_nb[prefix] = _logaddexp(p_nb[prefix], beam.log_p_nb[prefix] + log_y_c)
                mass = beam.log_p_b[prefix] + log_y_c
            else:
                mass = total + log_y_c
            extended = (*prefix, c)
            p_nb[extended] = _logaddexp(p_nb[extended], mass)
            if extended not in lm:
                bonus = lm_weight * scorer(prefix, c) if scorer is not None else 0.0
                lm[extended] = beam.lm[prefix] + bonus
    prefixes = set(p_b) | set(p_nb)
    return _Beam({p: p_b[p] for p in prefixes}, {p: p_nb[p] for p in prefixes},
                 {p: lm[p] for p in prefixes})


def _score(beam: _Beam, prefix: Prefix) -> float:
    return _logaddexp(beam.log_p_b[prefix], beam.log_p_nb[prefix]) + beam.lm[prefix]


def _select_topk(beam: _Beam, beam_size: int) -> _Beam:
    """The ``beam_size`` prefixes of highest score (ties: shorter, then smaller labels first)."""
    kept = sorted(beam.lm, key=lambda p: (-_score(beam, p), len(p), p))[:beam_size]
    return _Beam({p: beam.log_p_b[p] for p in kept}, {p: beam.log_p_nb[p] for p in kept},
                 {p: beam.lm[p] for p in kept})


def prefix_beam_search(log_probs: Tensor, beam_size: int = 8, blank: int = 0,
                       scorer: LabelScorer | None = None, lm_weight: float = 0.0,
                       n_best: int = 1) -> list[Hypothesis]:
    """The ``n_best`` labellings of highest score for one utterance, log_probs (T, V), best first.

    ``scorer`` and ``lm_weight`` λ add λ·scorer(ℓ, c) at each extension ℓ → ℓ+c (λ = 0: none).
    """
    if log_probs.dim() != 2:
        raise ValueError(f"prefix_beam_search: expected log_probs of shape (T, V), got "
                         f"{tuple(log_probs.shape)}")
    if beam_size < 1 or n_best < 1:
        raise ValueError(f"prefix_beam_search: expected beam_size >= 1 and n_best >= 1, got "
                         f"{beam_size} and {n_best}")
    if not 0 <= blank < log_probs.shape[1]:
        raise ValueError(f"prefix_beam_search: expected blank in [0, {log_probs.shape[1]}), "
                         f"got {blank}")
    beam = _Beam({(): 0.0}, {(): -math.inf}, {(): 0.0})  # before frame 0: the empty prefix, p_b = 1
    for log_y in log_probs.detach().double().tolist():
        beam = _select_topk(_expand(beam, log_y, blank, scorer, lm_weight), beam_size)
    return [Hypothesis(p, _logaddexp(beam.log_p_b[p], beam.log_p_nb[p]), _score(beam, p))
            for p in list(beam.lm)[:n_best]]


def beam_decode(log_probs: Tensor, lengths: Tensor | None = None, beam_size: int = 8,
                blank: int = 0, scorer: LabelScorer | None = None,
                lm_weight: float = 0.0) -> list[list[int]]:
    """The best labelling of each utterance: log_probs (B, T, V), lengths (B,) or None for T."""
    if log_probs.dim() != 3:
        raise ValueError(f"beam_decode: expected log_probs of shape (B, T, V), got "
                         f"{tuple(log_probs.shape)}")
    B, T, _ = log_probs.shape
    frames = [T] * B if lengths is None else lengths.tolist()
    return [list(prefix_beam_search(log_probs[b, :frames[b]], beam_size, blank, scorer,
                                    lm_weight)[0].labels) for b in range(B)]


class NgramLM:
    """A label n-gram model with add-k smoothing: P(c | h) = (n(h c) + k) / (n(h) + k·|C|).

    h is the last n − 1 labels of the prefix (fewer at its start, where the history is padded
    with ``bos``); C the labels seen in training plus one for unseen labels. Called as a
    :data:`LabelScorer`, it returns log P(c | h).
    """

    def __init__(self, sequences: Iterable[Sequence[int]], order: int = 3, k: float = 0.1,
                 bos: int = -1) -> None:
        if order < 1 or k <= 0:
            raise ValueError(f"NgramLM: expected order >= 1 and k > 0, got {order} and {k}")
        self.order, self.k, self.bos = order, k, bos
        self.counts: Counter[Prefix] = Counter()  # n(h c) for every n-gram of length ≤ order
        labels: set[int] = set()
        for sequence in sequences:
            padded = [bos] * (order - 1) + list(sequence)
            labels.update(sequence)
            for i in range(order - 1, len(padded)):
                self.counts[tuple(padded[i - order + 1:i + 1])] += 1
                self.counts[tuple(padded[i - order + 1:i])] += 1  # n(h)
        self.num_labels = len(labels) + 1

    def history(self, prefix: Prefix) -> Prefix:
        padded = (self.bos,) * (self.order - 1) + prefix
        return padded[len(padded) - self.order + 1:]

    def __call__(self, prefix: Prefix, label: int) -> float:
        h = self.history(prefix)
        return math.log((self.counts[(*h, label)] + self.k)
                        / (self.counts[h] + self.k * self.num_labels))


class WordList:
    """A lexicon bonus: 0 while the word being spelt (the labels since the last ``space``) is a
    prefix of a listed word, ``penalty`` for the extension that leaves every listed word.

    Called as a :data:`LabelScorer`; ``space`` ends a word, and is penalised after a word that is
    not in the list.
    """

    def __init__(self, words: Iterable[Sequence[int]], space: int, penalty: float = -10.0) -> None:
        self.words = {tuple(w) for w in words}
        self.prefixes = {w[:i] for w in self.words for i in range(len(w) + 1)}
        self.space, self.penalty = space, penalty

    def __call__(self, prefix: Prefix, label: int) -> float:
        start = max((i + 1 for i, c in enumerate(prefix) if c == self.space), default=0)
        word = prefix[start:]
        if label == self.space:
            return 0.0 if word in self.words or not word else self.penalty
        return 0.0 if (*word, label) in self.prefixes else self.penalty

