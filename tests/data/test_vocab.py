"""seqkit.data.vocab: specials, frequency order and ties, <unk>, framing, decoding, state."""

import io

import pytest
import torch

from seqkit.data import DataError, Vocabulary

CORPUS = [["the", "cat", "sat"], ["the", "dog", "sat"], ["a", "cat"]]


def test_specials_have_fixed_ids():
    vocab = Vocabulary()
    assert len(vocab) == 4
    assert [vocab[i] for i in range(4)] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert (Vocabulary.PAD, Vocabulary.UNK, Vocabulary.BOS, Vocabulary.EOS) == (0, 1, 2, 3)
    assert Vocabulary.SPECIALS == (Vocabulary.PAD_TOKEN, Vocabulary.UNK_TOKEN,
                                   Vocabulary.BOS_TOKEN, Vocabulary.EOS_TOKEN)


def test_build_orders_by_frequency_then_first_appearance():
    vocab = Vocabulary.build(CORPUS)
    # the, cat, sat twice (in order of first appearance), then dog, a once
    assert vocab.to_state()[4:] == ["the", "cat", "sat", "dog", "a"]
    assert vocab.index("the") == 4


def test_build_is_independent_of_how_tokens_are_grouped():
    flat = [[token] for tokens in CORPUS for token in tokens]
    assert Vocabulary.build(iter(flat)) == Vocabulary.build(CORPUS)


@pytest.mark.parametrize(("min_freq", "max_size", "expected"), [
    (1, None, ["the", "cat", "sat", "dog", "a"]),
    (2, None, ["the", "cat", "sat"]),
    (3, None, []),
    (1, 2, ["the", "cat"]),
    (1, 0, []),
    (2, 10, ["the", "cat", "sat"]),
])
def test_min_freq_and_max_size(min_freq, max_size, expected):
    vocab = Vocabulary.build(CORPUS, min_freq=min_freq, max_size=max_size)
    assert vocab.to_state() == [*Vocabulary.SPECIALS, *expected]


def test_encode_maps_unknown_tokens_to_unk_and_frames():
    vocab = Vocabulary.build(CORPUS)
    assert vocab.encode(["the", "cow", "sat"]) == [4, Vocabulary.UNK, 6]
    assert vocab.encode(["cat"], bos=True, eos=True) == [Vocabulary.BOS, 5, Vocabulary.EOS]
    assert vocab.encode([], eos=True) == [Vocabulary.EOS]


def test_text_spelling_a_special_is_not_that_special():
    vocab = Vocabulary.build([["<s>", "</s>", "<pad>", "x"]])
    assert vocab.to_state()[4:] == ["x"]
    assert vocab.encode(["<pad>", "<s>", "</s>", "<unk>"]) == [Vocabulary.UNK] * 4
    assert "<s>" in vocab and "y" not in vocab


def test_decode_strips_specials_and_stops_at_eos():
    vocab = Vocabulary.build(CORPUS)
    ids = [Vocabulary.BOS, 4, Vocabulary.UNK, 5, Vocabulary.EOS, 6, Vocabulary.PAD]
    assert vocab.decode(ids) == ["the", "<unk>", "cat"]
    assert vocab.decode(ids, strip_specials=False) == [
        "<s>", "the", "<unk>", "cat", "</s>", "sat", "<pad>"]
    assert vocab.decode([4, Vocabulary.PAD, 5]) == ["the", "cat"]
    assert vocab.decode(torch.tensor([4, 5, Vocabulary.EOS])) == ["the", "cat"]


def test_decode_inverts_encode():
    vocab = Vocabulary.build(CORPUS)
    for tokens in CORPUS:
        assert vocab.decode(vocab.encode(tokens, bos=True, eos=True)) == tokens


def test_state_round_trip_through_a_weights_only_checkpoint():
    vocab = Vocabulary.build(CORPUS)
    buffer = io.BytesIO()
    torch.save({"vocab": vocab.to_state()}, buffer)
    buffer.seek(0)
    restored = Vocabulary.from_state(torch.load(buffer, weights_only=True)["vocab"])
    assert restored == vocab
    assert restored.encode(["dog", "cow"]) == vocab.encode(["dog", "cow"])
    assert restored != Vocabulary.build(CORPUS[:1])


def test_state_is_a_copy():
    vocab = Vocabulary.build(CORPUS)
    vocab.to_state().append("extra")
    assert len(vocab) == 9


def test_repr_names_tokens():
    assert "'the'" in repr(Vocabulary.build(CORPUS))


VOCAB = Vocabulary.build(CORPUS)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: Vocabulary.build(["the cat"]), TypeError, "expected a sequence of tokens, got the"),
    (lambda: Vocabulary.build(CORPUS, min_freq=0), DataError, "min_freq must be ≥ 1, got 0"),
    (lambda: Vocabulary.build(CORPUS, min_freq=1.5), TypeError, "min_freq must be an int"),
    (lambda: Vocabulary.build(CORPUS, max_size=-1), DataError, "max_size must be ≥ 0 or None"),
    (lambda: Vocabulary.build(CORPUS, max_size="3"), TypeError, "max_size must be an int or None"),
    (lambda: VOCAB.encode("the"), TypeError, "Vocabulary.encode: expected a sequence of tokens"),
    (lambda: VOCAB[9], IndexError, "id 9 out of range for 9 tokens"),
    (lambda: VOCAB.decode([1, 42]), IndexError, "id 42 out of range"),
    (lambda: Vocabulary(["a", "b", "a"]), DataError, r"distinct tokens, got repeats \['a'\]"),
    (lambda: Vocabulary(["a", "<s>"]), DataError, r"must not include the specials, got \['<s>'\]"),
    (lambda: Vocabulary(["a", 3]), TypeError, "expected str tokens, got int 3"),
    (lambda: Vocabulary.from_state("abc"), TypeError, "expected a list of str, got str"),
    (lambda: Vocabulary.from_state(["<pad>", "<unk>", "x"]), DataError,
     r"expected the state to start with \['<pad>', '<unk>', '<s>', '</s>'\]"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
