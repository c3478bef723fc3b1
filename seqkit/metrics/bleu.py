"""BLEU (Papineni et al., 2002) from additive sufficient statistics; scores equal sacrebleu's.

For a hypothesis ŷ and its references, Count(g) is how often the n-gram g occurs in ŷ and
Count_clip(g) = min(Count(g), max over references of g's count there) its modified count (notes,
"Modified precision"). Summed over every sentence j of the corpus, the modified n-gram precision is

    p_n = Σ_j Σ_{g ∈ ŷ_j} Count_clip(g) / Σ_j Σ_{g ∈ ŷ_j} Count(g)          (n-grams g of order n)

With c the total hypothesis length and r the total reference length (for each sentence the
reference length closest to its hypothesis, ties going to the shorter), the brevity penalty and the
score are

    BP   = 1 if c > r else exp(1 − r/c)             (0 if c = 0; 1 if c = r = 0, as sacrebleu)
    BLEU = BP · exp(Σ_{n=1..N} w_n log p_n),  w_n = 1/N, N = 4   (reported ×100, as sacrebleu)

Every sum runs over sentences, so a sentence's statistics ``(c, r, Σ Count_clip, Σ Count)`` add up
to the corpus's: corpus BLEU pools them and never averages sentence scores.

Note: the notes' BP has its cases swapped and its ratio inverted (``exp(1 − c/r)`` for outputs
*longer* than the reference), and their struck-out combined score ``exp(1/n Σ p_n)`` means the log
precisions; this module follows Papineni et al. and sacrebleu. Tokenisers are sacrebleu's own.
"""

import io
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sacrebleu import __version__ as SACREBLEU_VERSION
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from sacrebleu.tokenizers.tokenizer_char import TokenizerChar
from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International
from sacrebleu.tokenizers.tokenizer_none import NoneTokenizer

from seqkit.errors import SeqkitError

TOKENIZERS = {"13a": Tokenizer13a, "intl": TokenizerV14International, "char": TokenizerChar,
              "none": NoneTokenizer}
# Smoothing of Chen & Cherry (2014) as sacrebleu names it, with its default value (None: no value).
SMOOTH_DEFAULTS: dict[str, float | None] = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}


@cache
def _tokenizer(name: str) -> Any:
    return TOKENIZERS[name]()  # sacrebleu's tokenisers keep no state but a cache: share one


@dataclass(frozen=True)
class BLEUStats:
    """The sufficient statistics of BLEU; those of sentences add up to the corpus's (``a + b``)."""

    sys_len: int  # c, hypothesis tokens
    ref_len: int  # r, tokens of the reference closest in length to each hypothesis
    counts: tuple[int, ...]  # Σ Count_clip(g) over n-grams g of order n = 1..N (the matches)
    totals: tuple[int, ...]  # Σ Count(g) over n-grams g of order n = 1..N

    def __add__(self, other: "BLEUStats") -> "BLEUStats":
        if len(self.counts) != len(other.counts):
            raise ValueError(f"BLEUStats: expected statistics of max order {len(self.counts)}, "
                             f"got {len(other.counts)}")
        return BLEUStats(self.sys_len + other.sys_len, self.ref_len + other.ref_len,
                         tuple(map(sum, zip(self.counts, other.counts, strict=True))),
                         tuple(map(sum, zip(self.totals, other.totals, strict=True))))


def _ngrams(tokens: Sequence[str], max_order: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i:i + n]) for n in range(1, max_order + 1)
                   for i in range(len(tokens) - n + 1))


