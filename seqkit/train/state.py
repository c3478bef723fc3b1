"""Where a run stands (:class:`Position`) and the random state, as plain data for checkpoints."""

import random
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


@dataclass
class Position:
    """Where training stands; saved in every checkpoint."""

    step: int = 0  # updates done
    epoch: int = 0  # current epoch
    batch: int = 0  # batches of the current epoch consumed, by all workers together
    best: float | None = None  # best validation value of the metric so far
    best_step: int = 0
    stale: int = 0  # validations since the best one
    validated_step: int = -1  # step of the last finished validation
    world_size: int = 1  # workers that trained the last step


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (CPU and GPUs)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class RandomState:
    """A snapshot of every global generator, cheap enough to take before each update."""

    def __init__(self) -> None:
        self.torch = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []
        self.python = random.getstate()
        self.numpy = np.random.get_state()

    def to_plain(self) -> dict[str, Any]:
        """Tensors and plain data only (loadable with ``weights_only=True``)."""
        version, keys, *rest = self.numpy
        return {"torch": self.torch, "cuda": self.cuda, "python": self.python,
                "numpy": [version, torch.from_numpy(keys.astype(np.int64)), *rest]}

    @staticmethod
    def restore(state: dict[str, Any]) -> None:
        """Put the generators back as :meth:`to_plain` saw them."""
        torch.set_rng_state(state["torch"])
        if state.get("cuda") and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
        random.setstate(_tuples(state["python"]))
        version, keys, *rest = state["numpy"]
        np.random.set_state((version, keys.numpy().astype(np.uint32), *rest))


def _tuples(value: Any) -> Any:
    """Lists back to the tuples Python's random state is made of (a checkpoint keeps lists)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list | tuple) else value
