"""A count-based baseline: the interpolated Kneser–Ney n-gram language model (Kneser & Ney 1995;
Chen & Goodman 1998, "An empirical study of smoothing techniques", Eq. 18–19 with one discount D).

An order-n model predicts a token w from the n − 1 before it, h. Each sentence is framed as the
RNN's (:mod:`seqkit.lm.model`): n − 1 <s> before it, and its </s> is predicted too; a token outside
the vocabulary is <unk>. With c(h w) the count of the n-gram h w in training,

    P_n(w | h) = max(c(h w) − D, 0) / c(h •)  +  D · N₁₊(h •) / c(h •) · P_{n−1}(w | h')

where h' drops h's first token, c(h •) = Σ_w c(h w) and N₁₊(h •) = |{w : c(h w) > 0}|. The lower
orders replace the count by the continuation count N₁₊(• h w) = |{x : x h w occurs}| (how many
different tokens w follows, not how often: "Francisco" is frequent but follows only "San"):

    P_k(w | h) = max(N₁₊(• h w) − D, 0) / N₁₊(• h •)  +  D · N₁₊(h •) / N₁₊(• h •) · P_{k−1}(w | h')

down to the unigrams P_1(w), which are interpolated in the same way with the uniform 1/V' over the
V' = V − 2 tokens that can be predicted (all but <pad> and <s>), so every such token has P > 0.
A context never seen in training passes all its mass down: P_k(w | h) = P_{k−1}(w | h').

Note: with ``uniform=False`` the unigrams are N₁₊(• w) / N₁₊(• •), undiscounted, as in nltk's
``KneserNeyInterpolated`` (which then gives 0 to a token that never follows another in training);
the two agree exactly in that setting (tested).
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from seqkit.data import Vocabulary
from seqkit.lm.perplexity import Perplexity

Context = tuple[int, ...]


class KneserNey:
    """Interpolated Kneser–Ney over token ids; build it with :meth:`fit`.

    Args:
        order: n ≥ 1 (1: unigram continuation probabilities; 3: trigrams).
        discount: D in (0, 1], subtracted from every count.
        uniform: interpolate the unigrams with 1/V' (see the module's docstring).
    """

    def __init__(self, order: int = 3, discount: float = 0.75, uniform: bool = True) -> None:
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise ValueError(f"KneserNey: expected order to be an int ≥ 1, got {order!r}")
        if not 0 < discount <= 1:
            raise ValueError(f"KneserNey: expected discount D in (0, 1], got {discount}")
        self.order, self.discount, self.uniform = order, discount, uniform
        # counts[k][h][w]: c(h w) for k = n, N₁₊(• h w) below; totals[k][h] = Σ_w counts[k][h][w]
        self.counts: list[dict[Context, Counter[int]]] = []
        self.totals: list[dict[Context, int]] = []
        self.vocab_size = 0

    def events(self, sentence: Sequence[int]) -> list[tuple[Context, int]]:
        """The (h, w) pairs scored in a sentence of ids: its tokens and </s>, h padded with <s>.

        >>> KneserNey(order=3).events([7, 8])
        [((2, 2), 7), ((2, 7), 8), ((7, 8), 3)]
        """
        padded = [Vocabulary.BOS] * (self.order - 1) + list(sentence) + [Vocabulary.EOS]
        n = self.order
        return [(tuple(padded[i - n + 1:i]), padded[i]) for i in range(n - 1, len(padded))]

    def fit(self, sentences: Iterable[Sequence[int]], vocab_size: int) -> "KneserNey":
        """Count the n-grams of ``sentences`` (encoded ids, without <s> or </s>); returns self."""
        if vocab_size < len(Vocabulary.SPECIALS) + 1:
            raise ValueError(f"KneserNey.fit: expected vocab_size ≥ 5, got {vocab_size}")
        self.vocab_size = vocab_size
        ngrams: Counter[tuple[int, ...]] = Counter(
            (*h, w) for sentence in sentences for h, w in self.events(sentence))
        by_order: list[Counter[tuple[int, ...]]] = [Counter() for _ in range(self.order + 1)]
        by_order[self.order] = ngrams
        for k in range(self.order - 1, 0, -1):
            # N₁₊(• h w): each distinct (k+1)-gram x h w adds 1 to its suffix h w. The (k+1)-grams
            # are the suffixes of the n-grams (a window inside the <s> padding predicts nothing).
            types = {g[-(k + 1):] for g in by_order[k + 1]}
            by_order[k] = Counter(g[1:] for g in types)
        self.counts, self.totals = [{}], [{}]
        for k in range(1, self.order + 1):
            table: dict[Context, Counter[int]] = defaultdict(Counter)
            for g, count in by_order[k].items():
                table[g[:-1]][g[-1]] = count
            self.counts.append(dict(table))
            self.totals.append({h: sum(ws.values()) for h, ws in table.items()})
        return self

    def prob(self, w: int, h: Sequence[int]) -> float:
        """P(w | h) with the last n − 1 tokens of h (padded with <s> when shorter)."""
        if not self.counts:
            raise RuntimeError("KneserNey: call fit before prob")
        h = ((Vocabulary.BOS,) * self.order + tuple(h))[len(h) + 1:]  # the last n − 1
        return self._prob(w, h)

    def _prob(self, w: int, h: Context) -> float:
        k = len(h) + 1
        lower = self._prob(w, h[1:]) if k > 1 else self._uniform(w)
        total = self.totals[k].get(h, 0)
        if total == 0:
            return lower
        followers = self.counts[k][h]
        if k == 1 and not self.uniform:
            return followers[w] / total
        D = self.discount
        return max(followers[w] - D, 0) / total + D * len(followers) / total * lower

    def _uniform(self, w: int) -> float:
        """1/V' over the V' = V − 2 predictable ids (all but <pad> and <s>)."""
        return 0.0 if w in (Vocabulary.PAD, Vocabulary.BOS) else 1.0 / (self.vocab_size - 2)

    def perplexity(self, sentences: Iterable[Sequence[int]]) -> Perplexity:
        """Σ −log P over every token and </s> of ``sentences`` (ids), as a :class:`Perplexity`;
        a token with P = 0 (possible only with ``uniform=False``) makes it infinite."""
        nll, n = 0.0, 0
        for sentence in sentences:
            for h, w in self.events(sentence):
                p = self._prob(w, h)
                nll += -math.log(p) if p > 0 else math.inf
                n += 1
        return Perplexity(nll, n, f"{self.order}-gram interpolated Kneser–Ney, D={self.discount}")
