"""BLEU against sacrebleu as the oracle (computed here, never stored), plus the notes' modified
precision, pooling of sufficient statistics, and errors."""

import copy
import json
import random

import pytest
import sacrebleu

from seqkit.errors import SeqkitError
from seqkit.metrics.bleu import BLEU, TOKENIZERS, BLEUStats, ngram_stats

PAPINENI_REFS = [  # Papineni et al. (2002), Example 1
    ["It is a guide to action that ensures that the military will forever heed Party commands."],
    ["It is the guiding principle which guarantees the military forces always being under the "
     "command of the Party."],
    ["It is the practical guide for the army always to heed the directions of the party."],
]
PAPINENI_1 = ("It is a guide to action which ensures that the military always obeys the commands "
              "of the party.")
PAPINENI_2 = "It is to insure the troops forever hearing the activity guidebook that party direct."
CAT = "the cat is on the mat"
CAT_2 = "there is a cat on the mat"
GAPPY = "the cat on mat"  # bigram "the cat" matches CAT, no trigram does: p_3 = p_4 = 0


def random_corpus(seed: int, n: int = 40) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    words = ["the", "a", "cat", "dog", "sat", "on", "mat", "rug", "and"]

    def sentence() -> str:
        return " ".join(rng.choices(words, k=rng.randint(0, 12)))

    return [sentence() for _ in range(n)], [[sentence() for _ in range(n)] for _ in range(2)]


def case(id: str, hypotheses: list[str], *streams: list[str], **settings: object):
    return pytest.param(hypotheses, list(streams), settings, id=id)


CASES = [
    case("identical", [CAT], [CAT]),
    case("papineni-1-three-refs", [PAPINENI_1], *PAPINENI_REFS),
    case("papineni-2-three-refs", [PAPINENI_2], *PAPINENI_REFS),
    case("papineni-corpus", [PAPINENI_1, PAPINENI_2],
         *[stream * 2 for stream in PAPINENI_REFS]),
    case("papineni-repeated-the", ["the the the the the the the"], [CAT], [CAT_2]),
    case("hyp-shorter", ["the cat"], [CAT]),
    case("hyp-longer", ["the cat is on the mat and the dog is on the rug"], [CAT]),
    case("empty-hyp", [""], [CAT]),
    case("empty-ref", [CAT], [""]),
    case("empty-hyp-and-ref", [""], [""]),
    case("corpus-with-empty-hyp", [CAT, "", "a dog"], [CAT, "the dog", "a dog barks"]),
    case("closest-ref-tie-goes-shorter", ["a b c d e"], ["a b c d"], ["a b c d e f"]),
    case("closest-ref-per-sentence", ["a b c", "a b c d e f g"], ["a b c d e f g h", "a b"],
         ["a b", "a b c d e f g"]),
    case("zero-trigrams-none", [GAPPY], [CAT], smooth_method="none"),
    case("zero-trigrams-floor", [GAPPY], [CAT], smooth_method="floor"),
    case("zero-trigrams-floor-0.5", [GAPPY], [CAT], smooth_method="floor", smooth_value=0.5),
    case("zero-trigrams-add-k", [GAPPY], [CAT], smooth_method="add-k"),
    case("zero-trigrams-add-k-3", [GAPPY], [CAT], smooth_method="add-k", smooth_value=3),
    case("zero-trigrams-exp", [GAPPY], [CAT], smooth_method="exp"),
    case("zero-trigrams-effective", [GAPPY], [CAT], effective_order=True),
    case("no-match-exp", ["dogs bark loudly"], [CAT]),
    case("no-match-floor", ["dogs bark loudly"], [CAT], smooth_method="floor"),
    case("one-word-exp", ["cat"], [CAT]),
    case("one-word-effective", ["cat"], [CAT], effective_order=True),
    case("one-word-add-k", ["cat"], [CAT], smooth_method="add-k"),
    case("two-words-floor-effective", ["the cat"], [CAT], smooth_method="floor",
         effective_order=True),
    case("unicode-13a", ["Über den Wolken muss die Freiheit wohl grenzenlos sein."],
         ["Über den Wolken muß die Freiheit wohl grenzenlos sein!"]),
    case("unicode-intl", ["«Bonjour», dit-il — ¿qué tal? 1,000.5 €"],
         ["« Bonjour », dit-il, ¿qué tal ? 1,000.5€"], tokenize="intl"),
    case("cjk-char", ["我爱北京天安门", "今天天气很好"], ["我爱北京", "今天天气不错"],
         tokenize="char"),
    case("latin-char", ["the cat sat"], ["the hat sat"], tokenize="char"),
    case("tokenize-none", ["Hello, world! It's me."], ["Hello , world ! It 's me ."],
         tokenize="none"),
    case("13a-entities", ["a &quot;quoted&quot; word &amp; more &lt;3"],
         ['a "quoted" word & more <3']),
    case("lowercase", ["The CAT is On the Mat"], [CAT], lowercase=True),
    case("case-sensitive", ["The CAT is On the Mat"], [CAT]),
    case("lowercase-unicode", ["ÜBER DIE BRÜCKE GEHT ÉLODIE"], ["über die brücke geht élodie"],
         lowercase=True, tokenize="intl"),
    case("whitespace", ["  the   cat\tsat on  the mat  "], ["the cat sat on the mat "]),
    case("random-corpus-two-refs", *random_corpus(0)[:1], *random_corpus(0)[1]),
    case("random-corpus-lc-floor", *random_corpus(1)[:1], *random_corpus(1)[1],
         smooth_method="floor", lowercase=True),
    case("max-order-2", [GAPPY, "a b c"], [CAT, "a b d"], max_order=2),
]


