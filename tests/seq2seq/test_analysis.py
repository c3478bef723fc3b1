import pytest

from seqkit.seq2seq import DecodeConfig, ErrorAnalysis, error_analysis, greedy

from .conftest import pad_batch

A, B = 4, 5  # the Markov decoder's tokens "a" and "b"
# P(a) = 0.6, P(b) = 0.4 first; after a: P(</s>) = 0.4, P(a) = P(b) = 0.3; after b: P(</s>) = 1.
# Greedy outputs "a" (P = 0.24); "b" has P = 0.4 (the search's fault), "a a" 0.072 (the model's).
ROWS = {2: {A: 0.6, B: 0.4}, A: {3: 0.4, A: 0.3, B: 0.3}, B: {3: 1.0}}


def test_blame_on_search_and_on_model(markov) -> None:
    model = markov(ROWS)
    sources = [[4, 4], [4], [4, 4, 4], [4]]
    references = [[B], [A, A], [A], [B]]
    src, lengths = pad_batch(sources)
    outputs = [h.tokens for h in greedy(model, src, lengths, DecodeConfig(beam=1, alpha=0.0))]
    assert outputs == [[A]] * 4
    config = DecodeConfig(alpha=0.0, batch_size=2)
    result = error_analysis(model, sources, references, outputs, config)
    assert result == ErrorAnalysis(examples=4, errors=3, search=2, model=1, alpha=0.0,
                                   length_penalty="notes")
    assert result.search_fraction == pytest.approx(2 / 3)
    assert result.model_fraction == pytest.approx(1 / 3)
    assert result.format() == (
        "error analysis: 3/4 outputs differ from the reference; search at fault 2 (66.7%), "
        "model at fault 1 (33.3%) [log P(y|x) / lp(T), lp=notes, alpha=0]"
    )


def test_blame_follows_the_length_normalised_objective(markov) -> None:
    """"a a b" (P = 0.6 · 0.3 · 0.3 · 1 = 0.054, T = 4) against "a" (0.24, T = 2): the model's fault
    under raw log-probabilities, the search's at α = 2 (log 0.054 / 16 > log 0.24 / 4)."""
    model = markov(ROWS)
    args = (model, [[4]], [[A, A, B]], [[A]])
    assert error_analysis(*args, DecodeConfig(alpha=0.0)).model == 1
    assert error_analysis(*args, DecodeConfig(alpha=2.0)).search == 1


def test_no_errors(markov) -> None:
    result = error_analysis(markov(ROWS), [[4]], [[A]], [[A]], DecodeConfig())
    assert (result.errors, result.search_fraction, result.model_fraction) == (0, 0.0, 0.0)


def test_errors(markov) -> None:
    with pytest.raises(ValueError, match="error_analysis: expected as many sources, references "
                                         "and outputs, got 2, 1 and 1"):
        error_analysis(markov(ROWS), [[4], [4]], [[A]], [[B]], DecodeConfig())
