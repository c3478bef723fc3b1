"""The seq2seq task's data: the ``data:`` section, tokenizers and vocabularies fitted on the
training split, tokenised pairs, held-out splits and their references.

Preparation is cached in ``{data.dir}/.cache/`` (two kinds of files, each named by a SHA-256 key):

* ``tokenizers-<key>.pt``: the fitted tokenizers and vocabularies, keyed by the training files'
  contents and every setting that shapes them (tokenizer, vocab_size, min_freq, joint_vocab,
  the side suffixes);
* ``encoded-<key>.pt``: a split's token ids, keyed by its files' contents and the tokenizers' and
  vocabularies' own state, so a resumed run (which restores them from its checkpoint) finds them.

A changed file or setting gives another key, so a stale cache is never read. Files are written
atomically and read with ``torch.load(weights_only=True)``; an unwritable folder only costs the
cache (one status line). Fitting sentencepiece and tokenising print progress lines on stderr.
"""

import hashlib
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import torch
from torch import Tensor

from seqkit.config import require
from seqkit.data import (
    DataError,
    Vocabulary,
    pad,
    read_parallel,
    tokenizer_from_state,
    train_tokenizer,
)
from seqkit.data.parallel import read_lines
from seqkit.errors import ConfigError
from seqkit.files import OutputError, atomic_path
from seqkit.status import status

CACHE = ".cache"  # folder inside data.dir
CACHE_FORMAT = 1  # part of every key: a new layout never reads an old file
PROGRESS_SECONDS = 2.0  # at most one tokenising progress line this often (none when it is quick)


@dataclass
class TextDataConfig:
    """The recipe's ``data:`` section for parallel text."""

    dir: str = "data"  # folder with {train,valid,test}.{src,tgt}, one sentence a line
    src: str = "src"  # file suffix of the source side
    tgt: str = "tgt"  # file suffix of the target side (the reference of BLEU)
    extra_refs: list[str] = field(default_factory=list)  # suffixes of more references (kjv)
    prepare: str | None = None  # generator that writes the splits when missing (e.g. dates)
    tokenizer: Literal["char", "word", "bpe", "unigram"] = "char"  # bpe, unigram: sentencepiece
    vocab_size: int = 8000  # sentencepiece vocabulary size (bpe, unigram), per side or joint
    joint_vocab: bool = False  # one tokenizer and vocabulary fitted on both sides together
    min_freq: int = 1  # training tokens seen fewer times map to <unk>
    max_tokens: int = 4096  # batch budget: sentences × longest padded length
    max_length: int = 200  # training pairs with a longer side (in tokens) are left out
    workers: int = 0  # DataLoader processes that pad batches (0: in the training process)

    def __post_init__(self) -> None:
        for key in ("vocab_size", "min_freq", "max_tokens", "max_length"):
            require(getattr(self, key) >= 1, f"data.{key}", "≥ 1", getattr(self, key))
        require(self.workers >= 0, "data.workers", "≥ 0", self.workers)
        for suffix in self.extra_refs:
            if suffix in (self.src, self.tgt) or not suffix or "/" in suffix:
                raise ConfigError(f"data.extra_refs: expected file suffixes other than "
                                f"data.src and data.tgt, got {suffix!r}")

    def path(self, split: str, side: str) -> Path:
        """``{dir}/{split}.{suffix}`` of ``side`` "src" or "tgt"."""
        return Path(self.dir) / f"{split}.{getattr(self, side)}"

    def reference_paths(self, split: str) -> list[Path]:
        """The references of a split: data.tgt's file, then those of data.extra_refs."""
        return [self.path(split, "tgt"), *(Path(self.dir) / f"{split}.{suffix}"
                                           for suffix in self.extra_refs)]


class Example(NamedTuple):
    src: list[int]  # source token ids, no specials
    tgt: list[int]  # <s> y<1> … y<T> </s>


class Batch(NamedTuple):
    """Padded pairs, as the model reads them (the trainer moves them to the model's device)."""

    src: Tensor  # (B, S) source ids, <pad> after each length
    src_lengths: Tensor  # (B,)
    tgt: Tensor  # (B, T + 2) <s> y<1> … y<T> </s>, then <pad>


def collate(examples: Sequence[Example]) -> Batch:
    src, src_lengths = pad([e.src for e in examples], Vocabulary.PAD)
    return Batch(src, src_lengths, pad([e.tgt for e in examples], Vocabulary.PAD).values)


def fit_tokenizers(data: TextDataConfig, pairs: Sequence[tuple[str, str]]
                   ) -> tuple[dict[str, Any], dict[str, Vocabulary]]:
    """Tokenizers and vocabularies of both sides fitted on the training ``pairs`` (one shared
    pair with ``data.joint_vocab``), from the cache when the same files and settings made them."""
    settings = [data.tokenizer, data.vocab_size, data.min_freq, data.joint_vocab, data.src,
                data.tgt]
    key = [*settings, *(_digest(data.path("train", side)) for side in ("src", "tgt"))]

    def fit() -> dict[str, Any]:
        src, tgt = (list(lines) for lines in zip(*pairs, strict=True))
        sides = {"joint": src + tgt} if data.joint_vocab else {"src": src, "tgt": tgt}
        fitted = {}
        for side, lines in sides.items():
            started = time.monotonic()
            if data.tokenizer in ("bpe", "unigram"):
                status(f"seq2seq: training the {side} {data.tokenizer} model "
                       f"({data.vocab_size:,} pieces) on {len(lines):,} lines")
            tokenizer = train_tokenizer(data.tokenizer, lines, data.vocab_size)
            vocab = Vocabulary.build(_tokenize(tokenizer, lines, f"{side} vocabulary"),
                                     min_freq=data.min_freq)
            status(f"seq2seq: {side} vocabulary of {len(vocab):,} tokens "
                   f"({time.monotonic() - started:.0f} s)")
            fitted[side] = {"tokenizer": tokenizer.to_state(), "vocab": vocab.to_state()}
        return {side: fitted.get("joint", fitted.get(side)) for side in ("src", "tgt")}

    state = cached(Path(data.dir), "tokenizers", key, fit)
    return ({side: tokenizer_from_state(state[side]["tokenizer"]) for side in ("src", "tgt")},
            {side: Vocabulary.from_state(state[side]["vocab"]) for side in ("src", "tgt")})


