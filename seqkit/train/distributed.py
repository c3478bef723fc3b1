"""Data-parallel training under ``torchrun`` (DistributedDataParallel; gloo on CPU, NCCL on GPUs).

    torchrun --standalone --nproc-per-node 2 -m seqkit train recipes/dates.yaml

starts one process per worker; each one builds the same model from the same seed and takes every
``world_size``-th batch of the epoch; DDP adds up the gradients. The trainer then divides them by
the target tokens of *all* workers (:func:`all_sum`), so an update equals one process's update on
the union of the workers' batches, whatever their sizes. Rank 0 alone validates, logs and writes
checkpoints. Outside torchrun every function here is the identity of a single process.
"""

import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn

from seqkit import data

B = TypeVar("B")


def init(device: torch.device | None = None) -> None:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1): NCCL when this worker
    trains on a CUDA device, gloo otherwise."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device is not None and device.type == "cuda"
                                else "gloo")


def world() -> tuple[int, int]:
    """(rank, world_size) of this process."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def local_rank() -> int:
    """This worker's index on its machine (torchrun's LOCAL_RANK): which GPU it takes."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main() -> bool:
    return world()[0] == 0


def wrap(model: nn.Module) -> nn.Module:
    """``model`` wrapped in DistributedDataParallel when there are several workers."""
    if world()[1] == 1:
        return model
    device = next(model.parameters()).device
    return nn.parallel.DistributedDataParallel(
        model, device_ids=[device] if device.type == "cuda" else None)


def shard(batches: Sequence[B]) -> Sequence[B]:
    """This worker's share of a sequence of batches (see :func:`seqkit.data.shard`): slicing
    keeps its type, so a :class:`~seqkit.data.BatchLoader` loads only this worker's batches."""
    rank, size = world()
    return batches if size == 1 else data.shard(batches, rank, size)


def shard_stream(stream: Iterable[B]) -> Iterator[B]:
    """This worker's share of a stream: of every W consecutive batches, rank r takes the r-th.

    Every rank reads the whole stream, so that after k steps each has consumed k·W batches and
    the stream's position is the same on all ranks (rank 0's saved position resumes every rank,
    under any world size). A final group of fewer than W batches is dropped.
    """
    rank, size = world()
    if size == 1:
        yield from stream
        return
    iterator = iter(stream)
    while len(group := list(islice(iterator, size))) == size:
        yield group[rank]


def all_sum(values: list[float]) -> list[float]:
    """The element-wise sum of ``values`` over all workers (float64)."""
    if world()[1] == 1:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=_collective_device())
    dist.all_reduce(tensor)
    return tensor.tolist()


def all_max(value: float) -> float:
    """The largest ``value`` over all workers."""
    if world()[1] == 1:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=_collective_device())
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return tensor.item()


def broadcast_int(value: int) -> int:
    """Rank 0's ``value`` on every worker (e.g. the early-stopping count)."""
    if world()[1] == 1:
        return value
    tensor = torch.tensor([value], device=_collective_device())
    dist.broadcast(tensor, src=0)
    return int(tensor.item())


def _collective_device() -> torch.device:
    """Where a tensor sent between workers lives: NCCL moves only GPU tensors."""
    nccl = dist.get_backend() == "nccl"
    return torch.device("cuda", local_rank()) if nccl else torch.device("cpu")
