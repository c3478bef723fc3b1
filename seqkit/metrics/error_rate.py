"""Character and word error rates (CER, WER) from edit distance, pooled as additive statistics.

The edit (Levenshtein) distance between a hypothesis ŷ and a reference y* is the least number of
substitutions S, deletions D and insertions I that turn y* into ŷ. Over a corpus of sentences j,

    ER = Σ_j (S_j + D_j + I_j) / Σ_j N_j          (N_j = length of reference j in units)

with units the words (WER) or characters (CER) of each sentence. A sentence's statistics
``(errors, ref_len)`` add up to the corpus's: the corpus score pools them and never averages
sentence rates (a one-word sentence with one error would otherwise weigh as much as a long one).
ER can exceed 100%: every inserted unit is an error.
"""

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

Unit = Literal["char", "word"]
UNITS: tuple[Unit, ...] = ("char", "word")


def edit_distance(hypothesis: Sequence[Hashable], reference: Sequence[Hashable]) -> int:
    """min S + D + I turning ``reference`` into ``hypothesis`` (Wagner–Fischer, O(|ŷ|·|y*|)).

    d[i][j] is the distance between the first i reference and first j hypothesis units:

        d[i][j] = min(d[i−1][j] + 1,                       deletion of y*_i
                      d[i][j−1] + 1,                       insertion of ŷ_j
                      d[i−1][j−1] + [y*_i ≠ ŷ_j])           substitution (or match)

    >>> edit_distance("kitten", "sitting")
    3
    """
    previous = list(range(len(hypothesis) + 1))  # d[0][j] = j insertions
    for i, ref_unit in enumerate(reference, start=1):
        current = [i]  # d[i][0] = i deletions
        for j, hyp_unit in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ref_unit != hyp_unit)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class ErrorStats:
    """The sufficient statistics of an error rate; those of sentences add up (``a + b``)."""

    errors: int  # S + D + I
    ref_len: int  # N, reference units

    def __add__(self, other: "ErrorStats") -> "ErrorStats":
        return ErrorStats(self.errors + other.errors, self.ref_len + other.ref_len)


class ErrorRateScore(NamedTuple):
    """An error rate in percent, its statistics and the signature of the settings behind it."""

    name: str  # "CER" or "WER"
    score: float  # 100 · errors / ref_len; 0 if both are 0, inf if only ref_len is
    errors: int
    ref_len: int
    signature: str

    def format(self, width: int = 2) -> str:
        """``WER|unit:word|case:mixed = 12.50 (errors 1, ref_len 8)``."""
        return (f"{self.name}|{self.signature} = {self.score:.{width}f} "
                f"(errors {self.errors}, ref_len {self.ref_len})")

    def as_dict(self) -> dict[str, object]:
        """A JSON-able dict of every field."""
        return self._asdict()


@dataclass(frozen=True)
class ErrorRate:
    """Error-rate settings, and scoring with them.

    ``unit="word"`` splits on whitespace (WER); ``unit="char"`` counts the characters of the
    sentence after collapsing each run of whitespace to one space and stripping the ends (CER,
    spaces included, as the transcripts of ``seqkit.speech`` spell word boundaries).

    >>> ErrorRate("word").corpus_score(["the cat sat", "a dog"],
    ...                                ["the cat sat down", "a dog"]).format()
    'WER|unit:word|case:mixed = 16.67 (errors 1, ref_len 6)'
    """

    unit: Unit = "word"  # "word" (WER) or "char" (CER)
    lowercase: bool = False  # lowercase both sides first

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"ErrorRate: unknown unit {self.unit!r}, expected one of "
                             f"{', '.join(UNITS)}")

    @property
    def name(self) -> str:
        return "WER" if self.unit == "word" else "CER"

    @property
    def signature(self) -> str:
        return f"unit:{self.unit}|case:{'lc' if self.lowercase else 'mixed'}"

    def units(self, sentence: str) -> list[str]:
        """``sentence`` as the units counted: its words, or its characters."""
        if not isinstance(sentence, str):
            raise TypeError(f"{self.name}: expected a str sentence, got "
                            f"{type(sentence).__name__}")
        sentence = sentence.lower() if self.lowercase else sentence
        words = sentence.split()
        return words if self.unit == "word" else list(" ".join(words))

    def sentence_stats(self, hypothesis: str, reference: str) -> ErrorStats:
        """The statistics of one hypothesis against its reference (add them to pool)."""
        ref = self.units(reference)
        return ErrorStats(edit_distance(self.units(hypothesis), ref), len(ref))

    def corpus_score(self, hypotheses: Sequence[str], references: Sequence[str]) -> ErrorRateScore:
        """The error rate of the corpus, from statistics pooled over its sentences."""
        if isinstance(hypotheses, str) or isinstance(references, str):
            raise TypeError(f"{self.name}.corpus_score: expected sequences of sentences, got a str")
        if len(hypotheses) != len(references):
            raise ValueError(f"{self.name}.corpus_score: expected as many hypotheses as "
                             f"references, got {len(hypotheses)} and {len(references)}")
        stats = ErrorStats(0, 0)
        for hypothesis, reference in zip(hypotheses, references, strict=True):
            stats += self.sentence_stats(hypothesis, reference)
        return self.score_stats(stats)

    def sentence_score(self, hypothesis: str, reference: str) -> ErrorRateScore:
        """The error rate of one sentence."""
        return self.score_stats(self.sentence_stats(hypothesis, reference))

    def score_stats(self, stats: ErrorStats) -> ErrorRateScore:
        """The error rate of statistics pooled by the caller."""
        if stats.ref_len:
            score = 100.0 * stats.errors / stats.ref_len
        else:  # nothing to recognise: perfect if nothing was output
            score = math.inf if stats.errors else 0.0
        return ErrorRateScore(self.name, score, stats.errors, stats.ref_len, self.signature)


def wer(hypotheses: Sequence[str], references: Sequence[str]) -> ErrorRateScore:
    """Corpus word error rate, case-sensitive: ``ErrorRate("word").corpus_score``."""
    return ErrorRate("word").corpus_score(hypotheses, references)


def cer(hypotheses: Sequence[str], references: Sequence[str]) -> ErrorRateScore:
    """Corpus character error rate, case-sensitive: ``ErrorRate("char").corpus_score``."""
    return ErrorRate("char").corpus_score(hypotheses, references)
