"""Data-parallel training under ``torchrun`` (DistributedDataParallel; gloo on CPU).

    torchrun --standalone --nproc-per-node 2 -m seqkit train recipes/dates.yaml

starts one process per worker; each one builds the same model from the same seed, takes every
``world_size``-th batch of the epoch, and DDP averages the gradients. Rank 0 alone validates,
logs and writes checkpoints.
Outside torchrun every function here is the identity of a single process.
"""

import os
from collections.abc import Sequence
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn

from seqkit import data

B = TypeVar("B")


def init() -> None:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")


def world() -> tuple[int, int]:
    """(rank, world_size) of this process."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    return world()[0] == 0


def wrap(model: nn.Module) -> nn.Module:
    """``model`` wrapped in DistributedDataParallel when there are several workers."""
    return nn.parallel.DistributedDataParallel(model) if world()[1] > 1 else model


def shard(batches: Sequence[B]) -> Sequence[B]:
    """This worker's share of the epoch's batches (see :func:`seqkit.data.shard`)."""
    rank, size = world()
    return batches if size == 1 else data.shard(batches, rank, size)


def broadcast_int(value: int) -> int:
    """Rank 0's ``value`` on every worker (e.g. the early-stopping count)."""
    if world()[1] == 1:
        return value
    tensor = torch.tensor([value])
    dist.broadcast(tensor, src=0)
    return int(tensor.item())
