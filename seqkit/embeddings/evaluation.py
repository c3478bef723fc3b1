"""Intrinsic evaluation of word vectors, with gensim's rules (``KeyedVectors.evaluate_*``).

- Analogies, in the format of gensim's ``questions-words.txt``: ``: section`` lines, then lines
  ``a b c d`` meaning a : b :: c : d. A question is answered by 3CosAdd among the ``restrict_vocab``
  most frequent words (:meth:`WordVectors.analogy`); questions with a word outside them are
  skipped and counted as OOV. Accuracy is pooled: correct / answered, per section and in total.
- Word pairs, in the format of ``wordsim353.tsv`` / ``simlex999.txt``: ``a<TAB>b<TAB>score``
  lines, ``#`` comments. Spearman's ρ (and Pearson's r) between the human scores and cos(e_a, e_b)
  over the pairs whose words are known; OOV pairs are skipped and counted.

With ``case_insensitive`` (gensim's default) words are compared upper-cased, and a word with several
case variants takes the vector of its most frequent one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import torch
from scipy import stats

from seqkit.data.errors import DataError
from seqkit.embeddings.vectors import WordVectors

CANDIDATES = 5  # gensim considers the 5 best words (inputs excluded) for an answer


class SectionScore(NamedTuple):
    name: str
    correct: int
    total: int  # answered questions (OOV ones excluded)


@dataclass
class AnalogyScores:
    """Per-section counts of an analogy evaluation; the total pools them."""

    sections: list[SectionScore]
    oov: int  # questions skipped for a word outside the first restrict_vocab words
    restrict_vocab: int
    case_insensitive: bool

    @property
    def total(self) -> SectionScore:
        return SectionScore("total", sum(s.correct for s in self.sections),
                            sum(s.total for s in self.sections))

    def metrics(self) -> dict[str, float]:
        """``{"accuracy": …, "accuracy/<section>": …, "oov": …}``, accuracies in [0, 1]."""
        acc = {f"accuracy/{s.name}": s.correct / max(s.total, 1) for s in self.sections}
        return {"accuracy": self.total.correct / max(self.total.total, 1), **acc,
                "oov": float(self.oov)}

    def __str__(self) -> str:
        rows = [f"{s.name}: {100 * s.correct / max(s.total, 1):.1f}% ({s.correct}/{s.total})"
                for s in [*self.sections, self.total]]
        settings = (f"3CosAdd, restrict_vocab={self.restrict_vocab}, case_insensitive="
                    f"{self.case_insensitive}, {self.oov} OOV questions skipped")
        return "\n".join([*rows, settings])


def _vocab(vectors: WordVectors, restrict_vocab: int, case_insensitive: bool) -> dict[str, int]:
    fold = str.upper if case_insensitive else str
    ok: dict[str, int] = {}
    for i, word in enumerate(vectors.words[:restrict_vocab]):
        ok.setdefault(fold(word), i)  # the most frequent case variant wins
    return ok


def _read(path: str | Path) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DataError(f"{path}: cannot read ({error.strerror})") from None


def evaluate_analogies(vectors: WordVectors, path: str | Path, restrict_vocab: int = 300_000,
                       case_insensitive: bool = True) -> AnalogyScores:
    """Accuracy of 3CosAdd on the analogy file at ``path`` (module docstring)."""
    fold = str.upper if case_insensitive else str
    ok = _vocab(vectors, restrict_vocab, case_insensitive)
    sections: list[tuple[str, list[tuple[str, ...]]]] = []
    oov = 0
    for number, line in enumerate(_read(path), 1):
        if line.startswith(": "):
            sections.append((line[2:].strip(), []))
            continue
        words = tuple(fold(w) for w in line.split())
        if not sections:
            raise DataError(f"{path}, line {number}: expected a ': section' line first")
        if len(words) != 4:
            continue  # gensim skips malformed lines too
        if all(w in ok for w in words):
            sections[-1][1].append(words)
        else:
            oov += 1
    scores = [SectionScore(name, _count_correct(vectors, ok, fold, questions, restrict_vocab),
                           len(questions)) for name, questions in sections]
    return AnalogyScores(scores, oov, restrict_vocab, case_insensitive)


def _count_correct(vectors: WordVectors, ok: dict[str, int], fold: Callable[[str], str],
                   questions: list[tuple[str, ...]], restrict_vocab: int) -> int:
    """How many questions a b c d get d as the first of the best candidates that is a known word
    other than a, b, c (gensim's rule)."""
    if not questions:
        return 0
    ids = torch.tensor([[ok[w] for w in q[:3]] for q in questions])  # (Q, 3)
    unit, words = vectors.unit, vectors.words
    target = unit[ids[:, 1]] - unit[ids[:, 0]] + unit[ids[:, 2]]  # (Q, E)
    scores = torch.nn.functional.normalize(target, dim=1) @ unit[:restrict_vocab].T  # (Q, V')
    best = scores.topk(min(CANDIDATES + 3, scores.shape[1]), dim=1).indices.tolist()
    correct = 0
    for question, row, candidates in zip(questions, ids.tolist(), best, strict=True):
        predicted = None
        for i in [i for i in candidates if i not in row][:CANDIDATES]:
            predicted = fold(words[i])
            if predicted in ok and predicted not in question[:3]:
                break
        correct += predicted == question[3]
    return correct


@dataclass
class PairScores:
    """Correlation of cos(e_a, e_b) with human similarity scores."""

    spearman: float  # Spearman's ρ
    pearson: float  # Pearson's r
    pairs: int  # pairs scored
    oov: int  # pairs skipped for an unknown word
    source: str = field(default="")

    def metrics(self) -> dict[str, float]:
        return {"spearman": self.spearman, "pearson": self.pearson, "pairs": float(self.pairs),
                "oov": float(self.oov)}

    def __str__(self) -> str:
        oov_pct = 100 * self.oov / max(self.pairs + self.oov, 1)
        return (f"{self.source}: Spearman {self.spearman:.4f}, Pearson {self.pearson:.4f} over "
                f"{self.pairs} pairs ({self.oov} OOV pairs skipped, {oov_pct:.1f}%)")


def evaluate_word_pairs(vectors: WordVectors, path: str | Path, restrict_vocab: int = 300_000,
                        case_insensitive: bool = True, delimiter: str = "\t") -> PairScores:
    """Spearman and Pearson correlation on the word-pair file at ``path`` (module docstring)."""
    fold = str.upper if case_insensitive else str
    ok = _vocab(vectors, restrict_vocab, case_insensitive)
    gold, model, oov = [], [], 0
    for line in _read(path):
        fields = line.split(delimiter)
        if line.startswith("#") or len(fields) != 3:
            continue
        a, b, score = fold(fields[0]), fold(fields[1]), fields[2]
        try:
            human = float(score)
        except ValueError:
            continue  # a header line
        if a not in ok or b not in ok:
            oov += 1
            continue
        gold.append(human)
        model.append(float(vectors.unit[ok[a]] @ vectors.unit[ok[b]]))
    if len(gold) < 2:
        raise DataError(f"{path}: expected ≥ 2 pairs of known words, got {len(gold)} "
                        f"({oov} OOV pairs)")
    return PairScores(float(stats.spearmanr(gold, model)[0]),
                      float(stats.pearsonr(gold, model)[0]), len(gold), oov, str(path))
