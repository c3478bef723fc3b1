"""Spoken digit strings: read-out phrases, seeded corpora, CTC label encoding."""

import random

import pytest

from seqkit.speech.digits import (
    DIGIT_WORDS,
    LABELS,
    decode,
    digit_utterances,
    encode,
    random_voice,
    read_out,
)


def _digits_of(text: str) -> str:
    """Parse a read-out phrase back into its digits (an independent inverse of read_out)."""
    value = {w: str(d) for d, w in enumerate(DIGIT_WORDS)} | {"oh": "0"}
    out, repeat = [], 1
    for word in text.split():
        if word in ("double", "triple"):
            repeat = 2 if word == "double" else 3
        else:
            out.append(value[word] * repeat)
            repeat = 1
    return "".join(out)


@pytest.mark.parametrize(("digits", "p_oh", "p_double", "text"), [
    ("0755", 1.0, 1.0, "oh seven double five"),
    ("0755", 0.0, 0.0, "zero seven five five"),
    ("314", 1.0, 1.0, "three one four"),
    ("5555", 1.0, 1.0, "triple five five"),
    ("000", 1.0, 1.0, "triple oh"),
])
def test_read_out(digits: str, p_oh: float, p_double: float, text: str) -> None:
    assert read_out(digits, random.Random(0), p_oh, p_double) == text


def test_corpus_is_seeded_and_every_phrase_reads_its_digits() -> None:
    corpus = list(digit_utterances(300, seed=7, min_digits=2, max_digits=5))
    assert corpus == list(digit_utterances(300, seed=7, min_digits=2, max_digits=5))
    assert corpus != list(digit_utterances(300, seed=8, min_digits=2, max_digits=5))
    for utterance in corpus:
        assert 2 <= len(utterance.digits) <= 5
        assert _digits_of(utterance.text) == utterance.digits
    texts = " ".join(u.text for u in corpus).split()
    assert {"oh", "zero", "double", "triple"} <= set(texts)  # every way of reading occurs


def test_labels_round_trip() -> None:
    assert len(LABELS) == 28 and LABELS[0] == "<blank>" and LABELS[1] == " "
    assert encode("oh") == [LABELS.index("o"), LABELS.index("h")]
    assert decode(encode("oh seven double five")) == "oh seven double five"
    with pytest.raises(ValueError, match="encode: expected lower-case letters and spaces, got '7'"):
        encode("oh 7")


def test_random_voices_are_valid_and_seeded() -> None:
    voices = [random_voice(random.Random(seed)) for seed in range(50)]
    assert voices == [random_voice(random.Random(seed)) for seed in range(50)]
    assert {v.engine for v in voices} == {"espeak-ng", "flite"}


def test_errors() -> None:
    with pytest.raises(ValueError, match="read_out: expected a non-empty string of digits"):
        read_out("12a", random.Random(0))
    with pytest.raises(ValueError, match="digit_utterances: expected 1 <= min_digits"):
        next(digit_utterances(1, min_digits=3, max_digits=2))
