"""WordVocab: counts, min_count, and word2vec's two distributions against gensim's own tables."""

import numpy as np
import pytest
import torch
from gensim.models import Word2Vec as GensimWord2Vec

from seqkit.data.errors import DataError
from seqkit.embeddings.vocab import WordVocab


def zipf_sentences(seed: int = 0, n: int = 400) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in rng.zipf(1.3, size=n * 8) % 300]
    return [words[i:i + 8] for i in range(0, len(words), 8)]


def test_build_counts_min_count_and_order():
    sentences = [["c", "b", "a"], ["a", "d", "b", "c"], ["a", "c", "a", "b"]]
    vocab = WordVocab.build(sentences, min_count=2)
    assert vocab.words == ["a", "c", "b"]  # d (1) dropped; c and b tie at 3: first seen first
    assert vocab.counts.tolist() == [4, 3, 3]
    assert vocab.encode(["d", "b", "x", "a"]) == [2, 0]  # unknown words dropped
    assert WordVocab.build(sentences, min_count=1, max_size=2).words == ["a", "c"]


@pytest.mark.parametrize("sample", [1e-3, 1e-2, 0.0, 5.0])
def test_keep_probs_equal_gensim_sample_int(sample):
    sentences = zipf_sentences()
    gensim = GensimWord2Vec(min_count=2, sample=sample)
    gensim.build_vocab(sentences)
    vocab = WordVocab.build(sentences, min_count=2)
    assert sorted(vocab.words) == sorted(gensim.wv.index_to_key)
    expected = [gensim.wv.get_vecattr(w, "sample_int") / (2 ** 32 - 1) for w in vocab.words]
    expected = torch.tensor(expected, dtype=torch.float64)
    torch.testing.assert_close(vocab.keep_probs(sample), expected, atol=1e-9, rtol=0)
    if sample:
        assert vocab.keep_probs(sample)[0] < 1  # the most frequent word is downsampled


def test_noise_probs_equal_gensim_cum_table():
    sentences = zipf_sentences(1)
    gensim = GensimWord2Vec(min_count=1, negative=5, ns_exponent=0.75)
    gensim.build_vocab(sentences)
    vocab = WordVocab.build(sentences, min_count=1)
    order = [gensim.wv.key_to_index[w] for w in vocab.words]
    table = np.diff(gensim.cum_table.astype(np.float64), prepend=0.0) / gensim.cum_table[-1]
    torch.testing.assert_close(vocab.noise_probs(0.75), torch.from_numpy(table[order]),
                               atol=1e-8, rtol=0)
    f = vocab.counts.double()
    torch.testing.assert_close(vocab.noise_probs(0.0), torch.full_like(f, 1 / len(f)))


def test_state_round_trip_through_torch_save(tmp_path):
    vocab = WordVocab.build(zipf_sentences(), min_count=3)
    torch.save(vocab.state_dict(), tmp_path / "vocab.pt")
    again = WordVocab.from_state(torch.load(tmp_path / "vocab.pt", weights_only=True))
    assert again.words == vocab.words and torch.equal(again.counts, vocab.counts)


def test_errors():
    with pytest.raises(DataError, match="min_count must be ≥ 1, got 0"):
        WordVocab.build([["a"]], min_count=0)
    with pytest.raises(TypeError, match="expected token lists, got the str 'a b'"):
        WordVocab.build(["a b"])
    with pytest.raises(DataError, match=r"expected distinct words, got repeats \['a'\]"):
        WordVocab(["a", "b", "a"], [3, 2, 1])
    with pytest.raises(DataError, match=r"one count per word \(2\), got counts of shape \(3,\)"):
        WordVocab(["a", "b"], [3, 2, 1])
    with pytest.raises(DataError, match="from_state: expected"):
        WordVocab.from_state({"words": ["a"]})
    with pytest.raises(DataError, match="sample must be ≥ 0, got -1"):
        WordVocab(["a"], [1]).keep_probs(-1)
