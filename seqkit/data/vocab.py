"""The vocabulary: tokens ↔ integer ids, with the notes' special tokens.

The notes index "a fixed amount of words" and give a word outside the dictionary the fake token
<UNK>, and end every sentence with <EOS>. Here the four specials come first, at fixed ids:

    id  token    use
    0   <pad>    fills sequences up to the batch's length (masked out of losses)
    1   <unk>    any token not in the vocabulary (notes: <UNK>)
    2   <s>      start of a target sequence (the decoder's first input)
    3   </s>     end of a sequence (notes: <EOS>)

then the training tokens, most frequent first.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import ClassVar

from seqkit.data.errors import DataError


def _check_tokens(tokens: object, who: str) -> None:
    # A str is a Sequence[str] of characters; accepting it would silently make a character
    # vocabulary out of lines meant to be split into words.
    if isinstance(tokens, str):
        raise TypeError(f"{who}: expected a sequence of tokens, got the str {tokens[:30]!r}; "
                        f"tokenize it first (list(text) for characters)")


class Vocabulary:
    """An ordered list of distinct tokens; a token's id is its position.

    Build one from tokenized training text with :meth:`build`; save it as :meth:`to_state` (a plain
    list of str, loadable with ``torch.load(weights_only=True)``) and restore it with
    :meth:`from_state`.

    A text token that spells a special (the word ``"<s>"``, say) is not that special: it encodes to
    <unk>, so input text can never inject a control id.
    """

    PAD, UNK, BOS, EOS = 0, 1, 2, 3
    PAD_TOKEN, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN = "<pad>", "<unk>", "<s>", "</s>"
    SPECIALS: ClassVar[tuple[str, ...]] = (PAD_TOKEN, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN)

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        """A vocabulary of the four specials followed by ``tokens`` (distinct, no specials)."""
        tokens = list(tokens)
        _check_tokens(tokens, "Vocabulary")
        for token in tokens:
            if not isinstance(token, str):
                raise TypeError(f"Vocabulary: expected str tokens, got {type(token).__name__} "
                                f"{token!r}")
        specials = sorted(set(tokens) & set(self.SPECIALS))
        if specials:
            raise DataError(f"Vocabulary: tokens must not include the specials, got {specials}")
        self._itos = [*self.SPECIALS, *tokens]
        self._stoi = {token: i for i, token in enumerate(self._itos)}
        if len(self._stoi) != len(self._itos):
            repeated = sorted(t for t, n in Counter(tokens).items() if n > 1)[:5]
            raise DataError(f"Vocabulary: expected distinct tokens, got repeats {repeated}")

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], min_freq: int = 1,
              max_size: int | None = None) -> "Vocabulary":
        """The tokens of ``token_lists`` seen at least ``min_freq`` times, most frequent first.

        Ties in frequency keep the order of first appearance, so the same corpus always gives the
        same ids. ``max_size`` caps the number of tokens besides the four specials (None: no cap).
        Tokens spelling a special are left out (they encode to <unk>).
        """
        if isinstance(min_freq, bool) or not isinstance(min_freq, int):
            raise TypeError(f"Vocabulary.build: min_freq must be an int, got {min_freq!r}")
        if min_freq < 1:
            raise DataError(f"Vocabulary.build: min_freq must be ≥ 1, got {min_freq}")
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, int)):
            raise TypeError(f"Vocabulary.build: max_size must be an int or None, got {max_size!r}")
        if max_size is not None and max_size < 0:
            raise DataError(f"Vocabulary.build: max_size must be ≥ 0 or None, got {max_size}")
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            _check_tokens(tokens, "Vocabulary.build")
            counts.update(tokens)
        for special in cls.SPECIALS:
            counts.pop(special, None)
        # Counter keeps first-appearance order and sorted() is stable: ties stay in that order.
        ranked = sorted(counts.items(), key=lambda item: -item[1])
        kept = [token for token, n in ranked if n >= min_freq][:max_size]
        return cls(kept)

    def encode(self, tokens: Sequence[str], bos: bool = False, eos: bool = False) -> list[int]:
        """The ids of ``tokens`` (<unk> for unknown ones), optionally framed by <s> … </s>."""
        _check_tokens(tokens, "Vocabulary.encode")
        ids = [self.index(token) for token in tokens]
        return [self.BOS] * bos + ids + [self.EOS] * eos

    def decode(self, ids: Iterable[int], strip_specials: bool = True) -> list[str]:
        """The tokens of ``ids``.

        With ``strip_specials`` the output stops before the first </s> and leaves out <pad> and
        <s> (an <unk> stays: it stands for a token); without it every id maps to its token.
        """
        tokens = []
        for i in ids:
            i = int(i)  # also accepts the elements of a 1-D tensor
            if strip_specials and i == self.EOS:
                break
            if not (strip_specials and i in (self.PAD, self.BOS)):
                tokens.append(self[i])
        return tokens

    def index(self, token: str) -> int:
        """The id of ``token``; <unk>'s for a token not in the vocabulary or spelling a special."""
        i = self._stoi.get(token, self.UNK)
        return self.UNK if i < len(self.SPECIALS) else i

    def __getitem__(self, i: int) -> str:
        """The token of id ``i``."""
        if not 0 <= i < len(self._itos):
            raise IndexError(f"Vocabulary: id {i} out of range for {len(self._itos)} tokens")
        return self._itos[i]

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._itos == other._itos

    def __repr__(self) -> str:
        preview = ", ".join(map(repr, self._itos[len(self.SPECIALS):][:8]))
        return f"Vocabulary({len(self)} tokens: specials, {preview}{', …' * (len(self) > 12)})"

    def to_state(self) -> list[str]:
        """Every token in id order, specials included: plain data for a checkpoint."""
        return list(self._itos)

    @classmethod
    def from_state(cls, state: list[str]) -> "Vocabulary":
        """The vocabulary saved by :meth:`to_state`."""
        if not isinstance(state, list) or not all(isinstance(t, str) for t in state):
            raise TypeError(f"Vocabulary.from_state: expected a list of str, got "
                            f"{type(state).__name__}")
        head = tuple(state[:len(cls.SPECIALS)])
        if head != cls.SPECIALS:
            raise DataError(f"Vocabulary.from_state: expected the state to start with "
                            f"{list(cls.SPECIALS)}, got {list(head)}")
        return cls(state[len(cls.SPECIALS):])
