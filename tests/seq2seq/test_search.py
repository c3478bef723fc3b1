import itertools

import pytest
import torch
import torch.nn.functional as F

from seqkit.errors import ConfigError
from seqkit.seq2seq import (
    LENGTH_PENALTIES,
    DecodeConfig,
    Hypothesis,
    beam_search,
    greedy,
    length_penalty,
    max_length,
    normalise,
    score,
)
from seqkit.seq2seq import beam as search_module

from .conftest import EOS, PAD

SRC = torch.tensor([[4, 5, 6, 7, 8], [5, 4, PAD, PAD, PAD], [8, 7, 6, PAD, PAD]])
LENGTHS = torch.tensor([5, 2, 3])
TOKENS = (1, 4, 5)  # the toy target vocabulary {<pad>, <unk>, <s>, </s>, 4, 5} less <pad>, <s>
SHORT = {"max_ratio": 0.0, "max_extra": 4}  # T_max = 4 output tokens, </s> included
SETTINGS = [(kind, alpha) for kind in LENGTH_PENALTIES for alpha in (0.0, 0.7, 2.0)]


def exhaustive(model, sentence: int, config: DecodeConfig) -> list[tuple[float, list[int]]]:
    """Every output of at most T_max = 4 tokens (y<1..T−1> from TOKENS, then </s>), scored by
    teacher forcing and sorted best first."""
    outputs = [list(y) for n in range(4) for y in itertools.product(TOKENS, repeat=n)]
    tgt = torch.full((len(outputs), 4), PAD)
    for i, y in enumerate(outputs):
        tgt[i, : len(y) + 1] = torch.tensor([*y, EOS])
    src = SRC[sentence : sentence + 1].expand(len(outputs), -1)
    scored = score(model, src, LENGTHS[sentence : sentence + 1].expand(len(outputs)), tgt)
    scores = normalise(scored.log_prob, scored.length, config).tolist()
    return sorted(zip(scores, outputs, strict=True), key=lambda pair: -pair[0])


@pytest.mark.parametrize(("kind", "alpha"), SETTINGS)
def test_wide_beam_is_the_exhaustive_argmax(toy_model, kind: str, alpha: float) -> None:
    """K = 40 ≥ the 40 outputs of ≤ 4 tokens: the n-best list is the exhaustive ranking."""
    model = toy_model(seed=2)
    config = DecodeConfig(beam=40, n_best=5, alpha=alpha, length_penalty=kind, **SHORT)
    for sentence, nbest in enumerate(beam_search(model, SRC, LENGTHS, config)):
        ranking = exhaustive(model, sentence, config)[:5]
        assert [h.tokens for h in nbest] == [y for _, y in ranking]
        assert [h.score for h in nbest] == pytest.approx([s for s, _ in ranking], abs=1e-9)


def test_the_toy_search_problem_is_not_trivial(toy_model) -> None:
    """On the toy model greedy and a narrow beam miss the argmax, so the test above has teeth."""
    model = toy_model(seed=2)
    config = DecodeConfig(beam=3, alpha=0.7, **SHORT)
    best = [exhaustive(model, i, config)[0][1] for i in range(3)]
    assert [h.tokens for h in greedy(model, SRC, LENGTHS, config)] != best
    assert [nbest[0].tokens for nbest in beam_search(model, SRC, LENGTHS, config)] != best


@pytest.mark.parametrize(("kind", "alpha"), SETTINGS)
@pytest.mark.parametrize("seed", [1, 2])
def test_beam_of_one_is_greedy(toy_model, kind: str, alpha: float, seed: int) -> None:
    model = toy_model(seed=seed, cell="lstm", attention="general")
    config = DecodeConfig(beam=1, alpha=alpha, length_penalty=kind, max_extra=3)
    for g, (b,) in zip(greedy(model, SRC, LENGTHS, config),
                       beam_search(model, SRC, LENGTHS, config), strict=True):
        assert g.tokens == b.tokens
        assert g.score == pytest.approx(b.score, abs=1e-12)
        assert g.log_prob == pytest.approx(b.log_prob, abs=1e-12)
        torch.testing.assert_close(g.attention, b.attention)


