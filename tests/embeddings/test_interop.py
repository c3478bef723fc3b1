"""Interop: exact round trips through gensim's KeyedVectors and the word2vec text/binary files."""

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

from seqkit.data.errors import DataError
from seqkit.embeddings.interop import from_gensim, load_word2vec, save_word2vec, to_gensim
from seqkit.embeddings.vectors import WordVectors


@pytest.fixture
def vectors() -> WordVectors:
    words = ["the", "king", "queen", "Zürich", "naïve", "of"]
    return WordVectors(words, torch.randn(6, 5, generator=torch.Generator().manual_seed(0)))


def test_gensim_round_trip_is_exact(vectors):
    kv = to_gensim(vectors)
    assert kv.index_to_key == vectors.words
    np.testing.assert_array_equal(kv.vectors, vectors.vectors.numpy())
    back = from_gensim(kv)
    assert back.words == vectors.words and torch.equal(back.vectors, vectors.vectors)
    assert kv.most_similar("king", topn=1)[0][0] == vectors.most_similar("king", topn=1)[0].word


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_files_round_trip_exactly_and_gensim_reads_them(vectors, tmp_path, binary):
    path = tmp_path / ("vectors.bin" if binary else "vectors.txt")
    save_word2vec(vectors, path, binary=binary)
    back = load_word2vec(path, binary=binary)
    assert back.words == vectors.words and torch.equal(back.vectors, vectors.vectors)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    np.testing.assert_array_equal(kv["Zürich"], vectors["Zürich"].numpy())
    assert load_word2vec(path, binary=binary, limit=2).words == ["the", "king"]
    if not binary:
        assert path.read_text(encoding="utf-8").splitlines()[0] == "6 5"


def test_gensim_written_file_loads(vectors, tmp_path):
    kv = KeyedVectors(3)
    kv.add_vectors(["a", "b"], np.array([[1, 2, 3], [4, 5, 6.5]], dtype=np.float32))
    kv.save_word2vec_format(str(tmp_path / "g.txt"))
    loaded = load_word2vec(tmp_path / "g.txt")
    assert loaded.words == ["a", "b"] and loaded["b"].tolist() == [4, 5, 6.5]


def test_errors(tmp_path):
    with pytest.raises(DataError, match=r"missing\.txt: no such word-vector file"):
        load_word2vec(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.txt: not a word2vec text file"):
        load_word2vec(bad)
