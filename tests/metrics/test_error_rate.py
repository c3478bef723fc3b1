"""CER and WER from edit distance: brute-force distances, pooled statistics, edge cases."""

import itertools
import math

import pytest

from seqkit.metrics.error_rate import ErrorRate, ErrorStats, cer, edit_distance, wer


def _brute_force_distance(hyp: str, ref: str, alphabet: str = "ab") -> int:
    """Breadth-first search over single edits from ref until hyp appears (tiny strings only)."""
    frontier, depth, seen = {ref}, 0, {ref}
    while hyp not in frontier:
        nxt = set()
        for s in frontier:
            for i in range(len(s) + 1):
                nxt.update(s[:i] + c + s[i:] for c in alphabet)  # insertion
                if i < len(s):
                    nxt.add(s[:i] + s[i + 1:])  # deletion
                    nxt.update(s[:i] + c + s[i + 1:] for c in alphabet)  # substitution
        frontier, depth = nxt - seen, depth + 1
        seen |= nxt
    return depth


STRINGS = ["".join(p) for n in range(4) for p in itertools.product("ab", repeat=n)]


def test_edit_distance_equals_brute_force_on_all_short_strings() -> None:
    for hyp, ref in itertools.product(STRINGS, repeat=2):
        assert edit_distance(hyp, ref) == _brute_force_distance(hyp, ref), (hyp, ref)


@pytest.mark.parametrize(("hyp", "ref", "distance"), [
    ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("", "", 0), ("flaw", "lawn", 2),
])
def test_edit_distance_textbook_cases(hyp: str, ref: str, distance: int) -> None:
    assert edit_distance(hyp, ref) == distance == edit_distance(ref, hyp)


def test_corpus_score_pools_statistics_and_does_not_average() -> None:
    hyps, refs = ["a b", "the quick brown fox"], ["a c", "the quick brown fox jumps"]
    score = wer(hyps, refs)
    assert (score.errors, score.ref_len) == (2, 7)  # 1 substitution + 1 deletion
    assert score.score == pytest.approx(100 * 2 / 7)  # not (50 % + 20 %) / 2
    metric = ErrorRate("word")
    pooled = metric.sentence_stats(hyps[0], refs[0]) + metric.sentence_stats(hyps[1], refs[1])
    assert pooled == ErrorStats(2, 7)
    assert metric.score_stats(pooled) == score


def test_cer_counts_characters_with_single_spaces() -> None:
    score = cer(["oh  seven "], ["oh seven"])
    assert (score.errors, score.ref_len, score.score) == (0, 8, 0.0)
    assert cer(["three one for"], ["three one four"]).errors == 1
    assert ErrorRate("char", lowercase=True).sentence_score("Oh", "oh").errors == 0
    assert ErrorRate("char").sentence_score("Oh", "oh").errors == 1


@pytest.mark.parametrize(("hyp", "ref", "score"), [
    ("", "", 0.0), ("a", "", math.inf), ("", "a b", 100.0), ("a b c d", "a", 300.0),
])
def test_edge_cases(hyp: str, ref: str, score: float) -> None:
    assert wer([hyp], [ref]).score == score


def test_format_says_how_the_score_was_computed() -> None:
    score = ErrorRate("word", lowercase=True).corpus_score(["A b"], ["a c"])
    assert score.format() == "WER|unit:word|case:lc = 50.00 (errors 1, ref_len 2)"
    assert score.as_dict()["signature"] == "unit:word|case:lc"


def test_errors() -> None:
    with pytest.raises(ValueError, match="ErrorRate: unknown unit 'phone', expected one of char"):
        ErrorRate("phone")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"WER\.corpus_score: expected as many hypotheses as "
                                         "references, got 1 and 2"):
        wer(["a"], ["a", "b"])
    with pytest.raises(TypeError, match=r"CER\.corpus_score: expected sequences of sentences"):
        cer("abc", ["abc"])
    with pytest.raises(TypeError, match="WER: expected a str sentence, got int"):
        wer([1], ["a"])  # type: ignore[list-item]