def ngram_stats(hypothesis: Sequence[str], references: Sequence[Sequence[str]],
                max_order: int = 4) -> BLEUStats:
    """BLEU statistics of one tokenised hypothesis against one or more tokenised references.

    >>> ngram_stats("the the the the the the the".split(),
    ...             ["the cat is on the mat".split(), "there is a cat on the mat".split()]).counts
    (2, 0, 0, 0)
    """
    if not references:
        raise ValueError("ngram_stats: expected at least one reference, got none")
    max_ref_counts: Counter[tuple[str, ...]] = Counter()
    for reference in references:
        max_ref_counts |= _ngrams(reference, max_order)  # | keeps the max count over references
    hyp_counts = _ngrams(hypothesis, max_order)
    clipped = hyp_counts & max_ref_counts  # & keeps the min: Count_clip
    counts, totals = [0] * max_order, [0] * max_order
    for gram, count in hyp_counts.items():
        totals[len(gram) - 1] += count
        counts[len(gram) - 1] += clipped[gram]
    c = len(hypothesis)
    # the reference length closest to c, ties to the shorter: c = 5, lengths 4 and 6 give r = 4
    r = min((len(ref) for ref in references), key=lambda length: (abs(length - c), length))
    return BLEUStats(c, r, tuple(counts), tuple(totals))


class BLEUScore(NamedTuple):
    """A BLEU score (0..100), its parts, and the signature of the settings that produced it."""

    score: float
    precisions: tuple[float, ...]  # 100 · p_n for n = 1..N, after smoothing
    bp: float
    ratio: float  # c / r (0 if r = 0)
    sys_len: int
    ref_len: int
    counts: tuple[int, ...]  # unsmoothed Σ Count_clip per order (sacrebleu's add-k adds k here)
    totals: tuple[int, ...]  # unsmoothed Σ Count per order
    signature: str

    def format(self, width: int = 1) -> str:
        """The line ``sacrebleu -f text`` prints (its default ``-w 1``), signature included."""
        precisions = "/".join(f"{p:.1f}" for p in self.precisions)
        return (f"BLEU|{self.signature} = {self.score:.{width}f} {precisions} (BP = {self.bp:.3f} "
                f"ratio = {self.ratio:.3f} hyp_len = {self.sys_len:d} ref_len = {self.ref_len:d})")

    def as_dict(self) -> dict[str, object]:
        """A JSON-able dict: ``name`` and every field at full precision."""
        return {"name": "BLEU", **self._asdict()}