def sacrebleu_metric(settings: dict, sentence: bool = False) -> sacrebleu.BLEU:
    """sacrebleu's BLEU with our settings; effective_order None is ours: yes for sentences."""
    settings = dict(settings)
    effective = settings.pop("effective_order", None)
    max_order = settings.pop("max_order", 4)
    return sacrebleu.BLEU(**settings, max_ngram_order=max_order,
                          effective_order=sentence if effective is None else effective)


def assert_same(ours, theirs, metric: sacrebleu.BLEU, settings: dict) -> None:
    assert ours.score == pytest.approx(theirs.score, abs=1e-9, rel=0)
    assert ours.precisions == pytest.approx(theirs.precisions, abs=1e-9, rel=0)
    assert ours.bp == pytest.approx(theirs.bp, abs=1e-9, rel=0)
    assert ours.ratio == pytest.approx(theirs.ratio, abs=1e-9, rel=0)
    assert (ours.sys_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len)
    if settings.get("smooth_method") != "add-k":  # sacrebleu adds k to its reported counts
        assert (list(ours.counts), list(ours.totals)) == (theirs.counts, theirs.totals)
    if settings.get("max_order", 4) == 4:  # sacrebleu's signature omits the order
        signature = metric.get_signature().format()
        assert ours.format() == theirs.format(width=1, signature=signature)


@pytest.mark.parametrize(("hypotheses", "references", "settings"), CASES)
def test_corpus_score_equals_sacrebleu(hypotheses, references, settings) -> None:
    metric = sacrebleu_metric(settings)
    theirs = metric.corpus_score(hypotheses, references)
    assert_same(BLEU(**settings).corpus_score(hypotheses, references), theirs, metric, settings)


@pytest.mark.parametrize(("hypotheses", "references", "settings"), CASES)
def test_sentence_score_equals_sacrebleu(hypotheses, references, settings) -> None:
    bleu = BLEU(**settings)
    for hypothesis, *refs in zip(hypotheses, *references, strict=True):
        metric = sacrebleu_metric(settings, sentence=True)
        theirs = metric.sentence_score(hypothesis, refs)
        assert_same(bleu.sentence_score(hypothesis, refs), theirs, metric, settings)


def test_sentence_score_defaults_to_effective_order_as_sacrebleu_sentence_bleu() -> None:
    ours = BLEU().sentence_score("the cat", [CAT])
    assert ours.score == pytest.approx(sacrebleu.sentence_bleu("the cat", [CAT]).score, abs=1e-9)
    assert "|eff:yes|" in ours.signature
    assert "|eff:no|" in BLEU().corpus_score(["the cat"], [[CAT]]).signature
    assert BLEU(effective_order=False).sentence_score("the cat", [CAT]).score == pytest.approx(
        sacrebleu.BLEU().sentence_score("the cat", [CAT]).score, abs=1e-9)


@pytest.mark.parametrize(("hypothesis", "n", "expected"), [
    ("the the the the the the the", 1, (2, 7)),  # Papineni et al. §2.1: p_1 = 2/7
    ("the cat the cat on the mat", 1, (5, 7)),  # the lecture's example: Count_clip(the) = 2, ...
    ("the cat the cat on the mat", 2, (4, 6)),  # ... and its bigrams: "the cat" clipped 2 -> 1
])
def test_modified_precision_of_the_worked_examples(hypothesis, n, expected) -> None:
    stats = ngram_stats(hypothesis.split(), [CAT.split(), CAT_2.split()])
    assert (stats.counts[n - 1], stats.totals[n - 1]) == expected


def test_output_equal_to_reference_has_every_precision_one() -> None:
    """The notes: P_1 = P_2 = ... = P_n = 1.0 when the machine output is a reference."""
    score = BLEU().corpus_score([CAT, PAPINENI_1], [[CAT, PAPINENI_1]])
    assert score.precisions == (100.0,) * 4 and score.bp == 1.0
    assert score.score == pytest.approx(100.0, abs=1e-9)  # exp(log 100) is 100 + 4e-14


