"""The recipe's ``train:`` section: optimisation, limits, validation, devices and precision."""

from dataclasses import dataclass, field
from typing import Literal

import torch

from seqkit.config import require
from seqkit.core.optim import make_optimizer
from seqkit.core.schedules import schedule
from seqkit.errors import ConfigError


@dataclass
class TrainConfig:
    """The recipe's ``train:`` section."""

    optimizer: str = "adam"  # sgd|momentum|nesterov|adagrad|rmsprop|adam (seqkit.core.optim)
    lr: float = 1e-3  # α, the learning rate
    weight_decay: float = 0.0  # λ' added as λ'·W to every gradient (coupled L2 decay)
    optimizer_options: dict[str, float] = field(default_factory=dict)  # e.g. {beta2: 0.98}
    schedule: str = "constant"  # constant|inverse_time|exponential|inverse_sqrt|staircase
    schedule_options: dict[str, float] = field(default_factory=dict)  # e.g. {base: 0.95}
    schedule_unit: Literal["step", "epoch"] = "step"  # what the schedule's "epoch" counts
    warmup_steps: int = 0  # linear warm-up from 0 to α over this many steps
    epochs: int = 10  # passes over the training data
    max_steps: int | None = None  # stop after this many updates (whichever limit comes first)
    max_time: float | None = None  # stop after this many minutes of training (wall clock)
    accumulate: int = 1  # batches whose gradients add up to one update
    clip_norm: float | None = 1.0  # clip the global gradient norm to this (None: no clipping)
    valid_every: int = 0  # validate every N updates; 0: at the end of every epoch
    metric: str | None = None  # validation metric that picks best.pt; None: the task's default
    patience: int | None = None  # stop after this many validations without improvement
    keep_checkpoints: int = 0  # also keep the model of each of the last N validations, to average
    log_every: int = 50  # updates between progress lines
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"  # auto: a GPU when there is one
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # bf16/fp16: autocast (fp16 + scaler)
    threads: int | None = None  # torch's CPU threads; None: torch's default (all cores)

    def __post_init__(self) -> None:
        require(self.lr > 0, "train.lr", "> 0", self.lr)
        require(self.weight_decay >= 0, "train.weight_decay", "≥ 0", self.weight_decay)
        require(self.epochs >= 1, "train.epochs", "≥ 1", self.epochs)
        for key in ("max_steps", "patience", "threads"):
            value = getattr(self, key)
            require(value is None or value >= 1, f"train.{key}", "≥ 1 or null", value)
        for key, low in (("warmup_steps", 0), ("valid_every", 0), ("log_every", 1),
                         ("accumulate", 1), ("keep_checkpoints", 0)):
            require(getattr(self, key) >= low, f"train.{key}", f"≥ {low}", getattr(self, key))
        for key in ("clip_norm", "max_time"):
            value = getattr(self, key)
            require(value is None or value > 0, f"train.{key}", "> 0 or null", value)
        probe = [torch.zeros(1, requires_grad=True)]  # names and options checked by their owners
        for key, build in (
            ("optimizer", lambda: make_optimizer(self.optimizer, probe, lr=self.lr,
                                                 **self.optimizer_options)),
            ("schedule", lambda: schedule(self.schedule, warmup_steps=self.warmup_steps,
                                          **self.schedule_options)),
        ):
            try:
                build()
            except (TypeError, ValueError) as error:
                raise ConfigError(f"train.{key}: {error}") from None


# What may change between a run and its --resume, for every task (a task adds its own keys).
RESUMABLE = ("train.epochs", "train.max_steps", "train.max_time", "train.patience",
             "train.valid_every", "train.log_every", "train.device", "train.threads",
             "train.keep_checkpoints")
