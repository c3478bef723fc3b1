"""Perplexity on held-out text, from additive sufficient statistics.

    PP = exp(−1/N Σ_i log P(y_i | its history))

the exponential of the mean token cross-entropy, N the number of predicted tokens: every token of
every sentence and each sentence's </s>, with out-of-vocabulary tokens scored as <unk> (so a model
with a smaller vocabulary predicts an easier <unk>: compare perplexities over the same vocabulary).
A model that spreads its probability uniformly over V tokens has PP = V. The statistics
(Σ −log P, N) add over batches and over sentences; the corpus perplexity comes from the pooled sums,
never from averaging per-batch perplexities.
"""

import math
from collections.abc import Iterable
from typing import NamedTuple

import torch

from seqkit.lm.model import LanguageModelBatch, RNNLanguageModel, language_model_loss


class Perplexity(NamedTuple):
    """A perplexity and the statistics it was computed from; ``str()`` says how."""

    nll: float  # Σ −log P(y_i | history) over the N tokens, in nats
    n_tokens: int  # N, </s> included
    model: str = "model"  # what scored the text, for the printed line

    @property
    def cross_entropy(self) -> float:
        """The mean −log P per token in nats (0 for no tokens)."""
        return self.nll / self.n_tokens if self.n_tokens else 0.0

    @property
    def value(self) -> float:
        """PP = exp(mean cross-entropy)."""
        return math.exp(self.cross_entropy)

    def __add__(self, other: object) -> "Perplexity":  # type: ignore[override]
        if not isinstance(other, Perplexity):
            return NotImplemented
        return Perplexity(self.nll + other.nll, self.n_tokens + other.n_tokens, self.model)

    def as_dict(self) -> dict[str, float]:
        return {"perplexity": self.value, "cross_entropy": self.cross_entropy,
                "n_tokens": float(self.n_tokens)}

    def __str__(self) -> str:
        return (f"perplexity {self.value:.2f} = exp({self.cross_entropy:.4f} nats/token) over "
                f"{self.n_tokens:,} tokens, </s> included, unknown tokens as <unk> ({self.model})")


@torch.no_grad()
def perplexity(model: RNNLanguageModel, batches: Iterable[LanguageModelBatch]) -> Perplexity:
    """The model's perplexity on ``batches`` (see :func:`~seqkit.lm.model.language_model_batch`),
    in evaluation mode (no dropout); the model's mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        nll, n = 0.0, 0
        for batch in batches:
            loss, n_tokens = language_model_loss(model, batch)
            nll += float(loss) * n_tokens
            n += n_tokens
    finally:
        model.train(was_training)
    return Perplexity(nll, n, f"rnn {model.config.cell}")
