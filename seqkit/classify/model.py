"""Sequence classification (notes: "Sentiment classification", a many-to-one RNN).

Two models map a sentence x<1> … x<T_x> to P(y | x) over C classes:

    averaging baseline   ŷ = softmax(W_y · (1/T_x Σ_t e<t>) + b_y)            (e<t> = E[x<t>])
    many-to-one RNN      ŷ = softmax(W_y a<T_x> + b_y),  a<t> = RNN(e<t>, a<t−1>)

The notes' warning about the average: in "completely lacking in good food, good service, and good
ambience" the many "good"s outvote "lacking"; the RNN reads the words in order. With a
bidirectional RNN the summary is [a→<T_x>; a←<1>], each direction's state after reading the whole
sentence. The embeddings E can start from pretrained word vectors, frozen or fine-tuned.

Padding never changes a prediction: the RNN stops at each sentence's last real step and the
average counts real tokens only (tested by padding a batch further).

Shapes (docs/notation.md): B batch, T time, E embedding, H hidden, D directions, C classes.
"""

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from seqkit.config import require
from seqkit.core.layers import Dense, Dropout, Embedding
from seqkit.core.losses import categorical_cross_entropy
from seqkit.data import Vocabulary
from seqkit.lm.model import require_recurrent
from seqkit.rnn import RNN


@dataclass
class ClassifierConfig:
    """The recipe's ``model:`` section of a sequence classifier."""

    kind: Literal["rnn", "average"] = "rnn"  # many-to-one RNN, or the averaging baseline
    embedding_dim: int = 50  # E (the pretrained vectors' size when they are given)
    hidden_size: int = 64  # H per direction (rnn only)
    num_layers: int = 1  # L stacked recurrent layers (rnn only)
    cell: Literal["rnn", "gru", "lstm"] = "lstm"  # recurrent cell (rnn only)
    bidirectional: bool = False  # summarise with [a→<T_x>; a←<1>] (rnn only)
    dropout: float = 0.0  # drop probability on embeddings, between layers and before W_y
    freeze_embeddings: bool = False  # keep E fixed (e.g. at pretrained vectors)

    def __post_init__(self) -> None:
        require(self.kind in ("rnn", "average"), "model.kind", "one of rnn, average", self.kind)
        require_recurrent(self)


class SequenceClassifier(nn.Module):
    """Embeddings → (many-to-one RNN | mean over real tokens) → W_y: class logits.

    Args:
        config: the model's kind, sizes and options.
        vocab_size: V, specials included (<pad> = 0 is the padding id).
        num_classes: C ≥ 2.
        pretrained: initial E (V, E), e.g. from :func:`seqkit.classify.data.pretrained_embeddings`;
            None: N(0, 1) rows.

    Inputs: ids (B, T) long, lengths (B,) in [1, T]. Output: logits z (B, C), ŷ = softmax(z).
    """

    def __init__(self, config: ClassifierConfig, vocab_size: int, num_classes: int,
                 pretrained: Tensor | None = None) -> None:
        super().__init__()
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"SequenceClassifier: expected num_classes ≥ 2, got {num_classes!r}")
        E = config.embedding_dim
        self.config = config
        self.embedding = Embedding(vocab_size, E, padding_idx=Vocabulary.PAD)
        if pretrained is not None:
            if tuple(pretrained.shape) != (vocab_size, E):
                raise ValueError(f"SequenceClassifier: expected pretrained vectors of shape "
                                 f"({vocab_size}, {E}), got {tuple(pretrained.shape)}")
            with torch.no_grad():
                self.embedding.weight.copy_(pretrained)
        self.embedding.weight.requires_grad_(not config.freeze_embeddings)
        self.dropout = Dropout(1.0 - config.dropout)  # Dropout takes the keep probability
        self.rnn: RNN | None = None
        features = E
        if config.kind == "rnn":
            L = config.num_layers
            self.rnn = RNN(config.cell, E, config.hidden_size, num_layers=L,
                           bidirectional=config.bidirectional,
                           dropout=config.dropout if L > 1 else 0.0)
            features = config.hidden_size * (2 if config.bidirectional else 1)
        self.readout = Dense(features, num_classes)

    def forward(self, ids: Tensor, lengths: Tensor) -> Tensor:
        e = self.dropout(self.embedding(ids))  # (B, T, E)
        lengths = lengths.to(ids.device)
        if self.rnn is None:
            real = (torch.arange(ids.shape[1], device=ids.device) < lengths[:, None])  # (B, T)
            summary = (e * real[..., None]).sum(dim=1) / lengths[:, None]  # (B, E) mean
        else:
            _, final = self.rnn(e, lengths)  # (L·D, B, H) [, c], at each last real step
            a = final[0] if isinstance(final, tuple) else final
            D = 2 if self.config.bidirectional else 1
            summary = torch.cat(list(a[-D:]), dim=-1)  # last layer: [a→<T_x>; a←<1>] (B, D·H)
        return self.readout(self.dropout(summary))  # (B, C)


def classification_loss(model: SequenceClassifier, ids: Tensor, lengths: Tensor,
                        labels: Tensor) -> Tensor:
    """J = −1/B Σ_b log ŷ_b[y_b], the batch's mean cross-entropy. labels (B,) long → ()."""
    return categorical_cross_entropy(model(ids, lengths), labels.to(ids.device))