@dataclass(frozen=True)
class BLEU:
    """BLEU settings, and scoring with them at corpus or sentence level.

    Smoothing (Chen & Cherry, 2014, as sacrebleu) replaces a zero precision p_n:
    ``none`` leaves it (BLEU = 0); ``floor`` sets p_n = ε / Σ Count; ``add-k`` uses
    (Σ Count_clip + k) / (Σ Count + k) for every n ≥ 2; ``exp`` (NIST mteval) gives the i-th zero
    order p_n = 1 / (2^i Σ Count). With no match at any order, BLEU = 0 whatever the smoothing.
    With ``effective_order``, N is the highest order the hypotheses have n-grams of, so a
    two-word sentence is scored on p_1 and p_2 only.

    >>> score = BLEU().corpus_score(["the cat sat on the mat", "a dog"],
    ...                             [["the cat sat on the mat", "the dog barks"]])
    >>> round(score.score, 2), score.precisions[:2], round(score.bp, 3)
    (81.55, (87.5, 83.33333333333333), 0.882)
    """

    tokenize: str = "13a"  # one of TOKENIZERS (sacrebleu's)
    lowercase: bool = False  # lowercase hypotheses and references before tokenising
    smooth_method: str = "exp"  # one of SMOOTH_DEFAULTS
    smooth_value: float | None = None  # ε of floor or k of add-k; None: the method's default
    max_order: int = 4  # N, highest n-gram order
    effective_order: bool | None = None  # None: yes for sentence_score, no for corpus_score

    def __post_init__(self) -> None:
        for name, value, choices in (("tokenize", self.tokenize, TOKENIZERS),
                                     ("smooth_method", self.smooth_method, SMOOTH_DEFAULTS)):
            if value not in choices:
                raise ValueError(f"BLEU: unknown {name} {value!r}, expected one of "
                                 f"{', '.join(choices)}")
        if self.smooth_value is not None and SMOOTH_DEFAULTS[self.smooth_method] is None:
            raise ValueError(f"BLEU: smooth_value is used by floor and add-k only, "
                             f"got {self.smooth_value!r} with smooth_method {self.smooth_method!r}")
        if self.max_order < 1:
            raise ValueError(f"BLEU: expected max_order >= 1, got {self.max_order}")

    def tokens(self, sentence: str) -> list[str]:
        """``sentence`` lowercased (if set), right-stripped and tokenised, as sacrebleu does."""
        sentence = sentence.lower() if self.lowercase else sentence
        return _tokenizer(self.tokenize)(sentence.rstrip()).split()

    def sentence_stats(self, hypothesis: str, references: Sequence[str]) -> BLEUStats:
        """The statistics of one hypothesis against its references (add them to pool)."""
        return ngram_stats(self.tokens(hypothesis), [self.tokens(ref) for ref in references],
                           self.max_order)

    def corpus_score(self, hypotheses: Sequence[str],
                     references: Sequence[Sequence[str]]) -> BLEUScore:
        """Corpus BLEU from pooled statistics; ``references`` holds reference *streams*.

        Each stream has one reference per hypothesis, as in sacrebleu:
        ``corpus_score(hyps, [refs_a, refs_b])``.
        """
        _check_streams(hypotheses, references)
        stats = BLEUStats(0, 0, (0,) * self.max_order, (0,) * self.max_order)
        for hypothesis, *refs in zip(hypotheses, *references, strict=True):
            stats += self.sentence_stats(hypothesis, refs)
        return self.score_stats(stats, len(references))

    def sentence_score(self, hypothesis: str, references: Sequence[str]) -> BLEUScore:
        """BLEU of one hypothesis against one or more references (effective order by default)."""
        if not isinstance(hypothesis, str) or isinstance(references, str):
            raise TypeError("BLEU.sentence_score: expected a hypothesis string and a sequence of "
                            f"reference strings, got {type(hypothesis).__name__} and "
                            f"{type(references).__name__}")
        if not references:
            raise ValueError("BLEU.sentence_score: expected at least one reference, got none")
        return self._score(self.sentence_stats(hypothesis, references), len(references),
                           effective=self.effective_order is not False)

    def score_stats(self, stats: BLEUStats, nrefs: int = 1) -> BLEUScore:
        """Corpus BLEU from statistics pooled by the caller (``nrefs`` goes in the signature)."""
        return self._score(stats, nrefs, effective=self.effective_order is True)

    def _score(self, stats: BLEUStats, nrefs: int, effective: bool) -> BLEUScore:
        if len(stats.counts) != self.max_order:
            raise ValueError(f"BLEU: expected statistics of max order {self.max_order}, "
                             f"got {len(stats.counts)}")
        c, r = stats.sys_len, stats.ref_len
        bp = 1.0 if c >= r else math.exp(1 - r / c) if c > 0 else 0.0  # c = r: exp(0) = 1
        precisions = self._precisions(stats.counts, stats.totals)
        # N: the orders scored. The n-gram totals shrink with n, and a zero total ends the orders
        # counted under effective_order (add-k's k keeps the totals of n >= 2 positive).
        order = self.max_order
        if effective:
            order = next((n for n, p in enumerate(precisions) if p is None), self.max_order)
        logs = [math.log(p) if p else -math.inf for p in precisions[:order]]
        score = 0.0 if -math.inf in logs else bp * math.exp(sum(logs) / order)
        return BLEUScore(score, tuple(p or 0.0 for p in precisions), bp, c / r if r else 0.0, c, r,
                         stats.counts, stats.totals, self._signature(nrefs, effective))

    @property
    def _smooth_value(self) -> float:
        """ε of floor or k of add-k, the method's default if unset (0 for methods without one)."""
        return next(v for v in (self.smooth_value, SMOOTH_DEFAULTS[self.smooth_method], 0.0)
                    if v is not None)

    def _precisions(self, counts: Sequence[int], totals: Sequence[int]) -> list[float | None]:
        """100 · p_n per order after smoothing; None from the first order with no n-grams on."""
        if not any(counts):  # no match at all: BLEU = 0, all precisions 0 (sacrebleu #141)
            return [0.0] * len(counts)
        value = self._smooth_value
        precisions: list[float | None] = [None] * len(counts)
        zero_orders = 0  # exp smoothing halves p_n once more at each order with no match
        for n, (matches, total) in enumerate(zip(counts, totals, strict=True), start=1):
            if self.smooth_method == "add-k" and n > 1:
                matches, total = matches + value, total + value
            if total == 0:
                break
            if matches > 0:
                precisions[n - 1] = 100 * matches / total
            elif self.smooth_method == "exp":
                zero_orders += 1
                precisions[n - 1] = 100 / (2 ** zero_orders * total)
            elif self.smooth_method == "floor":
                precisions[n - 1] = 100 * value / total
            else:
                precisions[n - 1] = 0.0
        return precisions

    def _signature(self, nrefs: int, effective_order: bool) -> str:
        """sacrebleu's signature of these settings (plus ``order:N`` if N is not 4)."""
        smooth = self.smooth_method
        if SMOOTH_DEFAULTS[smooth] is not None:
            smooth += f"[{self._smooth_value:.2f}]"
        order = f"|order:{self.max_order}" if self.max_order != 4 else ""
        tok = _tokenizer(self.tokenize).signature()
        return (f"nrefs:{nrefs}|case:{'lc' if self.lowercase else 'mixed'}|"
                f"eff:{'yes' if effective_order else 'no'}|tok:{tok}|smooth:{smooth}{order}|"
                f"version:{SACREBLEU_VERSION}")

    def score_files(self, hypothesis_file: str, reference_files: Sequence[str]) -> BLEUScore:
        """Corpus BLEU of a hypothesis file (``-`` for stdin) against reference files.

        Raises SeqkitError (one line, naming the files) for an unreadable or empty hypothesis
        file, for line counts that differ, and for stdin named more than once (it can be read
        only once: ``-r - -r -`` would score against an empty second stream).
        """
        readers_of_stdin = [hypothesis_file, *reference_files].count("-")
        if readers_of_stdin > 1:
            raise SeqkitError(f"stdin ('-') is named {readers_of_stdin} times among the hypothesis "
                              "and the references; it can be read only once")
        hypotheses = read_lines(hypothesis_file)
        if not hypotheses:
            raise SeqkitError(f"{_name(hypothesis_file)}: no lines to score")
        references = [read_lines(path) for path in reference_files]
        for path, stream in zip(reference_files, references, strict=True):
            if len(stream) != len(hypotheses):
                raise SeqkitError(f"line counts differ: {_name(hypothesis_file)} has "
                                  f"{len(hypotheses)} lines, {path} has {len(stream)}")
        return self.corpus_score(hypotheses, references)