def test_corpus_pools_statistics_instead_of_averaging_sentence_scores() -> None:
    hypotheses, references = random_corpus(2, n=10)
    bleu = BLEU()
    stats = [bleu.sentence_stats(h, refs) for h, *refs in zip(hypotheses, *references, strict=True)]
    pooled = sum(stats[1:], stats[0])
    assert pooled == BLEUStats(sum(s.sys_len for s in stats), sum(s.ref_len for s in stats),
                               tuple(map(sum, zip(*(s.counts for s in stats), strict=True))),
                               tuple(map(sum, zip(*(s.totals for s in stats), strict=True))))
    corpus = bleu.corpus_score(hypotheses, references)
    assert bleu.score_stats(pooled, nrefs=2) == corpus
    mean = sum(bleu.sentence_score(h, refs).score
               for h, *refs in zip(hypotheses, *references, strict=True)) / len(hypotheses)
    assert corpus.score != pytest.approx(mean)


def test_inputs_are_not_mutated_and_tuples_work() -> None:
    hypotheses, references = random_corpus(3, n=5)
    before = copy.deepcopy((hypotheses, references))
    as_lists = BLEU(smooth_method="add-k").corpus_score(hypotheses, references)
    assert (hypotheses, references) == before
    as_tuples = BLEU(smooth_method="add-k").corpus_score(
        tuple(hypotheses), tuple(tuple(stream) for stream in references))
    assert as_tuples == as_lists


def test_empty_corpus_scores_zero() -> None:
    score = BLEU().corpus_score([], [[]])
    assert (score.score, score.bp, score.sys_len, score.ref_len) == (0.0, 1.0, 0, 0)


def test_as_dict_is_json_and_format_matches_width() -> None:
    score = BLEU(smooth_method="floor").corpus_score([PAPINENI_1], PAPINENI_REFS)
    data = json.loads(json.dumps(score.as_dict()))
    assert data["name"] == "BLEU" and data["score"] == score.score
    assert data["precisions"] == list(score.precisions) and len(data["precisions"]) == 4
    assert data["signature"].startswith("nrefs:3|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|")
    assert score.format(width=2).split(" = ")[1].startswith(f"{score.score:.2f} ")


def test_signature_names_a_non_default_order() -> None:
    assert "|order:2|" in BLEU(max_order=2).corpus_score(["a b"], [["a b"]]).signature


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: BLEU().corpus_score(["a", "b"], [["a"]]), ValueError,
     r"expected 2 references in stream 1 \(one per hypothesis\), got 1"),
    (lambda: BLEU().corpus_score(["a"], [["a"], ["a", "b"]]), ValueError,
     "expected 1 references in stream 2 .*got 2"),
    (lambda: BLEU().corpus_score(["a"], ["a"]), TypeError, r"wrap a single stream in a list"),
    (lambda: BLEU().corpus_score("a", [["a"]]), TypeError, "sequence of hypotheses"),
    (lambda: BLEU().corpus_score(["a"], []), ValueError, "at least one reference stream, got none"),
    (lambda: BLEU().sentence_score("a", "a"), TypeError, "got str and str"),
    (lambda: BLEU().sentence_score("a", []), ValueError, "at least one reference, got none"),
    (lambda: BLEU(tokenize="moses"), ValueError,
     f"unknown tokenize 'moses', expected one of {', '.join(TOKENIZERS)}"),
    (lambda: BLEU(smooth_method="add-1"), ValueError, "expected one of none, floor, add-k, exp"),
    (lambda: BLEU(smooth_value=0.2), ValueError, "floor and add-k only, got 0.2 with .*'exp'"),
    (lambda: BLEU(max_order=0), ValueError, "expected max_order >= 1, got 0"),
    (lambda: ngram_stats(["a"], []), ValueError, "at least one reference, got none"),
    (lambda: BLEU(max_order=2).sentence_stats("a", ["a"]) + BLEU().sentence_stats("a", ["a"]),
     ValueError, "expected statistics of max order 2, got 4"),
    (lambda: BLEU().score_stats(BLEU(max_order=2).sentence_stats("a", ["a"])), ValueError,
     "BLEU: expected statistics of max order 4, got 2"),
])
def test_errors_say_what_was_expected_and_what_came(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(("hypothesis", "references", "times"), [
    ("-", ["-"], 2), ("hyp.txt", ["-", "-"], 2), ("-", ["ref.txt", "-", "-"], 3),
])
def test_score_files_refuses_stdin_named_twice_before_reading_it(
        monkeypatch, hypothesis, references, times) -> None:
    def read_nothing(path: str) -> list[str]:
        raise AssertionError(f"read {path} before refusing")

    monkeypatch.setattr("seqkit.metrics.bleu.read_lines", read_nothing)
    with pytest.raises(SeqkitError, match=rf"^stdin \('-'\) is named {times} times among the "
                                          r"hypothesis and the references; it can be read only "
                                          r"once$"):
        BLEU().score_files(hypothesis, references)
