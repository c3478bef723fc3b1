"""CTC decoding: greedy best path, prefix beam search against exhaustive search, LM bonuses."""

import itertools
import math
from collections import defaultdict

import pytest
import torch

from seqkit.speech.decode import (
    NgramLM,
    WordList,
    beam_decode,
    collapse,
    greedy_decode,
    prefix_beam_search,
)


def _log_probs(T: int, V: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(T, V, generator=g, dtype=torch.float64)).log_softmax(-1)


def _labelling_log_probs(log_probs: torch.Tensor) -> dict[tuple[int, ...], float]:
    """log p(ℓ|x) of every labelling ℓ, summing over all V^T alignments (toy sizes only)."""
    T, V = log_probs.shape
    totals: dict[tuple[int, ...], float] = defaultdict(float)
    for path in itertools.product(range(V), repeat=T):
        totals[tuple(collapse(path))] += math.exp(sum(log_probs[t, s].item()
                                                      for t, s in enumerate(path)))
    return {labels: math.log(p) for labels, p in totals.items()}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("T", "V"), [(3, 3), (4, 3), (4, 4)])
def test_wide_beam_equals_exhaustive_most_probable_labelling(seed: int, T: int, V: int) -> None:
    log_probs = _log_probs(T, V, seed, scale=2.0)
    exact = _labelling_log_probs(log_probs)
    hypotheses = prefix_beam_search(log_probs, beam_size=V ** T, n_best=3)
    best = max(exact, key=exact.get)
    assert hypotheses[0].labels == best
    for hypothesis in hypotheses:  # p_b + p_nb is the exact sum over alignments
        assert hypothesis.log_prob == pytest.approx(exact[hypothesis.labels], rel=1e-10)
        assert hypothesis.score == hypothesis.log_prob
    assert [h.log_prob for h in hypotheses] == sorted((h.log_prob for h in hypotheses),
                                                      reverse=True)


def test_beam_finds_labelling_greedy_misses() -> None:
    # Two frames, blank 0. Best path is (0, 0) → "" with p = 0.4·0.4 = 0.16, but "1" has the
    # alignments (1,1), (1,0), (0,1): 0.3·0.3 + 0.3·0.4 + 0.4·0.3 = 0.33.
    y = torch.tensor([[0.4, 0.3, 0.3], [0.4, 0.3, 0.3]], dtype=torch.float64).log()
    assert greedy_decode(y.unsqueeze(0)) == [[]]
    assert beam_decode(y.unsqueeze(0), beam_size=4) == [[1]]
    best = prefix_beam_search(y, beam_size=4)[0]
    assert best.labels == (1,) and best.log_prob == pytest.approx(math.log(0.33))


def test_greedy_collapses_repeats_drops_blanks_and_respects_lengths() -> None:
    path = torch.tensor([[1, 1, 0, 1, 2, 2, 0, 3], [2, 0, 2, 2, 1, 1, 1, 1]])
    log_probs = torch.nn.functional.one_hot(path, 4).double().log()  # (B, T, V)
    assert greedy_decode(log_probs) == [[1, 1, 2, 3], [2, 2, 1]]
    assert greedy_decode(log_probs, torch.tensor([3, 2])) == [[1], [2]]


@pytest.mark.parametrize("seed", range(4))
def test_beam_of_one_on_peaked_outputs_equals_greedy(seed: int) -> None:
    log_probs = _log_probs(12, 5, seed, scale=8.0).unsqueeze(0)
    assert beam_decode(log_probs, beam_size=1) == greedy_decode(log_probs)


def test_ngram_lm_probabilities_sum_to_one_and_steer_the_beam() -> None:
    lm = NgramLM([[1, 2, 1, 2], [1, 2]], order=2, k=0.5)
    for prefix in [(), (1,), (2,), (1, 2)]:
        assert sum(math.exp(lm(prefix, c)) for c in (1, 2, 3)) == pytest.approx(1.0)
    # acoustics prefer (1, 1): p ≈ .9·.9·.5 = .405 against (1, 2) ≈ .9·.9·.4 + … = .362;
    # the LM has only seen 1 followed by 2: P(2|1) = 3.5/4.5, P(1|1) = 0.5/4.5
    y = torch.tensor([[0.1, 0.9, 1e-9], [0.9, 0.05, 0.05], [0.1, 0.5, 0.4]]).log()
    assert prefix_beam_search(y, beam_size=8)[0].labels == (1, 1)
    steered = prefix_beam_search(y, beam_size=8, scorer=lm, lm_weight=1.0)[0]
    assert steered.labels == (1, 2)
    assert steered.score == pytest.approx(steered.log_prob + lm((), 1) + lm((1,), 2))


def test_word_list_penalises_leaving_the_lexicon() -> None:
    words = WordList([[1, 2], [2, 2, 1]], space=3, penalty=-5.0)
    assert words((), 1) == 0.0 and words((1,), 2) == 0.0 and words((1, 2), 3) == 0.0
    assert words((1,), 1) == -5.0  # "11" starts no word
    assert words((1,), 3) == -5.0  # "1" is not a word
    assert words((1, 2, 3, 2, 2), 1) == 0.0  # the second word starts after the space


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"log_probs": torch.zeros(1, 2, 3)}, ValueError, r"log_probs of shape \(T, V\)"),
    ({"beam_size": 0}, ValueError, "beam_size >= 1 and n_best >= 1, got 0 and 1"),
    ({"blank": 3}, ValueError, r"blank in \[0, 3\), got 3"),
])
def test_search_errors(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=f"prefix_beam_search: expected {match}"):
        prefix_beam_search(**({"log_probs": torch.zeros(2, 3)} | kwargs))
