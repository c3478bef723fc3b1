"""Interpolated Kneser–Ney: a hand-computed bigram, nltk.lm as oracle, normalisation, perplexity."""

import math

import pytest
import torch
from nltk.lm import KneserNeyInterpolated

from seqkit.data import Vocabulary
from seqkit.lm import KneserNey

BOS, EOS = Vocabulary.BOS, Vocabulary.EOS


def random_corpus(n_sentences: int, V: int, seed: int) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(0, 7, (n_sentences,), generator=g).tolist()
    # ids 4 … V−1 with a skewed distribution, so that counts repeat and contexts recur
    return [torch.multinomial(torch.arange(V - 4, 0, -1.0) ** 2, n, replacement=True,
                              generator=g).add(4).tolist() if n else [] for n in lengths]


def test_events_are_the_rnn_targets_with_padded_histories():
    assert KneserNey(order=3).events([7, 8]) == [((BOS, BOS), 7), ((BOS, 7), 8), ((7, 8), EOS)]
    assert KneserNey(order=1).events([]) == [((), EOS)]


def test_hand_computed_bigram():
    # Sentences "4" and "4 5", D = 0.5, V' = 4 predictable ids (<unk>, </s>, 4, 5).
    # Bigram types: <s>4, 4</s>, 45, 5</s>, so N₁₊(•5) = 1 of N₁₊(••) = 4 in 3 distinct words:
    #   P_1(5)   = (1 − 0.5)/4 + 0.5·3/4 · 1/4                = 0.21875
    # c(4 •) = 2 over the 2 distinct followers </s> and 5:
    #   P_2(5|4) = (1 − 0.5)/2 + 0.5·2/2 · P_1(5)             = 0.359375
    # c(<s> •) = 2, all of it 4:
    #   P_2(5|<s>) = 0 + 0.5·1/2 · P_1(5)                     = 0.0546875
    kn = KneserNey(order=2, discount=0.5).fit([[4], [4, 5]], vocab_size=6)
    assert kn.prob(5, [9]) == pytest.approx(0.21875)  # unseen context: all mass to P_1
    assert kn.prob(5, [4]) == pytest.approx(0.359375)
    assert kn.prob(5, []) == pytest.approx(0.0546875)  # an empty history is <s>


@pytest.mark.parametrize("order", [2, 3, 4])  # nltk's unigrams need bigrams: no order 1
def test_equals_nltk_without_the_uniform_floor(order):
    V, D = 9, 0.6
    corpus = random_corpus(40, V, seed=order)
    ours = KneserNey(order, discount=D, uniform=False).fit(corpus, V)
    nltk_model = KneserNeyInterpolated(order, discount=D)
    # nltk counts every n-gram it is given; give it the k-gram suffixes (k = 1..n) of each event
    everygrams = [[tuple(map(str, (*h, w)))[-k:] for h, w in ours.events(s)
                   for k in range(1, order + 1)] for s in corpus]
    nltk_model.fit(everygrams, [str(i) for i in range(V)])
    contexts = {h for s in corpus for h, _ in ours.events(s)} | {(5,) * (order - 1)}
    for h in contexts:
        for w in range(V):
            if w in (Vocabulary.PAD, BOS):
                continue
            expected = nltk_model.unmasked_score(str(w), tuple(map(str, h)) or None)
            assert ours.prob(w, h) == pytest.approx(expected, abs=1e-12), (h, w)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_context_gives_a_distribution_over_the_predictable_ids(order):
    V = 10
    kn = KneserNey(order, discount=0.75).fit(random_corpus(30, V, seed=7), V)
    for h in [(), (4,), (BOS, BOS), (9, 9), (4, 5), (5, 4, 6)]:
        probs = [kn.prob(w, h) for w in range(V)]
        assert sum(probs) == pytest.approx(1.0, abs=1e-12)
        assert probs[Vocabulary.PAD] == probs[BOS] == 0
        assert min(probs[Vocabulary.UNK:BOS] + probs[EOS:]) > 0  # <unk> too, never seen


def test_perplexity_is_exp_of_the_mean_negative_log_probability():
    V = 8
    kn = KneserNey(3).fit(random_corpus(30, V, seed=1), V)
    held_out = random_corpus(5, V, seed=2)
    logs = [math.log(kn.prob(w, h)) for s in held_out for h, w in kn.events(s)]
    result = kn.perplexity(held_out)
    assert result.n_tokens == sum(len(s) + 1 for s in held_out) == len(logs)
    assert result.value == pytest.approx(math.exp(-sum(logs) / len(logs)))
    assert "3-gram interpolated Kneser–Ney, D=0.75" in str(result)


def test_an_unseen_token_without_the_floor_gives_infinite_perplexity():
    kn = KneserNey(2, uniform=False).fit([[4, 5]], vocab_size=7)
    assert kn.perplexity([[6]]).value == math.inf


@pytest.mark.parametrize("kwargs,match", [
    ({"order": 0}, "KneserNey: expected order to be an int ≥ 1, got 0"),
    ({"discount": 0.0}, r"KneserNey: expected discount D in \(0, 1\], got 0.0"),
])
def test_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        KneserNey(**kwargs)


def test_prob_needs_fit():
    with pytest.raises(RuntimeError, match="KneserNey: call fit before prob"):
        KneserNey().prob(4, [])
