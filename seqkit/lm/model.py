"""The RNN language model (notes: "Language Modelling": the probability of a sentence).

A sentence y<1> … y<T_y> is scored word by word, each word given the ones before it:

    P(y<1>, …, y<T_y>) = Π_t P(y<t> | y<1>, …, y<t−1>)

The notes tokenise the words, end the sentence with <EOS> and map a word outside the vocabulary
to <UNK> (:class:`seqkit.data.Vocabulary`: ``</s>`` and ``<unk>``); a character-level model makes
every character a token ("no problem of <UNK>"). The network is

    e<t>  = E[y<t−1>]                                    embedding, y<0> = <s>
    a<t>  = RNN(e<t>, a<t−1>)                             seqkit.rnn.RNN (rnn | gru | lstm)
    ŷ<t>  = softmax(W_y a<t> + b_y)                      P(· | y<1>, …, y<t−1>) over V

and it is trained by teacher forcing: the input is <s> y<1> … y<T_y>, the target
y<1> … y<T_y> </s>, and the loss is the mean cross-entropy over the real target tokens
(</s> included, <pad> left out): :func:`language_model_loss`.

Shapes (docs/notation.md): B batch, T time, E embedding, H hidden, L layers, V vocabulary.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from torch import Tensor, nn

from seqkit.config import require
from seqkit.core.layers import Dense, Dropout, Embedding
from seqkit.core.losses import SequenceLoss, sequence_cross_entropy
from seqkit.data import Vocabulary, pad
from seqkit.rnn import RNN

State = Tensor | tuple[Tensor, Tensor]  # the RNN's (L, B, H) state, a pair (a, c) for lstm


@dataclass
class LanguageModelConfig:
    """The recipe's ``model:`` section of a language model."""

    embedding_dim: int = 64  # E, size of the token embeddings
    hidden_size: int = 256  # H, size of a<t>
    num_layers: int = 1  # L, stacked recurrent layers
    cell: Literal["rnn", "gru", "lstm"] = "lstm"  # recurrent cell (seqkit.rnn)
    dropout: float = 0.0  # drop probability on embeddings, between layers and before W_y

    def __post_init__(self) -> None:
        require_recurrent(self)


def require_recurrent(config: Any) -> None:
    """Range checks of a ``model:`` section with embedding_dim, hidden_size, num_layers, cell
    and dropout (a language model's, a classifier's), naming their recipe keys."""
    for key in ("embedding_dim", "hidden_size", "num_layers"):
        value = getattr(config, key)
        require(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                f"model.{key}", "an int ≥ 1", value)
    require(config.cell in ("rnn", "gru", "lstm"), "model.cell", "one of rnn, gru, lstm",
            config.cell)
    require(0.0 <= config.dropout < 1.0, "model.dropout", "in [0, 1)", config.dropout)


class LanguageModelOutput(NamedTuple):
    logits: Tensor  # z<t> = W_y a<t> + b_y (B, T, V), softmax gives P(y<t> | y<1..t−1>)
    state: State  # the RNN's state after each sequence's last real step (L, B, H) [, c]


class LanguageModelBatch(NamedTuple):
    """Teacher forcing's input and target: the same sentences shifted by one token."""

    inputs: Tensor  # <s> y<1> … y<T_y>, then <pad> (B, T) long, T = longest T_y + 1
    targets: Tensor  # y<1> … y<T_y> </s>, then <pad> (B, T) long
    lengths: Tensor  # T_y + 1 real positions of each row (B,) long


def language_model_batch(sentences: Sequence[Sequence[int]]) -> LanguageModelBatch:
    """The batch of encoded sentences (ids without <s> or </s>; may be empty).

    >>> language_model_batch([[7, 8], [9]]).targets
    tensor([[7, 8, 3],
            [9, 3, 0]])
    """
    inputs, lengths = pad([[Vocabulary.BOS, *s] for s in sentences], Vocabulary.PAD)
    targets, _ = pad([[*s, Vocabulary.EOS] for s in sentences], Vocabulary.PAD)
    return LanguageModelBatch(inputs, targets, lengths)


class RNNLanguageModel(nn.Module):
    """Embedding → :class:`seqkit.rnn.RNN` → W_y: the next token's logits at every step.

    Args:
        config: sizes, cell and dropout.
        vocab_size: V (``len(vocabulary)``, specials included).

    Inputs: ids (B, T) long, lengths (B,) in [1, T] or None (all T), state or None (zeros).
    Outputs: :class:`LanguageModelOutput` (logits (B, T, V), final state). Feeding the returned
    state back with the next ids continues the sequences (that is how :mod:`sampling` steps).

    Parameters: ``embedding`` E (V, E), its <pad> row 0; ``rnn``; ``readout`` W_y (V, H), b_y (V,).
    """

    def __init__(self, config: LanguageModelConfig, vocab_size: int) -> None:
        super().__init__()
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 5:
            raise ValueError(f"RNNLanguageModel: expected vocab_size ≥ 5 (4 specials and a token),"
                             f" got {vocab_size!r}")
        self.config = config
        E, H, L = config.embedding_dim, config.hidden_size, config.num_layers
        self.embedding = Embedding(vocab_size, E, padding_idx=Vocabulary.PAD)
        self.dropout = Dropout(1.0 - config.dropout)  # Dropout takes the keep probability
        self.rnn = RNN(config.cell, E, H, num_layers=L, dropout=config.dropout if L > 1 else 0.0)
        self.readout = Dense(H, vocab_size)

    def forward(self, ids: Tensor, lengths: Tensor | None = None,
                state: State | None = None) -> LanguageModelOutput:
        e = self.dropout(self.embedding(ids))  # (B, T, E)
        a, final = self.rnn(e, lengths, state)  # (B, T, H), (L, B, H) [, c]
        return LanguageModelOutput(self.readout(self.dropout(a)), final)  # (B, T, V)


def language_model_loss(model: RNNLanguageModel, batch: LanguageModelBatch) -> SequenceLoss:
    """J = −1/N Σ_b Σ_t log P(y<t> | y<1..t−1>) over the N real target tokens of the batch.

    N counts each sentence's </s> (the model must learn where sentences end) and its <unk>s.
    """
    device = model.readout.weight.device
    logits = model(batch.inputs.to(device), batch.lengths).logits  # (B, T, V)
    return sequence_cross_entropy(logits, batch.targets.to(device), pad_id=Vocabulary.PAD)

