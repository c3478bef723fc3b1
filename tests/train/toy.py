"""Toy tasks for the trainer's tests: nothing in them is a sequence model.

:class:`ToyTask` is a regression y = x·w + noise whose epochs come as a list, a resumable stream
or a plain iterable; hooks (``at={call: hook}``) make the n-th training loss fail, signal or turn
nan. :class:`PairToyTask` makes its own two-optimizer update, like a GAN.
"""

import os
import signal
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

Hook = Callable[[torch.Tensor], torch.Tensor]
UNEQUAL = (2, 9, 5, 3, 8, 1, 7, 5)  # 40 examples in 8 batches of unequal sizes


def raising(error: BaseException) -> Hook:
    """A hook that raises ``error`` (after the forward pass: buffers and RNG have moved)."""
    def hook(loss: torch.Tensor) -> torch.Tensor:
        raise error
    return hook


def signalling(signum: int = signal.SIGINT) -> Hook:
    """A hook that sends ``signum`` to this process in the middle of an update."""
    def hook(loss: torch.Tensor) -> torch.Tensor:
        os.kill(os.getpid(), signum)
        return loss
    return hook


def non_finite(loss: torch.Tensor) -> torch.Tensor:
    return loss * float("nan")


class Stream:
    """One epoch's batches read one at a time, with its position as state (like a corpus on
    disk); every position it reads is appended to ``reads``."""

    def __init__(self, batches: list[torch.Tensor], reads: list[int]) -> None:
        self.batches, self.reads, self.position = batches, reads, 0

    def __iter__(self) -> Iterator[torch.Tensor]:
        while self.position < len(self.batches):
            self.reads.append(self.position)
            self.position += 1
            yield self.batches[self.position - 1]

    def state_dict(self) -> dict[str, int]:
        return {"position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.position = state["position"]


class ToyTask:
    """y = x·w + noise, fitted by a small MLP with dropout (so resuming must restore the RNG) and
    optionally batch norm (so an update cut short must restore its running statistics)."""

    metrics: ClassVar = {"mse": False, "neg_mse": True}

    def __init__(self, flat_validation: bool = False, dropout: float = 0.3, norm: bool = False,
                 sizes: tuple[int, ...] = (6,) * 6 + (4,), source: str = "list",
                 at: dict[int, Hook] | None = None, fail_validation_at: int | None = None) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(40, 3, generator=g)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(40, generator=g)
        self.model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8) if norm else nn.Identity(),
                                   nn.Tanh(), nn.Dropout(dropout), nn.Linear(8, 1))
        self.flat_validation, self.sizes, self.source = flat_validation, list(sizes), source
        self.at, self.fail_validation_at = at or {}, fail_validation_at
        self.calls = self.validations = 0  # training losses and validations computed
        self.seen: list[torch.Tensor] = []  # every training batch, in order
        self.reads: list[int] = []  # positions read from streams

    def batches(self, epoch: int) -> Any:
        order = torch.randperm(40, generator=torch.Generator().manual_seed(epoch))
        batches = list(order.split(self.sizes))  # by default 7 batches, the last one short
        if self.source == "stream":
            return Stream(batches, self.reads)
        return iter(batches) if self.source == "iterable" else batches

    def loss(self, model: nn.Module, batch: torch.Tensor) -> tuple[torch.Tensor, int]:
        if model.training:
            self.calls += 1
            self.seen.append(batch.cpu())
        x, y = self.x.to(batch.device), self.y.to(batch.device)
        loss = ((model(x[batch]).squeeze(-1) - y[batch]) ** 2).mean()
        if model.training and self.calls in self.at:
            loss = self.at[self.calls](loss)
        return loss, len(batch)

    def validate(self, model: nn.Module) -> dict[str, float]:
        self.validations += 1
        if self.validations == self.fail_validation_at:
            raise OSError(28, "No space left on device")
        device = next(model.parameters()).device
        mse = 1.0 if self.flat_validation else self.loss(model, torch.arange(40, device=device))[
            0].item()
        return {"mse": mse, "neg_mse": -mse}

    def state(self) -> dict:
        return {"kind": "toy"}


class PairToyTask:
    """A GAN in miniature: a critic ``d`` (2 → 1) tells real points from a generator ``g``'s
    (3 → 2); each update steps ``d`` on real and generated points, then ``g`` to fool ``d``.

    d's loss: softplus(-d(x)) + softplus(d(g(z))) (the non-saturating GAN losses), g's loss:
    softplus(-d(g(z))), with z ~ N(0, I) drawn from the global generator (resume restores it).
    """

    metrics: ClassVar = {"g_loss": False}

    def __init__(self) -> None:
        g = torch.Generator().manual_seed(1)
        self.real = torch.tensor([2.0, -1.0]) + 0.5 * torch.randn(40, 2, generator=g)
        self.z_valid = torch.randn(16, 3, generator=g)
        self.model = nn.ModuleDict({"d": nn.Linear(2, 1), "g": nn.Linear(3, 2)})

    def parts(self) -> dict[str, nn.Module]:
        return {"d": self.model["d"], "g": self.model["g"]}

    def batches(self, epoch: int) -> list[torch.Tensor]:
        return list(torch.randperm(40, generator=torch.Generator().manual_seed(epoch)).split(8))

    def update(self, parts: dict[str, nn.Module], batch: torch.Tensor,
               optimize: Callable[[str, torch.Tensor], None]) -> tuple[torch.Tensor, int]:
        d, g = parts["d"], parts["g"]
        fake = g(torch.randn(len(batch), 3, device=batch.device))
        real = self.real.to(batch.device)[batch]
        d_loss = F.softplus(-d(real)).mean() + F.softplus(d(fake.detach())).mean()
        optimize("d", d_loss)
        g_loss = F.softplus(-d(fake)).mean()
        optimize("g", g_loss)
        return (d_loss + g_loss).detach(), len(batch)

    def loss(self, model: nn.Module, batch: torch.Tensor) -> tuple[torch.Tensor, int]:
        raise AssertionError("PairToyTask makes its own updates")

    def validate(self, model: nn.Module) -> dict[str, float]:
        fake = model["g"](self.z_valid)
        return {"g_loss": F.softplus(-model["d"](fake)).mean().item()}

    def state(self) -> dict:
        return {"kind": "pair"}
