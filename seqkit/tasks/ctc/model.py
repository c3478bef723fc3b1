"""The CTC acoustic model: stacked log-mel frames → bidirectional recurrent encoder → per-frame
distributions over the labels.

    x (B, T, F) → stack s frames → (B, T', s·F),  T' = ⌈T / s⌉
      → RNN(H, L layers, both directions) → (B, T', 2H) → Dense(V) → log softmax → log y (B, T', V)

Stacking s consecutive 10 ms frames into one step (s = 3: 30 ms, 33 steps a second) shortens the
recurrence s-fold; CTC still has enough steps, as a digit word takes more than ~0.25 s and has at
most 5 letters. The output at step t sees the whole utterance (both directions), so a letter can
be emitted where it is certain. Trained with the CTC loss (``seqkit.speech.ctc_loss``).
"""

from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.config import require
from seqkit.core import Dense
from seqkit.rnn import RNN


@dataclass
class CTCModelConfig:
    """The recipe's ``model:`` section of the CTC task."""

    stack: int = 3  # s, feature frames concatenated into one encoder step
    cell: Literal["gru", "lstm", "rnn"] = "gru"  # recurrent cell of the encoder
    hidden_size: int = 160  # H, units per direction
    num_layers: int = 3  # L, stacked bidirectional layers
    dropout: float = 0.1  # drop probability between layers and before the output layer

    def __post_init__(self) -> None:
        for key in ("stack", "hidden_size", "num_layers"):
            require(getattr(self, key) >= 1, f"model.{key}", "≥ 1", getattr(self, key))
        require(0 <= self.dropout < 1, "model.dropout", "in [0, 1)", self.dropout)


class Encoded(NamedTuple):
    log_probs: Tensor  # (B, T', V) log y<t>
    lengths: Tensor  # (B,) T'_b = ⌈T_b / s⌉


class CTCModel(nn.Module):
    """Stacked frames → bidirectional RNN → log y<t> over ``num_labels`` V (blank included)."""

    def __init__(self, config: CTCModelConfig, n_mels: int, num_labels: int) -> None:
        super().__init__()
        self.config, self.n_mels = config, n_mels
        self.rnn = RNN(config.cell, config.stack * n_mels, config.hidden_size,
                       num_layers=config.num_layers, bidirectional=True,
                       dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)  # nn.Dropout's p is the drop probability
        self.out = Dense(2 * config.hidden_size, num_labels)

    def forward(self, x: Tensor, lengths: Tensor) -> Encoded:
        """log y (B, T', V) of features x (B, T, F) with ``lengths`` (B,) real frames."""
        if x.dim() != 3 or x.shape[2] != self.n_mels:
            raise ValueError(f"CTCModel: expected features of shape (B, T, {self.n_mels}), got "
                             f"{tuple(x.shape)}")
        s = self.config.stack
        B, T, F_ = x.shape
        x = F.pad(x, (0, 0, 0, -T % s))  # (B, s·T', F): zeros (the normalised mean) at the end
        x = x.reshape(B, -1, s * F_)  # (B, T', s·F): step t' holds frames s·t' … s·t' + s − 1
        steps = torch.div(lengths.to(x.device) + s - 1, s, rounding_mode="floor")  # ⌈T_b / s⌉
        h, _ = self.rnn(x, steps)  # (B, T', 2H), zero past each length
        return Encoded(self.out(self.drop(h)).log_softmax(-1), steps)
