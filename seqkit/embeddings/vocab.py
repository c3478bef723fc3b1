"""The word2vec vocabulary: words with their corpus counts f(w), most frequent first.

Beside the word ↔ id map it holds the two distributions word2vec draws from:

- the noise distribution of negative sampling (notes, "Selecting negative examples"):

      P_n(w_i) = f(w_i)^{3/4} / Σ_j f(w_j)^{3/4}

- the probability of keeping an occurrence of w when frequent words are subsampled, gensim's
  formula (``Word2Vec.prepare_vocab``) with threshold t = sample · Σ_w f(w):

      P_keep(w) = min(1, (√(f(w)/t) + 1) · t/f(w))

Unlike :class:`seqkit.data.Vocabulary` there are no special tokens: a word below ``min_count``
is simply dropped from the text, as word2vec does.
"""

from collections import Counter
from collections.abc import Iterable, Sequence

import torch

from seqkit.data.errors import DataError


class WordVocab:
    """Words ``words[i]`` with counts ``counts[i]`` (V,), sorted by decreasing count.

    Build one with :meth:`build`; save it as :meth:`state_dict` (plain data and tensors) and
    restore it with :meth:`from_state`.
    """

    def __init__(self, words: Sequence[str], counts: Sequence[int] | torch.Tensor) -> None:
        self.words = list(words)
        self.counts = torch.as_tensor(counts, dtype=torch.long)  # (V,)
        if self.counts.shape != (len(self.words),):
            raise DataError(f"WordVocab: expected one count per word ({len(self.words)}), got "
                            f"counts of shape {tuple(self.counts.shape)}")
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            repeated = sorted(w for w, n in Counter(self.words).items() if n > 1)[:5]
            raise DataError(f"WordVocab: expected distinct words, got repeats {repeated}")

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 5,
              max_size: int | None = None) -> "WordVocab":
        """The words of ``sentences`` seen at least ``min_count`` times, most frequent first (ties
        in order of first appearance); ``max_size`` keeps only that many of the most frequent."""
        if min_count < 1:
            raise DataError(f"WordVocab.build: min_count must be ≥ 1, got {min_count}")
        counts: Counter[str] = Counter()
        for tokens in sentences:
            if isinstance(tokens, str):
                raise TypeError(f"WordVocab.build: expected token lists, got the str "
                                f"{tokens[:30]!r}; split it first")
            counts.update(tokens)
        kept = [(w, n) for w, n in counts.most_common(max_size) if n >= min_count]
        return cls([w for w, _ in kept], [n for _, n in kept])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """The ids of the known ``tokens``; unknown ones are dropped (word2vec's rule)."""
        index = self.index
        return [index[t] for t in tokens if t in index]

    def noise_probs(self, exponent: float = 0.75) -> torch.Tensor:
        """P_n(w) = f(w)^exponent / Σ_j f(w_j)^exponent, shape (V,), float64."""
        weights = self.counts.double() ** exponent
        return weights / weights.sum()

    def keep_probs(self, sample: float) -> torch.Tensor:
        """P_keep(w) = min(1, (√(f/t) + 1) · t/f), t = sample · Σ f, shape (V,), float64.

        ``sample`` = 0 keeps every word. A ``sample`` ≥ 1 is gensim's shorthand for the threshold
        t = sample · (3 + √5)/2 (then words with f > sample are downsampled).
        """
        if sample < 0:
            raise DataError(f"WordVocab.keep_probs: sample must be ≥ 0, got {sample}")
        f = self.counts.double()
        if sample == 0:
            return torch.ones_like(f)
        t = sample * f.sum() if sample < 1 else float(int(sample * (3 + 5 ** 0.5) / 2))
        return ((f / t).sqrt() + 1).mul(t / f).clamp(max=1.0)

    def state_dict(self) -> dict:
        """Plain data: ``{"words": list[str], "counts": LongTensor (V,)}``."""
        return {"words": list(self.words), "counts": self.counts.clone()}

    @classmethod
    def from_state(cls, state: dict) -> "WordVocab":
        """The vocabulary saved by :meth:`state_dict`."""
        try:
            return cls(state["words"], state["counts"])
        except (KeyError, TypeError) as error:
            raise DataError(f"WordVocab.from_state: expected {{'words', 'counts'}}, got "
                            f"{sorted(state) if isinstance(state, dict) else type(state).__name__}"
                            ) from error
