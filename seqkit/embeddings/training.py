"""word2vec's fast training loop: SGD with a linearly decaying learning rate over a stream.

word2vec lowers the learning rate linearly with the share of the corpus processed,

    α(p) = α₀ − (α₀ − α_min) · p,    p = words processed / (epochs · words in the corpus)

(words counted before subsampling, as gensim does), and applies it to every (c, t) pair's gradient
(:meth:`Word2Vec.sgd_step`). Two paths run that step (``path``): ``sequential``, word2vec's own
order, one example after another in C (:mod:`seqkit.embeddings.sequential`: the CPU fast path), and
``banded``, torch block products over many centers at once (:mod:`seqkit.embeddings.fast`: any
device, no compiler needed); ``auto`` takes the first where it can run. The generic trainer can
instead minimise :meth:`Word2Vec.negative_sampling_loss`; this loop is the fast path.

With ``workers`` = n > 1, n threads each take the next batch and step without locking the
model: Hogwild (Recht et al., 2011), as word2vec's and gensim's worker threads do. Batches, their
learning rates and noise words are still handed out in stream order, but two threads updating
the same row at once can lose one update, so such a run is not reproducible bit for bit.
"""

import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch

from seqkit.config import require
from seqkit.embeddings.corpus import Windows
from seqkit.embeddings.fast import banded_sgd_step
from seqkit.embeddings.sequential import available, sequential_sgd_step
from seqkit.embeddings.word2vec import NoiseSampler, Word2Vec, Word2VecConfig

StepPath = Literal["auto", "sequential", "banded"]


@dataclass
class Word2VecTrainConfig:
    """The corpus pass and the learning-rate schedule (defaults: gensim 4's)."""

    window: int = 5  # W, the largest distance of a context word
    sample: float = 1e-3  # subsampling threshold (WordVocab.keep_probs); 0: keep every word
    min_count: int = 5  # words seen fewer times are dropped from the vocabulary
    epochs: int = 5  # passes over the corpus
    lr: float = 0.025  # α₀, the learning rate at the start
    min_lr: float = 1e-4  # α_min, the learning rate at the end
    batch_words: int = 10_000  # corpus tokens read per batch
    path: StepPath = "auto"  # sequential (compiled, CPU) | banded (torch) | auto (module docstring)
    block: int = 16  # L, consecutive centers in one band product (seqkit.embeddings.fast)
    noise_groups: int = 5  # banded skip-gram: a center's pairs in min(g, 2W) noise groups
    max_updates: float = 32.0  # a row's summed update in a step is scaled by min(1, this / n)
    step_centers: int = 512  # centers per SGD step within a batch (seqkit.embeddings.fast, Note)
    seed: int = 1  # subsampling, reduced windows and noise words
    workers: int = 1  # threads stepping at once (Hogwild, module docstring); 1: reproducible

    def __post_init__(self) -> None:
        for key in ("window", "min_count", "epochs", "batch_words", "block", "step_centers",
                    "workers", "noise_groups"):
            require(getattr(self, key) >= 1, f"train.{key}", "≥ 1", getattr(self, key))
        require(self.path in ("auto", "sequential", "banded"), "train.path",
                "auto | sequential | banded", self.path)
        require(self.sample >= 0, "train.sample", "≥ 0", self.sample)
        require(self.max_updates > 0, "train.max_updates", "> 0", self.max_updates)
        require(0 <= self.min_lr <= self.lr, "train.min_lr", f"in [0, lr = {self.lr}]",
                self.min_lr)


def uses_sequential(model: Word2Vec, path: StepPath, key: str = "train.path") -> bool:
    """Whether ``path`` (auto | sequential | banded) steps ``model`` on the sequential path; a
    one-line error naming ``key`` when it asks for the sequential path and that cannot run."""
    require(path != "sequential" or available(model), key,
            "auto or banded here (sequential needs seqkit's compiled extension, built when a C "
            "compiler is present at install, and a float32 model on the CPU)", path)
    return path != "banded" and available(model)


