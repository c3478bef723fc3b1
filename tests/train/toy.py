"""A toy task for the trainer's tests: nothing in it is a sequence model."""

import os
import signal
from typing import ClassVar

import torch
from torch import nn


class ToyTask:
    """y = x·w + noise, fitted by a small MLP with dropout (so resuming must restore the RNG)."""

    metrics: ClassVar = {"mse": False, "neg_mse": True}

    def __init__(self, flat_validation: bool = False, interrupt_at: int | None = None,
                 dropout: float = 0.3, sigint_at: int | None = None) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(40, 3, generator=g)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(40, generator=g)
        self.model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Dropout(dropout), nn.Linear(8, 1))
        self.flat_validation, self.interrupt_at, self.calls = flat_validation, interrupt_at, 0
        self.sigint_at = sigint_at

    def batches(self, epoch: int) -> list[torch.Tensor]:
        order = torch.randperm(40, generator=torch.Generator().manual_seed(epoch))
        return list(order.split(6))  # 7 batches, the last one short

    def loss(self, model: nn.Module, batch: torch.Tensor) -> tuple[torch.Tensor, int]:
        self.calls += model.training  # training updates only, not validation
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        if self.calls == self.sigint_at:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of an update
        prediction = model(self.x[batch]).squeeze(-1)
        return ((prediction - self.y[batch]) ** 2).mean(), len(batch)

    def validate(self, model: nn.Module) -> dict[str, float]:
        mse = 1.0 if self.flat_validation else self.loss(model, torch.arange(40))[0].item()
        return {"mse": mse, "neg_mse": -mse}

    def state(self) -> dict:
        return {"kind": "toy"}
