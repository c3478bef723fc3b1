"""Tokenizers: text ↔ tokens, before the vocabulary maps tokens to ids.

Five kinds, all with the same small protocol (:class:`Tokenizer`):

    char     every character is a token, spaces included (the notes' character-level model:
             "no problem of <UNK>"); detokenize joins them, so the round trip is exact
    word     split on whitespace; detokenize joins with one space
    tweet    lower-cased words and punctuation of social-media text, links and @names replaced
    bpe      byte-pair encoding, trained with sentencepiece (Sennrich et al., 2016)
    unigram  unigram language-model pieces, trained with sentencepiece (Kudo, 2018)

A tokenizer's :meth:`~Tokenizer.to_state` is plain data (str, int, float, bytes, list, dict) that
:func:`tokenizer_from_state` turns back into the same tokenizer; a sentencepiece tokenizer keeps its
serialized model proto as bytes, so a checkpoint loads with ``torch.load(weights_only=True)``.
"""

import io
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import sentencepiece as spm

from seqkit.data.errors import DataError

TOKENIZER_KINDS = ("char", "word", "tweet", "bpe", "unigram")


class Tokenizer(Protocol):
    """What the data layer needs of a tokenizer."""

    kind: str  # one of TOKENIZER_KINDS

    def tokenize(self, text: str) -> list[str]: ...

    def detokenize(self, tokens: Sequence[str]) -> str: ...

    def to_state(self) -> dict[str, Any]: ...


