"""Debiasing: the bias direction against an eigen-decomposition, neutralise leaves no projection,
equalised pairs are symmetric about every neutral word, direct bias before and after, word lists."""

import pytest
import torch

from seqkit.embeddings.debias import (
    bias_direction,
    difference_direction,
    direct_bias,
    equalize,
    hard_debias,
    neutralize,
    word_list,
)
from seqkit.embeddings.vectors import WordVectors

NEUTRAL = ["doctor", "nurse", "babysitter", "engineer", "receptionist", "programmer"]


@pytest.fixture
def biased() -> WordVectors:
    """Random vectors with a planted gender axis: the shipped pairs ± it, neutral words leaning."""
    g = torch.Generator().manual_seed(0)
    E = 20
    axis = torch.nn.functional.normalize(torch.randn(E, generator=g), dim=0)
    words, rows = [], []
    for female, male in word_list("equalize_pairs") + word_list("definitional_pairs"):
        if female in words:
            continue
        base = torch.randn(E, generator=g)
        words += [female, male]
        rows += [base + 2 * axis + 0.2 * torch.randn(E, generator=g),
                 base - 2 * axis + 0.2 * torch.randn(E, generator=g)]
    for i, word in enumerate(NEUTRAL):
        words.append(word)
        rows.append(torch.randn(E, generator=g) + (1.5 if i % 2 else -1.5) * axis)
    return WordVectors(words, torch.stack(rows).double())


def test_word_lists_are_shipped_and_consistent():
    pairs, equalize_pairs = word_list("definitional_pairs"), word_list("equalize_pairs")
    specific = {w for (w,) in word_list("gender_specific")}
    assert len(pairs) == 10 and all(len(p) == 2 for p in pairs + equalize_pairs)
    assert {w for p in equalize_pairs for w in p} <= specific
    with pytest.raises(ValueError, match="expected one of definitional_pairs, equalize_pairs"):
        word_list("gender")


def test_bias_direction_is_the_top_principal_component(biased):
    pairs = word_list("definitional_pairs")
    g = bias_direction(biased, pairs)
    centred = []
    for a, b in pairs:
        mu = (biased[a] + biased[b]) / 2
        centred += [biased[a] - mu, biased[b] - mu]
    C = torch.stack(centred)
    _, eigvecs = torch.linalg.eigh(C.T @ C)  # oracle: the covariance's top eigenvector
    assert abs(float(g @ eigvecs[:, -1])) == pytest.approx(1.0, abs=1e-9)
    assert float(g.norm()) == pytest.approx(1.0)
    assert float((biased["woman"] - biased["man"]) @ g) > 0  # oriented towards the first words
    simple = difference_direction(biased, "woman", "man")
    assert float(simple @ g) > 0.9  # e_woman − e_man is close to the PCA direction here


def test_neutralize_removes_the_projection(biased):
    g = bias_direction(biased, word_list("definitional_pairs"))
    e = biased["babysitter"]
    assert abs(float(e @ g)) > 0.5
    assert abs(float(neutralize(e, g) @ g)) <= 1e-6
    many = neutralize(biased.vectors, g)
    assert many.shape == biased.vectors.shape and (many @ g).abs().max() <= 1e-6
    torch.testing.assert_close(neutralize(e, g) + (e @ g) * g, e)  # only the g part is removed


def test_equalize_makes_pairs_equidistant_from_every_neutral_word(biased):
    g = bias_direction(biased, word_list("definitional_pairs"))
    unit = biased.unit
    e_a, e_b = equalize(unit[biased.id("grandmother")], unit[biased.id("grandfather")], g)
    assert float(e_a.norm()) == pytest.approx(1.0) and float(e_b.norm()) == pytest.approx(1.0)
    torch.testing.assert_close(neutralize(e_a, g), neutralize(e_b, g))  # they differ along g only
    assert float(e_a @ g) == pytest.approx(-float(e_b @ g)) and float(e_a @ g) > 0
    for word in NEUTRAL:
        w = neutralize(unit[biased.id(word)], g)
        assert float(e_a @ w) == pytest.approx(float(e_b @ w), abs=1e-9)
        assert float((e_a - w).norm()) == pytest.approx(float((e_b - w).norm()), abs=1e-9)


def test_hard_debias_removes_direct_bias_and_keeps_the_input(biased):
    g = bias_direction(biased, word_list("definitional_pairs"))
    before = biased.vectors.clone()
    specific = [w for (w,) in word_list("gender_specific")]
    debiased = hard_debias(biased, g, specific, word_list("equalize_pairs"))
    assert direct_bias(biased, NEUTRAL, g) > 0.2
    assert direct_bias(debiased, NEUTRAL, g) <= 1e-6
    assert torch.equal(biased.vectors, before)
    assert debiased.similarity("babysitter", "grandmother") == pytest.approx(
        debiased.similarity("babysitter", "grandfather"), abs=1e-9)
    assert biased.similarity("babysitter", "grandmother") != pytest.approx(
        biased.similarity("babysitter", "grandfather"), abs=1e-3)
    # gender-specific words outside the equalise pairs are left as they were
    assert debiased.similarity("gal", "guy") == pytest.approx(biased.similarity("gal", "guy"))


def test_errors(biased):
    with pytest.raises(ValueError, match="none of the definitional pairs is in the vocabulary"):
        bias_direction(biased, [("xx", "yy")])
    with pytest.raises(ValueError, match="none of the neutral words is in the vocabulary"):
        direct_bias(biased, ["xx"], torch.ones(20, dtype=torch.float64))
