"""Where and in what precision a model runs: ``train.device``, ``train.precision``, ``--device``."""

import dataclasses
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import torch

from seqkit.errors import ConfigError

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(name: str, index: int = 0) -> torch.device:
    """The device called ``name``: ``auto`` takes CUDA, then MPS, when present, else the CPU.

    ``index`` picks the GPU (torchrun's LOCAL_RANK). Asking for a device that is not there is a
    one-line :class:`ConfigError`.
    """
    available = {"cuda": torch.cuda.is_available(),
                 "mps": torch.backends.mps.is_available(), "cpu": True}
    if name == "auto":
        name = next(kind for kind in ("cuda", "mps", "cpu") if available[kind])
    if name not in available:
        raise ConfigError(f"device: expected auto, cpu, cuda or mps, got {name!r}")
    if not available[name]:
        raise ConfigError(f"device: {name} requested, but this machine has no {name} device")
    return torch.device(name, index) if name == "cuda" else torch.device(name)


def to_device(batch: Any, device: torch.device) -> Any:
    """``batch`` with every tensor in it moved to ``device`` (through tuples, named tuples,
    lists, dicts and dataclasses); everything else as it is."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device) for v in batch))
    if isinstance(batch, list | tuple):
        return type(batch)(to_device(v, device) for v in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if dataclasses.is_dataclass(batch) and not isinstance(batch, type):
        return dataclasses.replace(batch, **{f.name: to_device(getattr(batch, f.name), device)
                                             for f in dataclasses.fields(batch) if f.init})
    return batch


def autocast(device: torch.device, precision: str) -> AbstractContextManager:
    """Mixed precision for the forward pass: matrix products in bf16/fp16, reductions in fp32."""
    if precision == "fp32":
        return nullcontext()
    return torch.autocast(device.type, dtype=PRECISIONS[precision])


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler:
    """fp16's loss scaler (its gradients underflow without it); disabled for fp32 and bf16."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")
