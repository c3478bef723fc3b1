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

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import torch

from seqkit.data.errors import DataError
from seqkit.embeddings.vocab import WordVocab


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
    N = ids.numel()
    offsets = torch.cat([torch.arange(-window, 0), torch.arange(1, window + 1)]).to(ids.device)
    pos = torch.arange(N, device=ids.device)[:, None] + offsets  # (N, 2W)
    inside = (pos >= 0) & (pos < N)
    pos = pos.clamp(0, max(N - 1, 0))
    mask = inside & (sentence[pos] == sentence[:, None]) & (offsets.abs() <= reduced[:, None])
    return ids[pos], mask


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
                lines = self._read_chunk(file)
                if not lines:
                    self.offset, self.epoch = 0, self.epoch + 1
                    continue
                self.offset = file.tell()
                batch = self._windows(lines)
                if batch.center.numel():
                    yield batch

    def _read_chunk(self, file) -> list[list[str]]:
        lines, tokens = [], 0
        while tokens < self.batch_words:
            raw = file.readline()
            if not raw:
                break
            try:
                words = raw.decode("utf-8").split()
            except UnicodeDecodeError as error:
                raise DataError(f"{self.path}, byte {file.tell() - len(raw) + error.start}: not "
                                f"UTF-8") from None
            lines.append(words)
            tokens += len(words)
        return lines

    def _windows(self, lines: list[list[str]]) -> Windows:
        encoded = [self.vocab.encode(words) for words in lines]
        ids = torch.tensor([i for line in encoded for i in line], dtype=torch.long)  # (N,)
        sentence = torch.repeat_interleave(torch.tensor([len(line) for line in encoded]))  # (N,)
        kept = torch.rand(ids.numel(), generator=self.generator, dtype=torch.float64)
        kept = kept < self.keep[ids]
        ids, sentence = ids[kept], sentence[kept]
        reduced = torch.randint(1, self.window + 1, ids.shape, generator=self.generator)
        context, mask = context_windows(ids, sentence, self.window, reduced)
        return Windows(ids, context, mask, int(kept.numel()))
