"""Batches: padding sequences to one length, and grouping examples of similar length.

Padding costs computation: a batch of B sequences padded to its longest, T, runs B × T steps.
Putting examples of similar length together keeps B × T close to the real number of tokens, and
batches are cut by a token budget (``max_tokens`` ≥ B × T) rather than a fixed B.
"""

from collections.abc import Sequence
from typing import Any, NamedTuple, TypeVar

import torch
from torch import Tensor

from seqkit.data.errors import DataError

Item = TypeVar("Item")


class Padded(NamedTuple):
    values: Tensor  # (B, T) ids or (B, T, F) features; row b is sequence b, then the pad value
    lengths: Tensor  # (B,) long, the true length of each row


def pad(seqs: Sequence[Any], value: float = 0) -> Padded:
    """Stack ``seqs`` into one tensor padded with ``value`` to the longest length T.

    Token ids (lists or 1-D integer tensors) give (B, T) long; float features, each a (T_b, F)
    tensor (a spectrogram's frames), give (B, T, F) in their dtype. An empty sequence is a row of
    padding.

    >>> pad([[5, 6, 7], [8]])
    Padded(values=tensor([[5, 6, 7],
            [8, 0, 0]]), lengths=tensor([3, 1]))
    """
    tensors = [torch.as_tensor(s) for s in seqs]
    lengths = torch.tensor([len(t) for t in tensors], dtype=torch.long)  # (B,)
    real = [(b, t) for b, t in enumerate(tensors) if len(t)]
    features = _check_alike(real)
    B, T = len(tensors), int(lengths.max()) if tensors else 0
    dtype = torch.long if not real or not real[0][1].is_floating_point() else real[0][1].dtype
    values = torch.full((B, T, *features), value, dtype=dtype)  # (B, T) or (B, T, F)
    for b, t in real:
        values[b, :len(t)] = t
    return Padded(values, lengths)


def _check_alike(real: list[tuple[int, Tensor]]) -> tuple[int, ...]:
    """The feature shape all non-empty sequences share (``()`` for ids); errors name the odd one."""
    if not real:
        return ()
    first = real[0][1]
    for b, t in real:
        if t.dim() not in (1, 2):
            raise DataError(f"pad: expected 1-D ids or (T, F) features, got sequence {b} of "
                            f"shape {tuple(t.shape)}")
        if t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"pad: expected integer ids or float features, got sequence {b} of "
                            f"{t.dtype}")
        if t.shape[1:] != first.shape[1:] or t.is_floating_point() != first.is_floating_point():
            raise DataError(f"pad: sequence {b} ({t.dtype}, shape {tuple(t.shape)}) does not "
                            f"match sequence {real[0][0]} ({first.dtype}, shape "
                            f"{tuple(first.shape)})")
        if t.dim() == 1 and t.is_floating_point():
            raise TypeError(f"pad: expected integer ids or (T, F) features, got 1-D sequence {b} "
                            f"of {t.dtype}")
    return tuple(first.shape[1:])


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


def shard(batches: Sequence[Item], rank: int, world_size: int) -> Sequence[Item]:
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
    return batches[rank:per_rank * world_size:world_size]  # type: ignore[return-value]
