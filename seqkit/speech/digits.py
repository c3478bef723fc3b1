"""Spoken digit strings as people read them out, their character transcripts, and CTC labels.

A digit string such as "0755" is read digit by digit, 0 as "zero" or "oh", and a run of two or
three equal digits sometimes as "double" or "triple" ("oh seven double five"). The transcript is
the phrase itself, lower-case letters and single spaces, which a CTC model spells character by
character over ``LABELS`` (index 0 the blank). Generation is seeded: one seed, one corpus.
"""

import random
from collections.abc import Iterator
from typing import NamedTuple

from seqkit.speech.synth import ESPEAK_ACCENTS, FLITE_VOICES, Voice

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
BLANK = 0
LABELS = ("<blank>", " ", *"abcdefghijklmnopqrstuvwxyz")  # V = 28; label id = index
_LABEL_IDS = {label: i for i, label in enumerate(LABELS)}


class Utterance(NamedTuple):
    """A digit string and the phrase that reads it out (the transcript)."""

    digits: str  # "0755"
    text: str  # "oh seven double five"


def read_out(digits: str, rng: random.Random, p_oh: float = 0.5, p_double: float = 0.5) -> str:
    """The phrase reading ``digits`` aloud: 0 is "oh" with probability ``p_oh`` (else "zero"); a
    run of 2 (3) equal digits is "double" ("triple") with probability ``p_double``.

    >>> read_out("0755", random.Random(0), p_oh=1.0, p_double=1.0)
    'oh seven double five'
    """
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"read_out: expected a non-empty string of digits 0-9, got {digits!r}")
    def word(d: int) -> str:
        return "oh" if d == 0 and rng.random() < p_oh else DIGIT_WORDS[d]

    words, i = [], 0
    while i < len(digits):
        run = 1  # the run of equal digits starting at i, at most 3: "5555" is 3 + 1
        while i + run < len(digits) and digits[i + run] == digits[i] and run < 3:
            run += 1
        d = int(digits[i])
        if run >= 2 and rng.random() < p_double:
            words += ["double" if run == 2 else "triple", word(d)]
        else:
            words += [word(d) for _ in range(run)]
        i += run
    return " ".join(words)


def digit_utterances(count: int, seed: int = 0, min_digits: int = 1,
                     max_digits: int = 7) -> Iterator[Utterance]:
    """``count`` random digit strings of ``min_digits``..``max_digits`` digits, read out."""
    if not 1 <= min_digits <= max_digits:
        raise ValueError(f"digit_utterances: expected 1 <= min_digits <= max_digits, got "
                         f"{min_digits} and {max_digits}")
    rng = random.Random(seed)
    for _ in range(count):
        digits = "".join(rng.choice("0123456789")
                         for _ in range(rng.randint(min_digits, max_digits)))
        yield Utterance(digits, read_out(digits, rng))


def random_voice(rng: random.Random) -> Voice:
    """A voice drawn uniformly from the espeak-ng accents × variants m1–m7, f1–f5 (speed
    130–220 wpm, pitch 30–70) and, one time in five, from the flite voices."""
    if rng.random() < 0.2:
        return Voice("flite", rng.choice(FLITE_VOICES))
    variant = rng.choice([f"m{i}" for i in range(1, 8)] + [f"f{i}" for i in range(1, 6)])
    return Voice("espeak-ng", rng.choice(ESPEAK_ACCENTS), variant, rng.randint(130, 220),
                 rng.randint(30, 70))


def encode(text: str) -> list[int]:
    """The label ids of a transcript: "oh" → [16, 9]."""
    try:
        return [_LABEL_IDS[c] for c in text]
    except KeyError as error:
        raise ValueError(f"encode: expected lower-case letters and spaces, got {error.args[0]!r} "
                         f"in {text!r}") from None


def decode(labels: list[int]) -> str:
    """The transcript of label ids (blanks, if any, dropped): [16, 9] → "oh"."""
    return "".join(LABELS[i] for i in labels if i != BLANK)