def encode_pairs(data: TextDataConfig, split: str, pairs: Sequence[tuple[str, str]],
                 tokenizers: dict[str, Any], vocabs: dict[str, Vocabulary]) -> list[Example]:
    """Token ids of ``pairs`` (the ``split``'s, as read from its files), from the cache when the
    same files, tokenizers and vocabularies made them."""
    key = [split, data.src, data.tgt, *(_digest(data.path(split, s)) for s in ("src", "tgt")),
           *(t.to_state() for t in tokenizers.values()), *(v.to_state() for v in vocabs.values())]

    def encode() -> list[list[list[int]]]:
        src = _tokenize(tokenizers["src"], [x for x, _ in pairs], f"{split} sources")
        tgt = _tokenize(tokenizers["tgt"], [y for _, y in pairs], f"{split} targets")
        return [[vocabs["src"].encode(x), vocabs["tgt"].encode(y, bos=True, eos=True)]
                for x, y in zip(src, tgt, strict=True)]

    return [Example(x, y) for x, y in cached(Path(data.dir), "encoded", key, encode)]


def _tokenize(tokenizer: Any, lines: Sequence[str], what: str) -> list[list[str]]:
    """``tokenizer.tokenize`` of every line, with a progress line every PROGRESS_SECONDS."""
    tokens, shown = [], time.monotonic()
    for done, line in enumerate(lines, start=1):
        tokens.append(tokenizer.tokenize(line))
        if time.monotonic() - shown >= PROGRESS_SECONDS:
            status(f"seq2seq: tokenising {what}: {done:,}/{len(lines):,}")
            shown = time.monotonic()
    return tokens


def cached(folder: Path, kind: str, key: list[Any], compute: Callable[[], Any]) -> Any:
    """``compute()``, kept in ``folder/.cache/{kind}-{sha256(key)}.pt`` for the next call with the
    same key (plain data only)."""
    digest = hashlib.sha256(repr([CACHE_FORMAT, *key]).encode()).hexdigest()[:24]
    file = folder / CACHE / f"{kind}-{digest}.pt"
    if file.is_file():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = torch.load(file, weights_only=True)
            status(f"seq2seq: {kind} from the cache {file}")
            return value
        except Exception:  # a damaged cache file is recomputed and replaced
            status(f"seq2seq: {file} is unreadable; computing it again")
    value = compute()
    try:
        file.parent.mkdir(exist_ok=True)
        with atomic_path(file) as tmp:
            torch.save(value, tmp)
    except (OSError, OutputError) as error:
        status(f"seq2seq: not cached ({error})")
    return value


def _digest(path: Path) -> str:
    """SHA-256 of a file's bytes (a missing file is left to the reader to report)."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def held_out_pairs(data: TextDataConfig, split: str) -> tuple[list[tuple[str, str]], list[int]]:
    """(source, reference) pairs of a held-out split, and their 0-based line numbers: blank lines
    (empty on both sides, e.g. one trailing blank line in both files) are left out. An empty
    source with a reference has no translation to score: one error naming the file and line."""
    pairs = read_parallel(data.path(split, "src"), data.path(split, "tgt"))
    kept, numbers = [], []
    for number, (source, reference) in enumerate(pairs):
        if source.strip():
            kept.append((source, reference))
            numbers.append(number)
        elif reference.strip():
            raise DataError(f"{data.path(split, 'src')}, line {number + 1}: empty source "
                            f"sentence in the {split} split (its reference is "
                            f"{reference[:40]!r})")
    if not kept:
        raise DataError(f"{data.path(split, 'src')}: the {split} split is empty")
    return kept, numbers


def extra_references(data: TextDataConfig, split: str, numbers: Sequence[int]) -> list[list[str]]:
    """The lines ``numbers`` of each data.extra_refs file of ``split``; each file must have as
    many lines as the split's source."""
    sources = len(read_lines(data.path(split, "src")))
    references = []
    for path in data.reference_paths(split)[1:]:
        lines = read_lines(path)
        if len(lines) != sources:
            raise DataError(f"{path} has {len(lines)} lines but {data.path(split, 'src')} has "
                            f"{sources} (data.extra_refs)")
        references.append([lines[n] for n in numbers])
    return references


def check_held_out(data: TextDataConfig, split: str) -> None:
    """Read a held-out split before training, so that a broken one stops the run at once."""
    _, numbers = held_out_pairs(data, split)
    blank = len(read_lines(data.path(split, "src"))) - len(numbers)
    if blank:
        status(f"seq2seq: left out {blank:,} blank line{'s' * (blank > 1)} of "
               f"{data.path(split, 'src')}")
