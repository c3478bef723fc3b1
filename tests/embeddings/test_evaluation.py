"""Analogy and word-pair evaluation: parity with gensim's evaluate_word_analogies and
evaluate_word_pairs on the same vectors and gensim's own test files."""

import logging

import pytest
import torch
from gensim.test.utils import datapath

from seqkit.data.errors import DataError
from seqkit.embeddings.evaluation import evaluate_analogies, evaluate_word_pairs
from seqkit.embeddings.interop import to_gensim
from seqkit.embeddings.vectors import WordVectors

QUESTIONS = datapath("questions-words.txt")


def analogy_vectors() -> WordVectors:
    """Vectors for most words of questions-words.txt with its capital → country offset planted
    (so many answers are right), some words left out (OOV), and case variants."""
    words: list[str] = []
    with open(QUESTIONS, encoding="utf-8") as file:
        for line in file:
            if not line.startswith(":"):
                words += [w for w in line.split() if w not in words]
    words = [w for i, w in enumerate(words) if i % 11 != 5]  # ~9% of the words unknown
    words += [w.lower() for w in words[:40] if w.lower() != w]  # later case variants
    g = torch.Generator().manual_seed(0)
    vectors = torch.randn(len(words), 24, generator=g)
    offset = torch.randn(24, generator=g) * 2
    index = {w: i for i, w in enumerate(words)}
    with open(QUESTIONS, encoding="utf-8") as file:
        for line in file:
            a, b, *_ = line.split() if not line.startswith(":") else ("", "")
            if a in index and b in index and line.count(" ") == 3 and index[b] > index[a]:
                vectors[index[b]] = vectors[index[a]] + offset + 0.3 * torch.randn(24, generator=g)
    return WordVectors(words, vectors)


@pytest.mark.parametrize(("restrict_vocab", "case_insensitive"), [(300_000, True), (500, False)])
def test_analogies_match_gensim(restrict_vocab, case_insensitive):
    vectors = analogy_vectors()
    logging.getLogger("gensim").setLevel(logging.ERROR)
    total, sections = to_gensim(vectors).evaluate_word_analogies(
        QUESTIONS, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive)
    scores = evaluate_analogies(vectors, QUESTIONS, restrict_vocab, case_insensitive)
    theirs = [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"]))
              for s in sections]
    ours = [tuple(s) for s in [*scores.sections, scores.total]]
    assert ours[:-1] == theirs[:-1] and ours[-1][1:] == theirs[-1][1:]
    assert len(scores.sections) == 14 and 0 < scores.total.correct < scores.total.total
    assert scores.metrics()["accuracy"] == pytest.approx(total)
    assert scores.oov + scores.total.total == 19544
    assert scores.oov > 0
    text = str(scores)
    assert "capital-common-countries: " in text and f"restrict_vocab={restrict_vocab}" in text


@pytest.mark.parametrize("name", ["wordsim353.tsv", "simlex999.txt"])
def test_word_pairs_match_gensim(name):
    path = datapath(name)
    words: list[str] = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            if not line.startswith("#"):
                words += [w for w in line.split("\t")[:2] if w not in words]
    words = [w for i, w in enumerate(words) if i % 9 != 4]  # some pairs become OOV
    vectors = WordVectors(words, torch.randn(len(words), 16,
                                             generator=torch.Generator().manual_seed(2)))
    pearson, spearman, oov_ratio = to_gensim(vectors).evaluate_word_pairs(path)
    scores = evaluate_word_pairs(vectors, path)
    assert scores.spearman == pytest.approx(spearman[0], abs=1e-6)
    assert scores.pearson == pytest.approx(pearson[0], abs=1e-6)
    assert 100 * scores.oov / (scores.oov + scores.pairs) == pytest.approx(oov_ratio)
    assert scores.oov > 0
    assert f"{scores.oov} OOV pairs skipped" in str(scores)


def test_errors(tmp_path):
    vectors = WordVectors(["a", "b"], torch.eye(2))
    bad = tmp_path / "q.txt"
    bad.write_text("a b a b\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"q\.txt, line 1: expected a ': section' line first"):
        evaluate_analogies(vectors, bad)
    with pytest.raises(DataError, match=r"missing\.txt: cannot read"):
        evaluate_analogies(vectors, tmp_path / "missing.txt")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("a\tzz\t1.0\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"expected ≥ 2 pairs of known words, got 0 \(1 OOV"):
        evaluate_word_pairs(vectors, pairs)
