"""word2vec's fast training loop: SGD with a linearly decaying learning rate over a stream.

word2vec lowers the learning rate linearly with the share of the corpus processed,

    α(p) = α₀ − (α₀ − α_min) · p,    p = words processed / (epochs · words in the corpus)

(words counted before subsampling, as gensim does), and applies it to every (c, t) pair's gradient
(:meth:`Word2Vec.sgd_step`, run as :func:`~seqkit.embeddings.fast.banded_sgd_step`). The generic
trainer can instead minimise :meth:`Word2Vec.negative_sampling_loss`; this loop is the fast path.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from seqkit.config import require
from seqkit.embeddings.corpus import Windows
from seqkit.embeddings.fast import banded_sgd_step
from seqkit.embeddings.word2vec import NoiseSampler, Word2Vec


@dataclass
class Word2VecTrainConfig:
    """The corpus pass and the learning-rate schedule (defaults: gensim 4's)."""

    window: int = 5  # W, the largest distance of a context word
    sample: float = 1e-3  # subsampling threshold (WordVocab.keep_probs); 0: keep every word
    min_count: int = 5  # words seen fewer times are dropped from the vocabulary
    epochs: int = 5  # passes over the corpus
    lr: float = 0.025  # α₀, the learning rate at the start
    min_lr: float = 1e-4  # α_min, the learning rate at the end
    batch_words: int = 10_000  # corpus tokens per SGD step
    block: int = 16  # L, consecutive centers sharing their k noise words (seqkit.embeddings.fast)
    max_updates: float = 32.0  # a row's summed update in a batch is scaled by min(1, this / n)
    seed: int = 1  # subsampling, reduced windows and noise words

    def __post_init__(self) -> None:
        for key in ("window", "min_count", "epochs", "batch_words", "block"):
            require(getattr(self, key) >= 1, f"train.{key}", "≥ 1", getattr(self, key))
        require(self.sample >= 0, "train.sample", "≥ 0", self.sample)
        require(self.max_updates > 0, "train.max_updates", "> 0", self.max_updates)
        require(0 <= self.min_lr <= self.lr, "train.min_lr", f"in [0, lr = {self.lr}]",
                self.min_lr)


def linear_lr(lr: float, min_lr: float, progress: float) -> float:
    """α(p) = α₀ − (α₀ − α_min) · p, with p clamped to [0, 1]."""
    return lr - (lr - min_lr) * min(max(progress, 0.0), 1.0)


class TrainStats(NamedTuple):
    words: int  # corpus words processed (before subsampling)
    seconds: float

    @property
    def words_per_second(self) -> float:
        return self.words / max(self.seconds, 1e-9)


def fit_word2vec(model: Word2Vec, batches: Iterable[Windows], config: Word2VecTrainConfig,
                 noise: NoiseSampler, total_words: int, words_done: int = 0) -> TrainStats:
    """Run SGD over ``batches`` (a :class:`WindowStream`, or part of one).

    ``total_words`` is the denominator of the progress p (``epochs · vocab.counts.sum()``) and
    ``words_done`` its numerator so far: a resumed run passes its checkpoint's count and the
    saved states of the stream and of ``noise``, and continues exactly (tested).
    """
    device = model.embedding.device
    start, words = time.perf_counter(), words_done
    for windows in batches:
        lr = linear_lr(config.lr, config.min_lr, words / max(total_words, 1))
        blocks = -(-windows.center.numel() // config.block)
        n = noise(blocks, model.config.negative)  # (nb, k)
        windows = windows._replace(center=windows.center.to(device),
                                   context=windows.context.to(device), mask=windows.mask.to(device))
        banded_sgd_step(model, windows, n.to(device), lr, config.block, config.max_updates)
        words += windows.words
    return TrainStats(words - words_done, time.perf_counter() - start)
