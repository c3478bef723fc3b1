"""The word2vec task: skip-gram or CBOW with negative sampling on a corpus streamed from disk.

Recipe sections: ``data`` (:class:`~seqkit.tasks.word2vec.data.EmbeddingData`: corpus, window,
subsampling, evaluation files), ``model`` (:class:`~seqkit.embeddings.Word2VecConfig`), ``sgd``
(:class:`SGDConfig`) and the common ``task``, ``seed``, ``train``.

An update is word2vec's SGD step on a batch, from the trainer's ``update`` hook: on the CPU in
word2vec's own order, one example after another in C
(:func:`~seqkit.embeddings.sequential_sgd_step`, ``sgd.workers`` threads), elsewhere the banded
torch path (:func:`~seqkit.embeddings.banded_sgd_step`; ``sgd.path`` chooses), with word2vec's
linearly decaying learning rate (:func:`~seqkit.embeddings.linear_lr`)

    α(p) = α₀ − (α₀ − α_min) · p,   p = corpus words done / (train.epochs · corpus words)

α₀ = ``train.lr``, α_min = ``sgd.min_lr``. p is kept by the epoch's stream, with the corpus
offset and the random generators of subsampling, windows and noise words, so a run stopped
mid-epoch resumes exactly. The trainer's optimizer is never stepped (its ``lr`` in the progress
line is α₀, not α(p)).
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np
import torch
from torch import nn

from seqkit.config import require
from seqkit.embeddings import (
    NoiseSampler,
    Windows,
    WindowStream,
    Word2Vec,
    Word2VecConfig,
    WordVectors,
    WordVocab,
    banded_sgd_step,
    linear_lr,
    sequential_sgd_step,
    step_noise,
    uses_sequential,
)
from seqkit.embeddings.training import StepPath
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.word2vec.data import (
    EmbeddingData,
    build_vocab,
    evaluation_report,
    validation_scores,
)
from seqkit.tasks.word2vec.verbs import EVALUATE_OPTIONS, VERBS


@dataclass
class SGDConfig:
    """The recipe's ``sgd:`` section: word2vec's SGD beyond ``train.lr`` (α₀)."""

    min_lr: float = 1e-4  # α_min, the learning rate at the end of the last epoch
    path: StepPath = "auto"  # auto: sequential where it can run
    workers: int = 1  # sequential path: threads stepping at once (Hogwild); 1: reproducible
    block: int = 16  # L, consecutive centers in one band product (seqkit.embeddings.fast)
    noise_groups: int = 5  # banded skip-gram: a center's pairs in min(g, 2W) noise groups
    max_updates: float = 32.0  # a row's summed update in a step is scaled by min(1, this / n)
    step_centers: int = 512  # centers per SGD step within a batch (seqkit.embeddings.fast, Note)

    def __post_init__(self) -> None:
        require(self.min_lr >= 0, "sgd.min_lr", "≥ 0", self.min_lr)
        require(self.workers >= 1, "sgd.workers", "≥ 1", self.workers)
        require(self.block >= 1, "sgd.block", "≥ 1", self.block)
        require(self.noise_groups >= 1, "sgd.noise_groups", "≥ 1", self.noise_groups)
        require(self.step_centers >= 1, "sgd.step_centers", "≥ 1", self.step_centers)
        require(self.max_updates > 0, "sgd.max_updates", "> 0", self.max_updates)


@dataclass
class Word2VecRecipe(Recipe):
    task: str = "word2vec"
    data: EmbeddingData = field(default_factory=EmbeddingData)
    model: Word2VecConfig = field(default_factory=Word2VecConfig)
    sgd: SGDConfig = field(default_factory=SGDConfig)

    def __post_init__(self) -> None:
        require(self.sgd.min_lr <= self.train.lr, "sgd.min_lr", f"≤ train.lr = {self.train.lr}",
                self.sgd.min_lr)


class Word2VecBatch(NamedTuple):
    windows: Windows  # B consecutive center words and their windows
    noise: torch.Tensor  # (B, g, k) each center's noise words, or (⌈B / L⌉, g, k) each block's
    lr: float  # α(p) for this step
    block: int | None  # L of the banded path's blocks; None: noise per center (sequential)


class EpochStream:
    """Epoch ``epoch``'s :class:`Word2VecBatch` es; its state is the corpus position, the
    generators and the words done (p's numerator)."""

    def __init__(self, task: "Word2VecTask", epoch: int) -> None:
        recipe, data = task.recipe, task.recipe.data
        seeds = np.random.SeedSequence([recipe.seed, epoch]).generate_state(2)
        self.windows = WindowStream(data.corpus, task.vocab, data.window, data.sample,
                                    data.batch_words, epochs=1, seed=int(seeds[0]))
        probs = task.vocab.noise_probs(recipe.model.ns_exponent)
        self.noise = NoiseSampler(probs, torch.Generator().manual_seed(int(seeds[1])))
        self.recipe, self.epoch, self.words = recipe, epoch, 0
        self.corpus_words = int(task.vocab.counts.sum())
        self.block = None if task.sequential() else recipe.sgd.block

    def __iter__(self):
        r = self.recipe
        for windows in self.windows:
            p = (self.epoch * self.corpus_words + self.words) / (
                r.train.epochs * self.corpus_words)
            noise = step_noise(self.noise, windows.center.numel(), r.model, r.sgd.noise_groups,
                               r.data.window, self.block)
            self.words += windows.words
            yield Word2VecBatch(windows, noise, linear_lr(r.train.lr, r.sgd.min_lr, p), self.block)

    def state_dict(self) -> dict[str, Any]:
        return {"windows": self.windows.state_dict(), "noise": self.noise.state_dict(),
                "words": self.words}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.windows.load_state_dict(state["windows"])
        self.noise.load_state_dict(state["noise"])
        self.words = int(state["words"])


class Word2VecTask:
    """Builds the vocabulary and model from a recipe; trains by SGD; scores and serves vectors."""

    name = "word2vec"
    unit = "words"  # what the count of loss counts (progress lines)
    Recipe = Word2VecRecipe
    metrics: ClassVar = {"analogy": True, "ws353": True}
    resumable: ClassVar = ("data.restrict_vocab", "data.valid_restrict")
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: Word2VecRecipe, vocab: WordVocab) -> None:
        self.recipe, self.vocab = recipe, vocab
        self.model = Word2Vec(len(vocab), recipe.model)

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    @classmethod
    def build(cls, recipe: Word2VecRecipe) -> "Word2VecTask":
        """Prepare the corpus if the recipe names a preparer, then count its vocabulary."""
        if recipe.data.prepare:
            from seqkit.data import prepare

            prepare(recipe.data.prepare, recipe.data, recipe.seed)
        return cls(recipe, build_vocab(recipe.data))

    @classmethod
    def restore(cls, recipe: Word2VecRecipe, state: dict[str, Any]) -> "Word2VecTask":
        return cls(recipe, WordVocab.from_state(state["vocab"]))

    def state(self) -> dict[str, Any]:
        return {"vocab": self.vocab.state_dict()}

    # --- training ------------------------------------------------------------------------------
    def sequential(self) -> bool:
        """Whether updates take the sequential path (``sgd.path``, where the model is)."""
        return uses_sequential(self.model, self.recipe.sgd.path, "sgd.path")

    def batches(self, epoch: int) -> EpochStream:
        return EpochStream(self, epoch)

    def update(self, parts: dict[str, nn.Module], batch: Word2VecBatch,
               optimize: Any) -> tuple[float, int]:
        """One SGD step of size α(p) on the batch's pairs; (loss before it, corpus words)."""
        sgd = self.recipe.sgd
        if batch.block is None:
            loss = sequential_sgd_step(self.model, batch.windows, batch.noise, batch.lr,
                                       sgd.workers)
        else:
            loss = banded_sgd_step(self.model, batch.windows, batch.noise, batch.lr, sgd.block,
                                   sgd.max_updates, sgd.step_centers)
        return float(loss), batch.windows.words

    def loss(self, model: nn.Module, batch: Word2VecBatch) -> tuple[torch.Tensor, int]:
        """The negative-sampling loss of the batch (each window with its step's noise words)."""
        noise = batch.noise  # (B, g, k), or (nb, g, k) with CBOW's g = L: each center its own k
        if batch.block is not None:
            noise = (noise.reshape(-1, 1, noise.shape[2]) if self.recipe.model.arch == "cbow"
                     else noise.repeat_interleave(batch.block, 0))
        windows = batch.windows
        loss = model.negative_sampling_loss(windows, noise[:windows.center.numel()])
        return loss, int(windows.mask.sum())

    def validate(self, model: nn.Module) -> dict[str, float]:
        return validation_scores(self.vectors(), self.recipe.data)

    # --- vectors and evaluation ----------------------------------------------------------------
    def vectors(self) -> WordVectors:
        """The trained word vectors e_w (V, E), most frequent word first."""
        return WordVectors(self.vocab.words, self.model.embedding.detach())

    def evaluate(self, split: str = "test", restrict_vocab: int | None = None) -> Report:
        """Analogy accuracy per section, WS353 and SimLex (``split`` is unused: intrinsic)."""
        m = self.recipe.model
        return evaluation_report(self.vectors(), self.recipe.data,
                                 f"word2vec {m.arch}, k={m.negative}", restrict_vocab)
