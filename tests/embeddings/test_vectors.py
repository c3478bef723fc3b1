"""WordVectors against gensim's KeyedVectors on the same vectors: similarity, neighbours, 3CosAdd
and 3CosMul analogies; unknown words."""

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors

from seqkit.embeddings.vectors import UnknownWordError, WordVectors
from seqkit.errors import SeqkitError

WORDS = ["man", "woman", "king", "queen", "boy", "girl", "apple", "pear", "paris", "france",
         "rome", "italy", "the", "of", "walks"]


@pytest.fixture
def pair():
    g = torch.Generator().manual_seed(0)
    vectors = torch.randn(len(WORDS), 8, generator=g)
    kv = KeyedVectors(8)
    kv.add_vectors(WORDS, vectors.numpy())
    return WordVectors(WORDS, vectors), kv


def test_similarity_and_neighbours_match_gensim(pair):
    vectors, kv = pair
    expected = float(kv.similarity("king", "queen"))
    assert vectors.similarity("king", "queen") == pytest.approx(expected, abs=1e-6)
    ours = vectors.most_similar("king", topn=5)
    theirs = kv.most_similar("king", topn=5)
    assert [n.word for n in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([n.score for n in ours], [s for _, s in theirs], atol=1e-6)
    restricted = vectors.most_similar("king", topn=3, restrict_vocab=8)
    assert [n.word for n in restricted] == [w for w, _ in kv.most_similar("king", topn=3,
                                                                          restrict_vocab=8)]
    by_vector = vectors.most_similar(vectors["king"], topn=1)
    assert by_vector[0].word == "king" and by_vector[0].score == pytest.approx(1.0)


@pytest.mark.filterwarnings("ignore:.*init_sims:DeprecationWarning")  # inside gensim
@pytest.mark.parametrize("abc", [("man", "woman", "king"), ("france", "paris", "italy"),
                                 ("apple", "pear", "the")])
def test_analogies_match_gensim(pair, abc):
    vectors, kv = pair
    a, b, c = abc
    ours = vectors.analogy(a, b, c, topn=4)
    theirs = kv.most_similar(positive=[b, c], negative=[a], topn=4)
    assert [n.word for n in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([n.score for n in ours], [s for _, s in theirs], atol=1e-6)
    assert not {a, b, c} & {n.word for n in ours}
    ours = vectors.analogy_cosmul(a, b, c, topn=4)
    theirs = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=4)
    assert [n.word for n in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([n.score for n in ours], [s for _, s in theirs], rtol=1e-5)


def test_planted_analogy_is_found():
    g = torch.Generator().manual_seed(1)
    base = {w: torch.randn(16, generator=g) for w in ["man", "king", "apple", "pear"]}
    female = torch.randn(16, generator=g)
    base["woman"], base["queen"] = base["man"] + female, base["king"] + female
    vectors = WordVectors(list(base), torch.stack(list(base.values())))
    assert vectors.analogy("man", "woman", "king")[0].word == "queen"
    assert vectors.analogy_cosmul("man", "woman", "king")[0].word == "queen"


def test_unknown_word_is_one_line_naming_it_and_the_closest(pair):
    vectors, _ = pair
    with pytest.raises(UnknownWordError, match=r"^'kinq' is not in the vocabulary of 15 words; "
                                               r"closest known: king$"):
        vectors.similarity("kinq", "queen")
    with pytest.raises(KeyError):
        vectors["zzz"]
    with pytest.raises(SeqkitError, match=r"^'zzz' is not in the vocabulary of 15 words$"):
        vectors.analogy("man", "zzz", "king")


def test_shape_errors():
    with pytest.raises(ValueError, match=r"expected vectors of shape \(2, E\), got \(3, 4\)"):
        WordVectors(["a", "b"], torch.zeros(3, 4))