@pytest.mark.parametrize("kind", LENGTH_PENALTIES)
def test_scores_are_teacher_forced_log_probabilities(toy_model, kind: str) -> None:
    model = toy_model(seed=1, attention="dot")
    config = DecodeConfig(beam=4, n_best=4, alpha=0.7, length_penalty=kind)
    for sentence, nbest in enumerate(beam_search(model, SRC, LENGTHS, config)):
        S = int(LENGTHS[sentence])
        for h in nbest:
            tgt = torch.tensor([[*h.tokens, EOS]])
            with torch.no_grad():
                scored = score(model, SRC[sentence : sentence + 1, :S], LENGTHS[[sentence]], tgt)
            assert int(scored.length) == len(h.tokens) + 1
            assert h.log_prob == pytest.approx(float(scored.log_prob), abs=1e-9)
            assert h.score == pytest.approx(float(normalise(scored.log_prob, scored.length,
                                                            config)), abs=1e-9)
            assert h.attention.shape == (len(h.tokens) + 1, S)
            torch.testing.assert_close(h.attention.sum(1), torch.ones(len(h.tokens) + 1,
                                                                      dtype=torch.float64))


def test_n_best_lists_are_sorted_and_distinct(toy_model) -> None:
    config = DecodeConfig(beam=6, n_best=6, alpha=0.7, **SHORT)
    for nbest in beam_search(toy_model(seed=2), SRC, LENGTHS, config):
        assert len(nbest) == 6
        scores = [h.score for h in nbest]
        assert scores == sorted(scores, reverse=True)
        assert len({tuple(h.tokens) for h in nbest}) == 6
        assert all(isinstance(h, Hypothesis) and EOS not in h.tokens for h in nbest)


@pytest.mark.parametrize("decode", [greedy, beam_search])
def test_a_batch_decodes_as_its_sentences_alone(toy_model, decode) -> None:
    """Batching and padding (here 2 extra <pad> columns) change no output."""
    model = toy_model(seed=1, cell="gru")
    config = DecodeConfig(beam=1 if decode is greedy else 3, n_best=1 if decode is greedy else 3)
    together = decode(model, F.pad(SRC, (0, 2), value=PAD), LENGTHS, config)
    for i, length in enumerate(LENGTHS.tolist()):
        (alone,) = decode(model, SRC[i : i + 1, :length], LENGTHS[i : i + 1], config)
        pairs = [(together[i], alone)] if decode is greedy else zip(together[i], alone, strict=True)
        for a, b in pairs:
            assert a.tokens == b.tokens
            assert a.score == pytest.approx(b.score, abs=1e-9)
            torch.testing.assert_close(a.attention, b.attention)


@pytest.mark.parametrize(("kind", "alpha"), SETTINGS)
@pytest.mark.parametrize("beam", [2, 3])
def test_stopping_early_changes_nothing(toy_model, monkeypatch, kind, alpha, beam) -> None:
    """The bound-based stopping rule returns what searching to T_max returns."""
    model = toy_model(seed=2)
    config = DecodeConfig(beam=beam, n_best=2, alpha=alpha, length_penalty=kind, max_extra=8)
    early = beam_search(model, SRC, LENGTHS, config)
    def no_live_hypothesis(log_prob: torch.Tensor, *_) -> torch.Tensor:
        return log_prob.max(dim=1).values == float("-inf")

    monkeypatch.setattr(search_module, "_stopped", no_live_hypothesis)
    late = beam_search(model, SRC, LENGTHS, config)
    assert [[h.tokens for h in n] for n in early] == [[h.tokens for h in n] for n in late]