class CharTokenizer:
    """Every character a token: ``"3 mar"`` → ``['3', ' ', 'm', 'a', 'r']``."""

    kind = "char"

    def tokenize(self, text: str) -> list[str]:
        return list(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return "".join(tokens)

    def to_state(self) -> dict[str, Any]:
        return {"kind": self.kind}


class WordTokenizer:
    """Whitespace-separated words: ``" the  cat "`` → ``['the', 'cat']`` → ``"the cat"``."""

    kind = "word"

    def tokenize(self, text: str) -> list[str]:
        return text.split()

    def detokenize(self, tokens: Sequence[str]) -> str:
        return " ".join(tokens)

    def to_state(self) -> dict[str, Any]:
        return {"kind": self.kind}


class TweetTokenizer:
    """Lower-cased words of social-media text, contractions kept whole ("don't"), hashtags with
    their '#', runs of !?. as one token, other punctuation alone (``_`` dropped); links become
    ``url`` and @names ``@user``; characters outside ASCII (mojibake, emoji) are dropped:
    ``"@united you guys SUCK!! http://t.co/x #fail"`` →
    ``['@user', 'you', 'guys', 'suck', '!!', 'url', '#fail']``. Not invertible: detokenize joins
    with one space."""

    kind = "tweet"
    URL = re.compile(r"https?://\S*|www\.\S+")
    MENTION = re.compile(r"@\w+")
    TOKEN = re.compile(r"@user|#?[a-z0-9]+(?:'[a-z]+)?|[!?.]+|[^\w\s]")

    def tokenize(self, text: str) -> list[str]:
        text = text.encode("ascii", "ignore").decode().lower()
        return self.TOKEN.findall(self.MENTION.sub("@user", self.URL.sub(" url ", text)))

    def detokenize(self, tokens: Sequence[str]) -> str:
        return " ".join(tokens)

    def to_state(self) -> dict[str, Any]:
        return {"kind": self.kind}


class SentencePieceTokenizer:
    """Subword pieces of a trained sentencepiece model (``kind`` "bpe" or "unigram").

    A piece that starts a word carries sentencepiece's "▁" (U+2581) for the space before it:
    ``"the cat"`` → ``['▁the', '▁c', 'at']``. The model normalises text first (by default NFKC,
    and runs of spaces to one, none at either end), so detokenize(tokenize(x)) == x for text that
    is already normal. A piece that is not in the model (a character unseen in training) still
    comes back as itself; the vocabulary maps it to <unk>, which detokenizes to " ⁇ ".
    """

    def __init__(self, kind: str, model_proto: bytes) -> None:
        if kind not in ("bpe", "unigram"):
            raise DataError(f"SentencePieceTokenizer: expected kind 'bpe' or 'unigram', got "
                            f"{kind!r}")
        if not isinstance(model_proto, bytes):
            raise TypeError(f"SentencePieceTokenizer: expected the model proto as bytes, got "
                            f"{type(model_proto).__name__}")
        self.kind, self.model_proto = kind, model_proto
        try:
            self._processor = spm.SentencePieceProcessor(model_proto=model_proto)
        except RuntimeError:
            raise DataError("SentencePieceTokenizer: the model bytes are not a sentencepiece "
                            "model proto") from None

    def tokenize(self, text: str) -> list[str]:
        return self._processor.encode(text, out_type=str)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return self._processor.decode_pieces(list(tokens))

    def to_state(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model_proto}


SIMPLE: dict[str, type[Tokenizer]] = {"char": CharTokenizer, "word": WordTokenizer,
                                      "tweet": TweetTokenizer}  # the kinds that learn nothing


def train_tokenizer(kind: str, lines: Iterable[str], vocab_size: int = 8000, *, seed: int = 0,
                    character_coverage: float = 1.0,
                    normalization: str = "nmt_nfkc") -> Tokenizer:
    """A tokenizer of ``kind`` fitted to ``lines`` (the training split, one sentence each).

    "char", "word" and "tweet" learn nothing and ignore the other arguments. "bpe" and "unigram"
    train a sentencepiece model of at most ``vocab_size`` pieces (fewer if the corpus has fewer:
    the limit is soft), covering ``character_coverage`` of the characters, with sentencepiece's
    ``normalization`` rule ("nmt_nfkc", "nfkc", "identity", ...). Training is deterministic: the
    same lines and settings give the same model bytes.
    """
    if kind in SIMPLE:
        return SIMPLE[kind]()
    if kind not in TOKENIZER_KINDS:
        raise DataError(f"train_tokenizer: unknown kind {kind!r}; expected one of "
                        f"{', '.join(TOKENIZER_KINDS)}")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
        raise TypeError(f"train_tokenizer: vocab_size must be an int, got {vocab_size!r}")
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise DataError(f"train_tokenizer: {kind} needs at least one non-empty training line")
    model = io.BytesIO()
    spm.set_random_generator_seed(seed)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_writer=model, model_type=kind,
            vocab_size=vocab_size, hard_vocab_limit=False, character_coverage=character_coverage,
            normalization_rule_name=normalization, minloglevel=2)
    except RuntimeError as error:  # e.g. vocab_size smaller than the corpus's character set
        # drop sentencepiece's "INTERNAL: src/trainer_interface.cc(638) [check] " prefix
        message = str(error).splitlines()[0].rpartition("] ")[2]
        raise DataError(f"train_tokenizer: sentencepiece could not train a {kind} model with "
                        f"vocab_size={vocab_size}: {message}") from None
    return SentencePieceTokenizer(kind, model.getvalue())


def tokenizer_from_state(state: dict[str, Any]) -> Tokenizer:
    """The tokenizer whose :meth:`~Tokenizer.to_state` gave ``state``."""
    if not isinstance(state, dict):
        raise TypeError(f"tokenizer_from_state: expected a dict, got {type(state).__name__}")
    kind = state.get("kind")
    if kind in SIMPLE:
        return SIMPLE[kind]()
    if kind in ("bpe", "unigram"):
        if "model" not in state:
            raise DataError(f"tokenizer_from_state: a {kind} state needs its 'model' bytes")
        return SentencePieceTokenizer(kind, state["model"])
    raise DataError(f"tokenizer_from_state: unknown kind {kind!r}; expected one of "
                    f"{', '.join(TOKENIZER_KINDS)}")