def step_noise(noise: NoiseSampler, centers: int, config: Word2VecConfig, groups: int,
               window: int, L: int | None) -> torch.Tensor:
    """The noise words of ``centers`` centers: per center (N, g, k) for the sequential path
    (``L`` None), skip-gram's g = 2W giving each pair its own k as word2vec (its 5 groups of
    pairs cost 1.5 points of analogy accuracy on the full English corpus), CBOW's g = 1; or per
    block of L centers (nb, g, k) for the banded path (nb = ⌈centers / L⌉), skip-gram's
    g = min(``groups``, 2W) groups of a center's pairs, CBOW's g = L, each center its own k."""
    k, skipgram = config.negative, config.arch == "skipgram"
    if L is None:
        g = 2 * window if skipgram else 1
        return noise.per_center(centers, g * k).view(centers, g, k)
    g = min(groups, 2 * window) if skipgram else L
    nb = -(-centers // L)
    return noise(nb, g * k).view(nb, g, k)


def linear_lr(lr: float, min_lr: float, progress: float) -> float:
    """α(p) = α₀ − (α₀ − α_min) · p, with p clamped to [0, 1]."""
    return lr - (lr - min_lr) * min(max(progress, 0.0), 1.0)


class TrainStats(NamedTuple):
    words: int  # corpus words processed (before subsampling)
    seconds: float

    @property
    def words_per_second(self) -> float:
        return self.words / max(self.seconds, 1e-9)


class _Steps:
    """The batches of a stream with their learning rate α(p) and noise words, one at a time in
    stream order to whichever worker asks."""

    def __init__(self, model: Word2Vec, batches: Iterable[Windows], config: Word2VecTrainConfig,
                 noise: NoiseSampler, total_words: int, words_done: int) -> None:
        self.batches: Iterator[Windows] = iter(batches)
        self.model, self.config, self.noise = model, config, noise
        self.sequential = uses_sequential(model, config.path)
        self.total_words, self.words = total_words, words_done
        self.lock, self.stopped = threading.Lock(), False

    def next(self) -> tuple[Windows, torch.Tensor, float] | None:
        """The next batch, its noise words (:func:`step_noise`) and α(p); None at the end or once
        stopped."""
        with self.lock:
            windows = None if self.stopped else next(self.batches, None)
            if windows is None:
                return None
            c, device = self.config, self.model.embedding.device
            lr = linear_lr(c.lr, c.min_lr, self.words / max(self.total_words, 1))
            n = step_noise(self.noise, windows.center.numel(), self.model.config,
                           c.noise_groups, c.window, None if self.sequential else c.block)
            self.words += windows.words
        windows = windows._replace(center=windows.center.to(device),
                                   context=windows.context.to(device), mask=windows.mask.to(device))
        return windows, n.to(device), lr

    def run(self) -> None:
        """Step on batches until there are none left; a failing worker stops the others."""
        try:
            while (step := self.next()) is not None:
                windows, noise, lr = step
                if self.sequential:
                    sequential_sgd_step(self.model, windows, noise, lr, loss=False)
                else:
                    banded_sgd_step(self.model, windows, noise, lr, self.config.block,
                                    self.config.max_updates, self.config.step_centers)
        except BaseException:
            self.stopped = True
            raise


def fit_word2vec(model: Word2Vec, batches: Iterable[Windows], config: Word2VecTrainConfig,
                 noise: NoiseSampler, total_words: int, words_done: int = 0) -> TrainStats:
    """Run SGD over ``batches`` (a :class:`WindowStream`, or part of one).

    ``total_words`` is the denominator of the progress p (``epochs · vocab.counts.sum()``) and
    ``words_done`` its numerator so far: a resumed run passes its checkpoint's count and the
    saved states of the stream and of ``noise``, and continues exactly (tested, one worker).
    With ``config.workers`` > 1 torch uses one thread per worker meanwhile (two levels of
    threads on the same cores stall each other).
    """
    steps = _Steps(model, batches, config, noise, total_words, words_done)
    start = time.perf_counter()
    if config.workers == 1:
        steps.run()
    else:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(config.workers) as pool:
                workers = [pool.submit(steps.run) for _ in range(config.workers)]
                try:
                    for worker in workers:
                        worker.result()
                except BaseException:  # Ctrl-C: the workers finish their step and end
                    steps.stopped = True
                    raise
        finally:
            torch.set_num_threads(threads)
    return TrainStats(steps.words - words_done, time.perf_counter() - start)
