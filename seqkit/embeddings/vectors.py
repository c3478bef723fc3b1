"""Trained word vectors and the notes' queries on them: similarity, neighbours, analogies.

Notes, "Analogies using word vectors": man → woman as king → ?, found as

    w* = argmax_w sim(e_w, e_king − e_man + e_woman),   sim(u, v) = uᵀv / (‖u‖₂ ‖v‖₂)

(3CosAdd), the inputs excluded. As word2vec's ``compute-accuracy`` and gensim do, the input vectors
are unit-normalised before they are combined. 3CosMul (Levy & Goldberg, 2014, Eq. 4) scores

    w* = argmax_w cos'(e_w, e_b) · cos'(e_w, e_c) / (cos'(e_w, e_a) + ε)
    cos' = (1 + cos)/2,  ε = 1e-6
"""

import difflib
from collections.abc import Sequence
from typing import NamedTuple

import torch

from seqkit.errors import SeqkitError


class UnknownWordError(SeqkitError, KeyError):
    """A word that is not in the vocabulary; the message names the closest known words."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0])


class Neighbour(NamedTuple):
    word: str
    score: float  # cosine similarity (3CosAdd) or the 3CosMul score


class WordVectors:
    """V words and their vectors (V, E), most frequent word first (as gensim's KeyedVectors).

    ``vectors`` keeps its device and dtype; the unit-normalised copy ``unit`` (V, E) is computed
    once. A zero vector stays zero in ``unit``.
    """

    def __init__(self, words: Sequence[str], vectors: torch.Tensor) -> None:
        if vectors.dim() != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"WordVectors: expected vectors of shape ({len(words)}, E), got "
                             f"{tuple(vectors.shape)}")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("WordVectors: expected distinct words")
        self.vectors = vectors.detach()  # (V, E)
        self.unit = torch.nn.functional.normalize(self.vectors, dim=1)  # (V, E)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def id(self, word: str) -> int:
        """The row of ``word``; an unknown word is an :class:`UnknownWordError` naming the
        closest known words."""
        try:
            return self.index[word]
        except KeyError:
            close = difflib.get_close_matches(word, self.words, n=3, cutoff=0.6)
            hint = f"; closest known: {', '.join(close)}" if close else ""
            raise UnknownWordError(f"'{word}' is not in the vocabulary of {len(self)} words{hint}"
                                   ) from None

    def __getitem__(self, word: str) -> torch.Tensor:
        """e_word, shape (E,)."""
        return self.vectors[self.id(word)]

    def similarity(self, a: str, b: str) -> float:
        """cos(e_a, e_b)."""
        return float(self.unit[self.id(a)] @ self.unit[self.id(b)])

    def most_similar(self, word: str | torch.Tensor, topn: int = 10,
                     restrict_vocab: int | None = None) -> list[Neighbour]:
        """The ``topn`` words w of largest cos(e_w, ·) to ``word`` (a word, itself excluded, or a
        vector (E,)), among the first ``restrict_vocab`` words (None: all)."""
        if isinstance(word, str):
            return self._best(self.unit[self.id(word)], [self.id(word)], topn, restrict_vocab)
        return self._best(torch.nn.functional.normalize(word, dim=0), [], topn, restrict_vocab)

    def analogy(self, a: str, b: str, c: str, topn: int = 1,
                restrict_vocab: int | None = None) -> list[Neighbour]:
        """a : b :: c : ?, by 3CosAdd: argmax_w cos(e_w, ê_b − ê_a + ê_c), inputs excluded."""
        ids = [self.id(w) for w in (a, b, c)]
        target = self.unit[ids[1]] - self.unit[ids[0]] + self.unit[ids[2]]  # (E,)
        return self._best(torch.nn.functional.normalize(target, dim=0), ids, topn, restrict_vocab)

    def analogy_cosmul(self, a: str, b: str, c: str, topn: int = 1,
                       restrict_vocab: int | None = None) -> list[Neighbour]:
        """a : b :: c : ?, by 3CosMul (module docstring), inputs excluded."""
        ids = [self.id(w) for w in (a, b, c)]
        unit = self.unit[:restrict_vocab]  # (V', E)
        cos = (1 + unit @ self.unit[ids].T) / 2  # (V', 3) cos' to a, b, c
        scores = cos[:, 1] * cos[:, 2] / (cos[:, 0] + 1e-6)  # (V',)
        return self._top(scores, ids, topn)

    def _best(self, target: torch.Tensor, exclude: list[int], topn: int,
              restrict_vocab: int | None) -> list[Neighbour]:
        return self._top(self.unit[:restrict_vocab] @ target, exclude, topn)

    def _top(self, scores: torch.Tensor, exclude: list[int], topn: int) -> list[Neighbour]:
        k = min(topn + len(exclude), scores.numel())
        best = scores.topk(k).indices.tolist()
        kept = [i for i in best if i not in exclude][:topn]
        return [Neighbour(self.words[i], float(scores[i])) for i in kept]
