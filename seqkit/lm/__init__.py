"""Language models: the RNN language model, sampling, perplexity, gradient clipping, an
interpolated Kneser–Ney n-gram baseline, and the names and Jane Austen corpora.

    vocab = Vocabulary.build(tokenize(line) for line in train_lines)
    model = RNNLanguageModel(LanguageModelConfig(cell="lstm"), len(vocab))
    batch = language_model_batch([vocab.encode(tokenize(line)) for line in lines])
    loss, n_tokens = language_model_loss(model, batch)        # teacher forcing, </s> included
    print(perplexity(model, batches))                          # exp of the mean cross-entropy
    sample(model, prompts=[vocab.encode(list("ma"))], temperature=0.8, top_k=10, generator=g)
    print(KneserNey(order=3).fit(train_ids, len(vocab)).perplexity(test_ids))
"""

from seqkit.lm.clipping import clip_grad_norm, clip_grad_value
from seqkit.lm.model import (
    LanguageModelBatch,
    LanguageModelConfig,
    LanguageModelOutput,
    RNNLanguageModel,
    language_model_batch,
    language_model_loss,
)
from seqkit.lm.ngram import KneserNey
from seqkit.lm.perplexity import Perplexity, perplexity
from seqkit.lm.sampling import Samples, choose, sample

__all__ = [
    "KneserNey",
    "LanguageModelBatch",
    "LanguageModelConfig",
    "LanguageModelOutput",
    "Perplexity",
    "RNNLanguageModel",
    "Samples",
    "choose",
    "clip_grad_norm",
    "clip_grad_value",
    "language_model_batch",
    "language_model_loss",
    "perplexity",
    "sample",
]
