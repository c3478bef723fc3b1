"""The GloVe task: word vectors from the corpus's co-occurrence counts (Pennington et al., 2014).

Recipe sections: ``data`` (:class:`~seqkit.tasks.word2vec.data.EmbeddingData`; ``data.window``
is GloVe's counting window, ``data.sample`` is unused), ``model`` (:class:`GloVeModel`) and the
common ``task``, ``seed``, ``train`` (``train.lr`` is AdaGrad's η; the trainer's optimizer is
never stepped).

X is counted once (:func:`~seqkit.embeddings.cooccurrence`, 1/d weighting) and cached in
``{data.dir}/.cache``. An epoch visits the non-zero X_ij in an order drawn from (seed, epoch); an
update is glove.c's AdaGrad step (:func:`~seqkit.embeddings.glove.adagrad_step`, as
:func:`~seqkit.embeddings.fit_glove`) on ``model.batch_size`` of them, for

    J = Σ f(X_ij) (w_iᵀ w̃_j + b_i + b̃_j − log X_ij)²,   f(x) = min(1, (x / x_max)^α)

and the vectors are w + w̃.
"""

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from seqkit.config import require
from seqkit.embeddings import GloVe, GloVeConfig, WordVectors, WordVocab, cooccurrence
from seqkit.embeddings.glove import adagrad_step
from seqkit.status import status
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.word2vec.data import (
    EmbeddingData,
    build_vocab,
    corpus_lines,
    evaluation_report,
    validation_scores,
)
from seqkit.tasks.word2vec.verbs import EVALUATE_OPTIONS, VERBS


@dataclass
class GloVeModel:
    """The recipe's ``model:`` section."""

    dim: int = 100  # E, the size of w_i and w̃_j
    x_max: float = 100.0  # counts at or above x_max get weight f = 1
    alpha: float = 0.75  # exponent α of the weighting f
    batch_size: int = 4096  # non-zero X_ij per AdaGrad step (each its own step, glove.c's)
    seed: int = 1  # initialisation of w, w̃, b, b̃

    def __post_init__(self) -> None:
        for key in ("dim", "batch_size"):
            require(getattr(self, key) >= 1, f"model.{key}", "≥ 1", getattr(self, key))
        for key in ("x_max", "alpha"):
            require(getattr(self, key) > 0, f"model.{key}", "> 0", getattr(self, key))


@dataclass
class GloVeRecipe(Recipe):
    task: str = "glove"
    data: EmbeddingData = field(default_factory=lambda: EmbeddingData(window=10))
    model: GloVeModel = field(default_factory=GloVeModel)


class GloVeTask:
    """Counts X, fits GloVe with AdaGrad, scores and serves the vectors w + w̃."""

    name = "glove"
    Recipe = GloVeRecipe
    metrics: ClassVar = {"analogy": True, "ws353": True}
    resumable: ClassVar = ("data.restrict_vocab", "data.valid_restrict")
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: GloVeRecipe, vocab: WordVocab) -> None:
        self.recipe, self.vocab = recipe, vocab
        m = recipe.model
        self.model = GloVe(len(vocab), GloVeConfig(dim=m.dim, window=recipe.data.window,
                                                   x_max=m.x_max, alpha=m.alpha, seed=m.seed))

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    @classmethod
    def build(cls, recipe: GloVeRecipe) -> "GloVeTask":
        """Prepare the corpus if the recipe names a preparer, count its vocabulary and X."""
        if recipe.data.prepare:
            from seqkit.data import prepare

            prepare(recipe.data.prepare, recipe.data, recipe.seed)
        task = cls(recipe, build_vocab(recipe.data))
        _ = task.entries  # count X now: fail early
        return task

    @classmethod
    def restore(cls, recipe: GloVeRecipe, state: dict[str, Any]) -> "GloVeTask":
        return cls(recipe, WordVocab.from_state(state["vocab"]))

    def state(self) -> dict[str, Any]:
        return {"vocab": self.vocab.state_dict()}

    # --- the counts ----------------------------------------------------------------------------
    def _cache(self) -> Path:
        data, corpus = self.recipe.data, self.recipe.data.corpus
        stat = corpus.stat()
        key = f"{stat.st_size}-{stat.st_mtime_ns}-m{data.min_count}-w{data.window}"
        return Path(data.dir) / ".cache" / f"glove-cooccurrence-{key}.pt"

    @cached_property
    def entries(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The non-zero X_ij as ``i, j, x`` (N,) each, from the cache or counted now."""
        path = self._cache()
        if path.exists():
            saved = torch.load(path, weights_only=True)
            return saved["i"], saved["j"], saved["x"]
        data = self.recipe.data
        status(f"glove: counting co-occurrences in {data.corpus} (window {data.window})")
        X = cooccurrence((self.vocab.encode(words) for words in corpus_lines(data)),
                         len(self.vocab), data.window)
        (i, j), x = X.indices(), X.values().float()
        status(f"glove: {x.numel():,} non-zero X_ij")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        torch.save({"i": i, "j": j, "x": x}, partial)
        partial.replace(path)
        return i, j, x

    # --- training ------------------------------------------------------------------------------
    def batches(self, epoch: int) -> tuple[torch.Tensor, ...]:
        """Index batches (≤ batch_size,) into :attr:`entries`, in an order of (seed, epoch)."""
        seed = np.random.SeedSequence([self.recipe.seed, epoch]).generate_state(1)[0]
        order = torch.randperm(self.entries[2].numel(),
                               generator=torch.Generator().manual_seed(int(seed)))
        return order.split(self.recipe.model.batch_size)

    def loss(self, model: nn.Module, batch: torch.Tensor) -> tuple[torch.Tensor, int]:
        """(J / N, N) over the batch's N entries."""
        i, j, x = (t.to(batch.device)[batch] for t in self.entries)
        return model.loss(i, j, x) / batch.numel(), batch.numel()

    def update(self, parts: dict[str, nn.Module], batch: torch.Tensor,
               optimize: Any) -> tuple[float, int]:
        """glove.c's AdaGrad step on the batch's entries; (J / N before it, N)."""
        i, j, x = (t.to(batch.device)[batch] for t in self.entries)
        J = adagrad_step(self.model, i, j, x, self.recipe.train.lr)
        return J.item() / batch.numel(), batch.numel()

    def validate(self, model: nn.Module) -> dict[str, float]:
        return validation_scores(self.vectors(), self.recipe.data)

    # --- vectors and evaluation ----------------------------------------------------------------
    def vectors(self) -> WordVectors:
        """The word vectors w + w̃ (V, E), most frequent word first."""
        return WordVectors(self.vocab.words, self.model.vectors())

    def evaluate(self, split: str = "test", restrict_vocab: int | None = None) -> Report:
        """Analogy accuracy per section, WS353 and SimLex (``split`` is unused: intrinsic)."""
        m = self.recipe.model
        return evaluation_report(self.vectors(), self.recipe.data,
                                 f"GloVe x_max={m.x_max:g} α={m.alpha:g}", restrict_vocab)
