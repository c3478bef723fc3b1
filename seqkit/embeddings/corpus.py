"""Training windows for word2vec, streamed from a tokenised corpus on disk.

The corpus is a text file, one sentence a line, tokens separated by whitespace. It is never held in
memory: :class:`WindowStream` reads about ``batch_words`` tokens at a time from a file offset, and
its :meth:`~WindowStream.state_dict` (offset, epoch, RNG state) lets a restarted run resume at the
exact batch where it stopped.

Each chunk of sentences becomes one :class:`Windows` batch, as word2vec prepares it:

1. words outside the vocabulary are dropped;
2. frequent words are subsampled: an occurrence of w is kept with probability P_keep(w)
   (:meth:`WordVocab.keep_probs`);
3. each remaining word, the center c, gets a reduced window b ~ U{1, …, W} (word2vec's "dynamic
   window", which weights near words more); its context is the words at distance ≤ b in the same
   sentence (after subsampling, so a dropped word widens the window as in word2vec).
"""

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from seqkit.data.errors import DataError
from seqkit.embeddings.vocab import WordVocab

LINE_END = "\x00"  # a line's end among the tokens of a chunk (the token NUL alone is one too)


class Windows(NamedTuple):
    """A batch of B center words with their context windows (W the largest window).

    From :class:`WindowStream` the rows are consecutive text: row i + d is the word at offset d
    of row i (what :func:`~seqkit.embeddings.fast.banded_sgd_step` relies on), and a word alone
    in its sentence has an empty window.
    """

    center: torch.Tensor  # (B,) ids of the center words c
    context: torch.Tensor  # (B, 2W) ids at offsets −W … −1, +1 … +W (any id where mask is False)
    mask: torch.Tensor  # (B, 2W) bool: the offset lies within the reduced window and the sentence
    words: int  # in-vocabulary words read for this batch, before subsampling (for lr decay)


def context_windows(ids: torch.Tensor, sentence: torch.Tensor, window: int,
                    reduced: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The context ids (N, 2W) and mask (N, 2W) of every position of the flat text ``ids`` (N,).

    ``sentence`` (N,) numbers each position's sentence; ``reduced`` (N,) is each center's window
    b ∈ [1, W]. Example, W = 2: for ids = [7, 8, 9] in one sentence and b = [2, 1, 2], position 0
    has context [-, -, 8, 9] (offsets −2, −1, +1, +2), position 1 has [-, 7, 9, -].
    """
    offsets = torch.cat([torch.arange(-window, 0), torch.arange(1, window + 1)]).to(ids.device)
    # padding is in sentence −1, no sentence: a window never crosses the text's ends
    mask = _around(sentence, window, -1) == sentence[:, None]
    mask &= offsets.abs() <= reduced[:, None]
    return _around(ids, window, 0), mask


def _around(x: torch.Tensor, W: int, fill: int) -> torch.Tensor:
    """(N, 2W): x[i + d] at offsets d = −W … −1, +1 … +W of each position i of x (N,), ``fill``
    beyond its ends."""
    span = F.pad(x, (W, W), value=fill).unfold(0, 2 * W + 1, 1)  # (N, 2W + 1) x[i − W … i + W]
    return torch.cat([span[:, :W], span[:, W + 1:]], 1)


class WindowStream:
    """The :class:`Windows` batches of ``epochs`` passes over the corpus file at ``path``.

    Iterating yields the batches from the current position on; after each one,
    :meth:`state_dict` is the position after it. Each batch holds the sentences of about
    ``batch_words`` tokens (whole lines; an empty or all-unknown line gives no windows).
    """

    def __init__(self, path: str | Path, vocab: WordVocab, window: int = 5, sample: float = 1e-3,
                 batch_words: int = 10_000, epochs: int = 1, seed: int = 0) -> None:
        for name, value in (("window", window), ("batch_words", batch_words), ("epochs", epochs)):
            if value < 1:
                raise DataError(f"WindowStream: {name} must be ≥ 1, got {value}")
        self.path, self.vocab, self.window = Path(path), vocab, window
        self.batch_words, self.epochs = batch_words, epochs
        if not self.path.is_file():
            raise DataError(f"{self.path}: no such corpus file")
        self.keep = vocab.keep_probs(sample)  # (V,) P_keep(w)
        self.ids = {**vocab.index, LINE_END: -2}  # token → id, the line end −2
        self.generator = torch.Generator().manual_seed(seed)
        self.offset, self.epoch = 0, 0

    def state_dict(self) -> dict:
        """The position: ``{"offset": int, "epoch": int, "rng": ByteTensor}``."""
        return {"offset": self.offset, "epoch": self.epoch, "rng": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        """Continue from the position ``state`` saved by :meth:`state_dict`."""
        self.offset, self.epoch = int(state["offset"]), int(state["epoch"])
        self.generator.set_state(state["rng"])

    def __iter__(self) -> Iterator[Windows]:
        with self.path.open("rb") as file:
            while self.epoch < self.epochs:
                file.seek(self.offset)
                text = self._read_chunk(file)
                if not text:
                    self.offset, self.epoch = 0, self.epoch + 1
                    continue
                self.offset = file.tell()
                batch = self._windows(text)
                if batch.center.numel():
                    yield batch

    def _read_chunk(self, file) -> str:
        """Whole lines from the file's position on, ``batch_words`` tokens or more (fewer at the
        end of the file)."""
        start, lines, tokens = file.tell(), [], 0
        while tokens < self.batch_words and (raw := file.readline()):
            lines.append(raw)
            tokens += len(raw.split())
        try:
            return b"".join(lines).decode("utf-8")
        except UnicodeDecodeError as error:
            raise DataError(f"{self.path}, byte {start + error.start}: not UTF-8") from None

    def _windows(self, text: str) -> Windows:
        # one split of the whole chunk, the line ends kept as the token LINE_END (id −2)
        tokens = text.replace("\n", f" {LINE_END} ").split()
        ids = list(map(self.ids.get, tokens, itertools.repeat(-1)))  # −1 for unknown words
        ids = torch.from_numpy(np.array(ids, dtype=np.int64))  # (n,) (numpy converts 3× faster)
        sentence = (ids == -2).cumsum(0)  # (n,) the line of each token
        known = ids >= 0
        ids, sentence = ids[known], sentence[known]  # (N,)
        kept = torch.rand(ids.numel(), generator=self.generator, dtype=torch.float64)
        kept = kept < self.keep[ids]
        ids, sentence = ids[kept], sentence[kept]
        reduced = torch.randint(1, self.window + 1, ids.shape, generator=self.generator)
        context, mask = context_windows(ids, sentence, self.window, reduced)
        return Windows(ids, context, mask, int(kept.numel()))
