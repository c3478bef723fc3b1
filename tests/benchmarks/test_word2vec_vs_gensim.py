"""benchmarks/word2vec_vs_gensim.py on a tiny generated corpus: both gensim reading modes and
seqkit's two architectures on both paths train and are scored, and the --max-words prefix is
whole lines."""

import argparse
import importlib.util
import random
from pathlib import Path

import pytest
from gensim.test.utils import datapath

from seqkit.embeddings import WordVocab

ROOT = Path(__file__).resolve().parents[2]


def _module():
    path = ROOT / "benchmarks" / "word2vec_vs_gensim.py"
    spec = importlib.util.spec_from_file_location("word2vec_vs_gensim", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _module()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, int, int]:
    rng = random.Random(0)
    words = ["king", "queen", "man", "woman", "paris", "france", "rome", "italy"]  # analogies
    for name in ("wordsim353.tsv", "simlex999.txt"):  # and a few word pairs of each
        rows = Path(datapath(name)).read_text(encoding="utf-8").splitlines()
        pairs = [row.split("\t")[:2] for row in rows if not row.startswith("#")][:5]
        words += [word.lower() for pair in pairs for word in pair]
    words = sorted(set(words))
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for _ in range(300)]
    path = tmp_path_factory.mktemp("w2v") / "train.txt"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path, sum(len(line.split()) for line in lines), len(words)


def args(**changes) -> argparse.Namespace:
    return argparse.Namespace(**{"epochs": 1, "threads": 1, **changes})


@pytest.mark.parametrize("mode", ["corpus_file", "iterable"])
def test_gensim_reads_the_file_either_way(corpus, mode):
    path, tokens, V = corpus
    result = bench.run_gensim(path, tokens, 1, args(), mode)
    assert result["vocab"] == V and result["words_per_second"] > 0
    assert result["analogy_oov"] > 0 and 0 <= result["analogy"] <= 1  # the bundled questions


@pytest.mark.parametrize("kind", ["sequential", "banded"])
@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_seqkit_trains_and_is_scored_like_gensim(corpus, arch, kind):
    path, tokens, V = corpus
    vocab = WordVocab.build((line.split() for line in path.open(encoding="utf-8")), 5)
    result = bench.run_seqkit(path, tokens, vocab, arch, args(), kind)
    assert result["vocab"] == V and result["seconds"] > 0
    assert set(result) >= {"analogy", "ws353", "simlex", "analogy_oov", "words_per_second"}


def test_a_prefix_is_whole_lines_of_at_least_max_words(corpus, monkeypatch):
    path, _, _ = corpus
    monkeypatch.setattr(bench.english, "prepare", lambda *args, **kwargs: None)  # made already
    prefix, tokens = bench.corpus_of(argparse.Namespace(data=str(path.parent), max_words=50))
    lines = prefix.read_text(encoding="utf-8").splitlines()
    assert tokens >= 50 and tokens - len(lines[-1].split()) < 50
    assert path.read_text(encoding="utf-8").startswith(prefix.read_text(encoding="utf-8"))
