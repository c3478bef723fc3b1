"""Batches: padding sequences to one length, and grouping examples of similar length.

Padding costs computation: a batch of B sequences padded to its longest, T, runs B × T steps.
Putting examples of similar length together keeps B × T close to the real number of tokens, and
batches are cut by a token budget (``max_tokens`` ≥ B × T) rather than a fixed B.
"""

from collections.abc import Sequence
from typing import NamedTuple, TypeVar

import torch
from torch import Tensor

from seqkit.data.errors import DataError

Item = TypeVar("Item")


class Padded(NamedTuple):
    ids: Tensor  # (B, T) long, row b is sequence b followed by pad_id
    lengths: Tensor  # (B,) long, the true length of each row


def pad(seqs: Sequence[Sequence[int]], pad_id: int = 0) -> Padded:
    """Stack ``seqs`` (lists or 1-D tensors of ids) into one (B, T) tensor, T the longest length.

    >>> pad([[5, 6, 7], [8]])
    Padded(ids=tensor([[5, 6, 7],
            [8, 0, 0]]), lengths=tensor([3, 1]))
    """
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)  # (B,)
    B, T = len(seqs), int(lengths.max()) if len(seqs) else 0
    ids = torch.full((B, T), pad_id, dtype=torch.long)  # (B, T)
    for b, seq in enumerate(seqs):
        if len(seq) == 0:
            continue
        values = torch.as_tensor(seq)
        if values.dim() != 1:
            raise DataError(f"pad: expected each sequence to be 1-D, got sequence {b} of shape "
                            f"{tuple(values.shape)}")
        if values.is_floating_point() or values.is_complex() or values.dtype == torch.bool:
            raise TypeError(f"pad: expected integer ids, got sequence {b} of {values.dtype}")
        ids[b, :len(seq)] = values
    return Padded(ids, lengths)


def token_batches(lengths: Sequence[int], max_tokens: int, shuffle: bool = True,
                  generator: torch.Generator | None = None) -> list[list[int]]:
    """Batches of example indices, each of similar lengths and padded size B × T ≤ ``max_tokens``.

    ``lengths[i]`` is example i's length in tokens (take the longer side of a pair). The examples
    are sorted by length, then cut greedily: a batch grows while (its size + 1) × (the new longest
    length) fits the budget. An example longer than ``max_tokens`` gets a batch of its own; an
    empty example counts as length 1, so even a batch of empty examples has at most max_tokens.

    With ``shuffle`` examples of equal length are sorted in random order, and the batches come in
    random order, both drawn from ``generator`` (torch's global generator if None): the same
    generator state gives the same batches. Without it the order is by length, then index.
    Every index appears in exactly one batch.
    """
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise TypeError(f"token_batches: max_tokens must be an int, got {max_tokens!r}")
    if max_tokens < 1:
        raise DataError(f"token_batches: max_tokens must be ≥ 1, got {max_tokens}")
    if any(n < 0 for n in lengths):
        raise DataError(f"token_batches: lengths must be ≥ 0, got {min(lengths)}")
    n = len(lengths)
    start = torch.randperm(n, generator=generator).tolist() if shuffle else range(n)
    order = sorted(start, key=lambda i: lengths[i])  # stable: equal lengths keep `start` order
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in order:
        longest = max(lengths[i], 1)  # ascending order: the newest example is the longest
        if batch and (len(batch) + 1) * longest > max_tokens:
            batches.append(batch)
            batch = []
        batch.append(i)
    if batch:
        batches.append(batch)
    if shuffle:
        batches = [batches[j] for j in torch.randperm(len(batches), generator=generator).tolist()]
    return batches


def shard(batches: Sequence[Item], rank: int, world_size: int) -> list[Item]:
    """Rank ``rank``'s share of ``batches`` among ``world_size`` data-parallel workers.

    Rank r takes batches r, r + world_size, r + 2·world_size, …; every rank gets the same number,
    ⌊len(batches) / world_size⌋, so that all take the same number of optimiser steps (a rank with
    one batch more would wait forever for the others' gradients). The last len(batches) mod
    world_size batches are dropped: shuffle the batches each epoch so that different ones are.
    """
    for name, value in (("rank", rank), ("world_size", world_size)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"shard: {name} must be an int, got {value!r}")
    if world_size < 1:
        raise DataError(f"shard: world_size must be ≥ 1, got {world_size}")
    if not 0 <= rank < world_size:
        raise DataError(f"shard: rank must be in [0, {world_size}), got {rank}")
    per_rank = len(batches) // world_size
    return list(batches[rank:per_rank * world_size:world_size])
