"""seqkit.data.tokenizers: round trips, sentencepiece training and determinism, plain-data state."""

import io
import random

import pytest
import torch

from seqkit.data import DataError, Vocabulary, tokenizer_from_state, train_tokenizer
from seqkit.data.tokenizers import TOKENIZER_KINDS, SentencePieceTokenizer

SUBWORD = ("bpe", "unigram")
TEXTS = ["the cat sat on the mat", "a dog, two cats.", "tuesday 3 march 1998", "x"]


def corpus(n: int = 200, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["the", "cat", "sat", "on", "mat", "dog", "ran", "away", "and", "then", "slept",
             "under", "a", "tree", "march", "1998", "tuesday", "two", "cats", "dogs", ",", "."]
    return [" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(n)]


@pytest.fixture(scope="module", params=SUBWORD)
def subword(request):
    return train_tokenizer(request.param, corpus(), vocab_size=60)


def is_plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(is_plain, value))
    return isinstance(value, str | int | float | bytes)


def test_char_tokenizer_keeps_every_character():
    tokenizer = train_tokenizer("char", [], vocab_size=1)
    assert tokenizer.tokenize("3 mär ") == ["3", " ", "m", "ä", "r", " "]
    for text in [*TEXTS, "  two  spaces ", "", "tab\there"]:
        assert tokenizer.detokenize(tokenizer.tokenize(text)) == text


def test_word_tokenizer_splits_on_whitespace():
    tokenizer = train_tokenizer("word", ["ignored"])
    assert tokenizer.tokenize(" the  cat\tsat ") == ["the", "cat", "sat"]
    assert tokenizer.detokenize(["the", "cat"]) == "the cat"
    for text in TEXTS:
        assert tokenizer.detokenize(tokenizer.tokenize(text)) == text


def test_subword_round_trip_on_normal_text(subword):
    for text in [*TEXTS, *corpus(20, seed=1), "cats slept under two trees"]:
        assert subword.detokenize(subword.tokenize(text)) == text


def test_subword_pieces_are_subwords(subword):
    pieces = subword.tokenize("the cat sat")
    assert pieces[0].startswith("▁")
    assert "".join(pieces).replace("▁", " ").strip() == "the cat sat"
    assert len(pieces) < len("the cat sat")  # frequent words merged beyond characters


def test_subword_normalises_whitespace(subword):
    assert subword.detokenize(subword.tokenize("  the   cat ")) == "the cat"


def test_tweet_tokenizer_lowercases_and_replaces_links_and_names():
    tokenizer = tokenizer_from_state(train_tokenizer("tweet", ["ignored"]).to_state())
    assert tokenizer.tokenize("@united you guys SUCK!! http://t.co/x #fail") == [
        "@user", "you", "guys", "suck", "!!", "url", "#fail"]
    assert tokenizer.tokenize("I don't trust it_\xe2\x80\x99s \xd5\xa2_\xce_ ok www.x.com") == [
        "i", "don't", "trust", "it", "s", "ok", "url"]  # mojibake and '_' dropped
    assert tokenizer.tokenize("\U0001f600 ...") == ["..."]
    assert tokenizer.detokenize(["not", "bad", "!"]) == "not bad !"


@pytest.mark.parametrize("kind", SUBWORD)
def test_training_is_deterministic(kind):
    first = train_tokenizer(kind, corpus(), vocab_size=60)
    second = train_tokenizer(kind, corpus(), vocab_size=60)
    assert first.to_state() == second.to_state()
    other = train_tokenizer(kind, corpus(seed=3)[:50], vocab_size=40)
    assert other.to_state() != first.to_state()


@pytest.mark.parametrize("kind", SUBWORD)
def test_vocab_size_bounds_the_pieces(kind):
    lines = corpus()
    small = train_tokenizer(kind, lines, vocab_size=40)
    pieces = {p for line in lines for p in small.tokenize(line)}
    assert len(pieces) <= 40
    huge = train_tokenizer(kind, lines, vocab_size=5000)  # more than the corpus has: soft limit
    assert huge.detokenize(huge.tokenize(lines[0])) == lines[0]


def test_with_a_vocabulary_unseen_characters_become_unk(subword):
    vocab = Vocabulary.build(subword.tokenize(line) for line in corpus())
    ids = vocab.encode(subword.tokenize("the zebra"))
    assert Vocabulary.UNK in ids
    assert subword.detokenize(vocab.decode(vocab.encode(subword.tokenize("the cat")))) == "the cat"


@pytest.mark.parametrize("kind", TOKENIZER_KINDS)
def test_state_round_trip_through_a_weights_only_checkpoint(kind):
    tokenizer = train_tokenizer(kind, corpus(), vocab_size=60)
    state = tokenizer.to_state()
    assert is_plain(state) and state["kind"] == kind == tokenizer.kind
    buffer = io.BytesIO()
    torch.save({"tokenizer": state}, buffer)
    buffer.seek(0)
    restored = tokenizer_from_state(torch.load(buffer, weights_only=True)["tokenizer"])
    assert restored.kind == kind
    for text in [*TEXTS, *corpus(10, seed=2)]:
        assert restored.tokenize(text) == tokenizer.tokenize(text)
        assert restored.detokenize(tokenizer.tokenize(text)) == tokenizer.detokenize(
            tokenizer.tokenize(text))


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: train_tokenizer("chars", ["a"]), DataError,
     "train_tokenizer: unknown kind 'chars'; expected one of char, word, tweet, bpe, unigram"),
    (lambda: train_tokenizer("bpe", ["", "  "]), DataError, "at least one non-empty training line"),
    (lambda: train_tokenizer("bpe", ["abcdefghijklmnop"], vocab_size=5), DataError,
     r"could not train a bpe model with vocab_size=5: Vocabulary size is smaller than"),
    (lambda: train_tokenizer("unigram", ["a"], vocab_size="8"), TypeError,
     "vocab_size must be an int, got '8'"),
    (lambda: tokenizer_from_state("char"), TypeError, "expected a dict, got str"),
    (lambda: tokenizer_from_state({"kind": "sp"}), DataError,
     "unknown kind 'sp'; expected one of char, word, tweet, bpe, unigram"),
    (lambda: tokenizer_from_state({}), DataError, "unknown kind None"),
    (lambda: tokenizer_from_state({"kind": "bpe"}), DataError, "needs its 'model' bytes"),
    (lambda: tokenizer_from_state({"kind": "bpe", "model": b"junk"}), DataError,
     "not a sentencepiece model"),
    (lambda: SentencePieceTokenizer("bpe", "junk"), TypeError, "model proto as bytes, got str"),
    (lambda: SentencePieceTokenizer("word", b""), DataError, "expected kind 'bpe' or 'unigram'"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