def test_stopping_early_saves_steps(toy_model) -> None:
    """With α = 0 no live hypothesis can beat a finished one with a higher log-probability."""
    model = toy_model(seed=2)
    calls = []
    step = model.decode_step
    model.decode_step = lambda *args: calls.append(1) or step(*args)
    beam_search(model, SRC, LENGTHS, DecodeConfig(beam=3, alpha=0.0, max_extra=20))
    assert len(calls) < 10


def test_outputs_end_at_the_maximum_length(toy_model) -> None:
    """A model that never wants </s> is cut at T_max = ⌊max_ratio · S⌋ + max_extra, </s> forced."""
    model = toy_model(seed=1)
    with torch.no_grad():
        model.readout.bias[EOS] = -100.0
    config = DecodeConfig(beam=2, n_best=2, max_ratio=0.5, max_extra=1)
    assert max_length(LENGTHS, config).tolist() == [3, 2, 2]
    for decode in (greedy, beam_search):
        for nbest, limit in zip(decode(model, SRC, LENGTHS, config), (3, 2, 2), strict=True):
            for h in nbest if isinstance(nbest, list) else [nbest]:
                assert len(h.tokens) == limit - 1 and h.log_prob < -90


def test_protocol_with_a_tensor_state(markov) -> None:
    """A decoder whose state is a plain tensor; beam finds "b" (P 0.4) that greedy misses for
    "a" (P 0.6 · 0.4 = 0.24)."""
    model = markov({2: {4: 0.6, 5: 0.4}, 4: {3: 0.4, 4: 0.3, 5: 0.3}, 5: {3: 1.0}})
    src, lengths = torch.tensor([[4, 4, 4], [4, PAD, PAD]]), torch.tensor([3, 1])
    config = DecodeConfig(beam=2, alpha=0.0)
    assert [h.tokens for h in greedy(model, src, lengths, config)] == [[4], [4]]
    results = beam_search(model, src, lengths, config)
    assert [n[0].tokens for n in results] == [[5], [5]]
    assert results[0][0].log_prob == pytest.approx(torch.tensor(0.4).log().item(), abs=1e-5)


@pytest.mark.parametrize(("kind", "alpha", "T", "expected"), [
    ("notes", 0.0, 7, 1.0),
    ("notes", 1.0, 7, 7.0),
    ("notes", 0.7, 4, 4**0.7),
    ("gnmt", 0.0, 7, 1.0),
    ("gnmt", 1.0, 7, 2.0),
    ("gnmt", 0.7, 4, 1.5**0.7),
])
def test_length_penalty(kind: str, alpha: float, T: int, expected: float) -> None:
    assert float(length_penalty(torch.tensor(T), alpha, kind)) == pytest.approx(expected)
    config = DecodeConfig(alpha=alpha, length_penalty=kind)
    assert float(normalise(torch.tensor(-3.0), torch.tensor(T), config)) == pytest.approx(
        -3.0 / expected)


def test_errors(toy_model) -> None:
    with pytest.raises(ValueError, match="length_penalty: unknown kind 'wu'; expected one of "
                                         "notes, gnmt"):
        length_penalty(torch.tensor(3), 1.0, "wu")
    with pytest.raises(ConfigError, match=r"decode\.length_penalty: unknown 'wu'; expected "
                                          "one of notes, gnmt"):
        DecodeConfig(length_penalty="wu")
    with pytest.raises(ValueError, match=r"decode\.beam: expected ≥ 1, got 0"):
        DecodeConfig(beam=0)
    with pytest.raises(ValueError, match=r"decode\.n_best: expected ≤ beam, got n_best=3, "
                                         "beam=2"):
        DecodeConfig(beam=2, n_best=3)
    with pytest.raises(ValueError, match=r"decode\.alpha: expected ≥ 0, got -0\.5"):
        DecodeConfig(alpha=-0.5)
    with pytest.raises(ValueError, match=r"score: expected tgt of shape \(3, T\), got \(4,\)"):
        score(toy_model(), SRC, LENGTHS, torch.tensor([4, 5, 3, 0]))
