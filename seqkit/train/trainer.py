"""The training loop. Nothing in it is model-specific: a task hands it a model, batches, a loss and
a validation; the trainer does optimisation, validation, early stopping, checkpoints and logging.

A run directory holds ``best.pt`` and ``last.pt`` (see :mod:`seqkit.train.checkpoint`),
``recipe.yaml``, ``log.jsonl`` (one JSON record per log line and per validation) and ``curves.png``.
``fit(resume_from=<loaded last.pt>)`` continues exactly where the run stopped: model, optimiser,
scheduler, RNG states and the position in the epoch's batch order (batches are a pure function of
the epoch, see :meth:`TrainTask.batches`), so N steps + resume N steps equals 2N uninterrupted.
"""

import random
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import torch
from torch import nn

from seqkit.config import require, to_dict, write_yaml
from seqkit.core.optim import make_optimizer
from seqkit.core.schedules import make_schedule, schedule
from seqkit.errors import ConfigError
from seqkit.train import distributed
from seqkit.train.checkpoint import BEST, LAST, save_checkpoint
from seqkit.train.progress import Progress


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
    clip_norm: float | None = 1.0  # clip the global gradient norm to this (None: no clipping)
    valid_every: int = 0  # validate every N updates; 0: at the end of every epoch
    metric: str | None = None  # validation metric that picks best.pt; None: the task's default
    patience: int | None = None  # stop after this many validations without improvement
    log_every: int = 50  # updates between progress lines

    def __post_init__(self) -> None:
        require(self.lr > 0, "train.lr", "> 0", self.lr)
        require(self.weight_decay >= 0, "train.weight_decay", "≥ 0", self.weight_decay)
        require(self.epochs >= 1, "train.epochs", "≥ 1", self.epochs)
        for key in ("max_steps", "patience"):
            value = getattr(self, key)
            require(value is None or value >= 1, f"train.{key}", "≥ 1 or null", value)
        for key, low in (("warmup_steps", 0), ("valid_every", 0), ("log_every", 1)):
            require(getattr(self, key) >= low, f"train.{key}", f"≥ {low}", getattr(self, key))
        require(self.clip_norm is None or self.clip_norm > 0, "train.clip_norm", "> 0 or null",
                self.clip_norm)
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


