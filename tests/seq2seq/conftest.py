"""Toy models shared by the seq2seq tests: a tiny Seq2Seq, and a Markov decoder whose P(y<t> | x,
y<1..t−1>) is a fixed table over y<t−1>, so a test can set every probability."""

from collections.abc import Callable, Iterator
from typing import NamedTuple

import pytest
import torch
from torch import Tensor, nn

from seqkit.seq2seq import Seq2Seq, Seq2SeqConfig, Step

PAD, UNK, BOS, EOS = 0, 1, 2, 3


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """torch on one thread for these tests: their tensors are too small to share, and on a loaded
    machine intra-op threads wait on each other (the training test took 28 s instead of 3 s)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def toy_model() -> Callable[..., Seq2Seq]:
    """A tiny float64 Seq2Seq in eval mode; ``sharpness`` scales the readout so that P(y<t>|…)
    is far from uniform (search decisions then matter)."""

    def make(tgt_vocab: int = 6, sharpness: float = 4.0, seed: int = 0, **config) -> Seq2Seq:
        torch.manual_seed(seed)
        config = {"embedding_dim": 5, "hidden_size": 4} | config
        model = Seq2Seq(Seq2SeqConfig(**config), 9, tgt_vocab).double().eval()
        with torch.no_grad():
            model.readout.weight.mul_(sharpness)
        return model

    return make


class MarkovEncoded(NamedTuple):
    mask: Tensor  # (B, S) bool
    state: Tensor  # (B, 1), the step count: a plain tensor state, not a tuple


class MarkovDecoder(nn.Module):
    """log P(y<t> = v | x, y<1..t−1>) = log table[y<t−1>, v], whatever x; α uniform over x."""

    pad_id, bos_id, eos_id = PAD, BOS, EOS

    def __init__(self, table: Tensor) -> None:
        super().__init__()
        self.log_table = (table / table.sum(dim=1, keepdim=True)).log()  # (V, V)

    def encode(self, src: Tensor, src_lengths: Tensor) -> MarkovEncoded:
        mask = torch.arange(src.shape[1]) < src_lengths[:, None]
        return MarkovEncoded(mask, torch.zeros(src.shape[0], 1))

    def decode_step(self, y_prev: Tensor, state: Tensor, encoded: MarkovEncoded) -> Step:
        alpha = encoded.mask / encoded.mask.sum(dim=1, keepdim=True)
        return Step(self.log_table[y_prev], state + 1, alpha)

    def forward(self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
        return self.log_table[tgt_in]  # (B, T, V) log-probabilities serve as logits


def pad_batch(sequences: list[list[int]]) -> tuple[Tensor, Tensor]:
    """Token lists → (B, T) padded with <pad>, lengths (B,)."""
    lengths = torch.tensor([len(s) for s in sequences])
    padded = torch.full((len(sequences), int(lengths.max())), PAD)
    for i, s in enumerate(sequences):
        padded[i, : len(s)] = torch.tensor(s)
    return padded, lengths


@pytest.fixture
def markov() -> Callable[[dict[int, dict[int, float]]], MarkovDecoder]:
    """A MarkovDecoder from {y<t−1>: {y<t>: P}} over V = 6 (ids 4, 5 are tokens "a", "b");
    unlisted transitions get probability 1e-6."""

    def make(rows: dict[int, dict[int, float]]) -> MarkovDecoder:
        table = torch.full((6, 6), 1e-6, dtype=torch.float64)
        for prev, row in rows.items():
            for token, p in row.items():
                table[prev, token] = p
        return MarkovDecoder(table)

    return make