def _check_streams(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> None:
    if isinstance(hypotheses, str) or isinstance(references, str) or any(
            isinstance(stream, str) for stream in references):
        raise TypeError("BLEU.corpus_score: expected a sequence of hypotheses and a sequence of "
                        "reference streams (wrap a single stream in a list: [refs])")
    if not references:
        raise ValueError("BLEU.corpus_score: expected at least one reference stream, got none")
    for number, stream in enumerate(references, start=1):
        if len(stream) != len(hypotheses):
            raise ValueError(f"BLEU.corpus_score: expected {len(hypotheses)} references in "
                             f"stream {number} (one per hypothesis), got {len(stream)}")


def _name(path: str) -> str:
    return "stdin" if path == "-" else path


def read_lines(path: str) -> list[str]:
    """The lines of a UTF-8 file (``-``: stdin) as sacrebleu's command line reads them.

    A file splits at ``\\n`` only (stdin also at ``\\r``, universal newlines); each line loses its
    trailing whitespace; a last line without ``\\n`` still counts, an empty file has no lines.
    """
    try:
        if path == "-":
            stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
            try:
                return [line.rstrip() for line in stream]
            finally:
                stream.detach()  # leave sys.stdin open
        with open(path, encoding="utf-8", newline="\n") as stream:
            return [line.rstrip() for line in stream]
    except OSError as error:
        raise SeqkitError(f"{_name(path)}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SeqkitError(f"{_name(path)}: not UTF-8 text ({error.reason})") from None