class TrainTask(Protocol):
    """What the trainer needs from a task; see :mod:`seqkit.tasks` for implementations."""

    model: nn.Module
    metrics: dict[str, bool]  # validation metric name -> higher is better; the first is the default

    def batches(self, epoch: int) -> Sequence[Any]:
        """The training batches of ``epoch``, in order; the same every time for the same epoch."""

    def loss(self, model: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        """(mean loss of ``batch`` computed by calling ``model``, number of target tokens)."""

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Every metric of :attr:`metrics` on the validation split."""

    def state(self) -> dict[str, Any]:
        """Plain data the task needs to rebuild itself for inference (vocabularies, tokenizers)."""


@dataclass
class Position:
    """Where training stands; saved in every checkpoint."""

    step: int = 0  # updates done
    epoch: int = 0  # current epoch
    batch: int = 0  # batches of the current epoch done
    best: float | None = None  # best validation value of the metric so far
    best_step: int = 0
    stale: int = 0  # validations since the best one
    validated_step: int = -1  # step of the last validation


class TrainResult(NamedTuple):
    steps: int
    best: float | None  # best value of the metric
    metric: str
    out_dir: Path


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _rng_state() -> dict[str, Any]:
    numpy_state = np.random.get_state()
    return {"torch": torch.get_rng_state(), "python": random.getstate(),
            "numpy": [torch.from_numpy(numpy_state[1].astype(np.int64)), *numpy_state[2:]]}


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(tuple(v if not isinstance(v, list) else tuple(v) for v in state["python"]))
    keys, *rest = state["numpy"]
    np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), *rest))


@contextmanager
def _deferred_sigint() -> Iterator[Callable[[], bool]]:
    """While active, a first Ctrl-C only raises a flag, which the loop reads between updates (so
    no checkpoint holds a half-applied update); a second one interrupts at once."""
    hits: list[int] = []

    def handler(signum: int, frame: object) -> None:
        hits.append(signum)
        if len(hits) > 1:
            raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # signals reach main only
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(hits)
    finally:
        signal.signal(signal.SIGINT, previous)


class Trainer:
    """Optimises ``task.model`` on ``task.batches`` under ``config``, writing to ``out_dir``."""

    def __init__(self, task: TrainTask, config: TrainConfig, out_dir: str | Path,
                 recipe: Any) -> None:
        self.task, self.config, self.out_dir = task, config, Path(out_dir)
        self.recipe = to_dict(recipe)
        self.metric = config.metric or next(iter(task.metrics))
        if self.metric not in task.metrics:
            raise ConfigError(f"train.metric: unknown metric '{self.metric}' for this task; "
                              f"expected one of {', '.join(task.metrics)}")
        self.model = distributed.wrap(task.model)
        self.optimizer = make_optimizer(config.optimizer, task.model.parameters(), lr=config.lr,
                                        weight_decay=config.weight_decay,
                                        **config.optimizer_options)
        self.scheduler = make_schedule(config.schedule, self.optimizer,
                                       warmup_steps=config.warmup_steps, **config.schedule_options)
        self.position = Position()
        self._interrupted: Callable[[], bool] = lambda: False
        self.progress = Progress(self.out_dir, enabled=distributed.is_main())

    def fit(self, resume_from: dict[str, Any] | None = None) -> TrainResult:
        """Train until ``epochs`` or ``max_steps`` or early stopping; return where it ended.

        ``resume_from`` is a loaded ``last.pt`` to continue from exactly.
        """
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if resume_from is not None:
            self._restore(resume_from)
        if distributed.is_main():
            write_yaml(self.out_dir / "recipe.yaml", self.recipe)
        self.progress.open(fresh=resume_from is None)
        with _deferred_sigint() as self._interrupted:
            try:
                while not self._finished():
                    self._run_epoch()
                if self._interrupted():
                    raise KeyboardInterrupt
                if self.position.validated_step != self.position.step:
                    self._validate()
            except KeyboardInterrupt:
                self._save(LAST)
                self.progress.note(f"interrupted: saved {self.out_dir / LAST}; "
                                   "continue with --resume")
                raise
        self._save(LAST)
        self.progress.close()
        return TrainResult(self.position.step, self.position.best, self.metric, self.out_dir)

    def _finished(self) -> bool:
        p, c = self.position, self.config
        out_of_steps = c.max_steps is not None and p.step >= c.max_steps
        patience_lost = c.patience is not None and p.stale >= c.patience
        return p.epoch >= c.epochs or out_of_steps or patience_lost or self._interrupted()

    def _total_steps(self, per_epoch: int) -> int:
        total = self.config.epochs * per_epoch
        return min(total, self.config.max_steps) if self.config.max_steps else total

    def _run_epoch(self) -> None:
        p, c = self.position, self.config
        batches = distributed.shard(self.task.batches(p.epoch))
        self.progress.start(self._total_steps(len(batches)), p.step)
        for batch in batches[p.batch:]:
            loss, tokens = self._update(batch)
            p.step, p.batch = p.step + 1, p.batch + 1
            lr = self.optimizer.param_groups[0]["lr"]
            self.progress.update(p.step, p.epoch, loss, tokens, lr, log=p.step % c.log_every == 0)
            if c.valid_every and p.step % c.valid_every == 0:
                self._validate()
            if self._finished():
                return
        if not c.valid_every and p.validated_step != p.step:
            self._validate()
        if c.schedule_unit == "epoch":
            self.scheduler.step()
        p.epoch, p.batch = p.epoch + 1, 0

    def _update(self, batch: Any) -> tuple[float, int]:
        self.model.train()
        loss, tokens = self.task.loss(self.model, batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"Trainer: loss is {loss.item()} at step {self.position.step}"
                                     "; lower train.lr or set train.clip_norm")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.clip_norm is not None:
            nn.utils.clip_grad_norm_(self.task.model.parameters(), self.config.clip_norm)
        self.optimizer.step()
        if self.config.schedule_unit == "step":
            self.scheduler.step()
        return loss.item(), tokens

    def _validate(self) -> None:
        p = self.position
        scores: dict[str, float] = {}
        if distributed.is_main():
            self.task.model.eval()
            with torch.no_grad():
                scores = self.task.validate(self.task.model)
        p.validated_step = p.step  # only now: a validation cut short is run again on resume
        if distributed.is_main():
            value = scores[self.metric]
            better = p.best is None or (value > p.best if self.task.metrics[self.metric]
                                        else value < p.best)
            if better:
                p.best, p.best_step, p.stale = value, p.step, 0
                self._save(BEST)
            else:
                p.stale += 1
            self.progress.validation(p.step, scores, self.metric, better)
            self._save(LAST)
        p.stale = distributed.broadcast_int(p.stale)

    def _save(self, name: str) -> None:
        if not distributed.is_main():
            return
        save_checkpoint(self.out_dir / name, {
            "recipe": self.recipe,
            "task": self.task.state(),
            "model": self.task.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "progress": to_dict(self.position),
            "rng": _rng_state(),
        })

    def _restore(self, checkpoint: dict[str, Any]) -> None:
        self.task.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.scheduler.load_state_dict(checkpoint["scheduler"])
        self.position = Position(**checkpoint["progress"])
        _set_rng_state(checkpoint["rng"])
        self.progress.note(f"resumed from {self.out_dir / LAST} at step {self.position.step}")

