"""The training loop. Nothing in it is model-specific: a task hands it a model, batches, a loss and
a validation; the trainer does optimisation, validation, early stopping, checkpoints and logging.

A run directory holds ``best.pt`` and ``last.pt`` (see :mod:`seqkit.train.checkpoint`),
``recipe.yaml``, ``log.jsonl`` (one JSON record per log line and per validation) and ``curves.png``;
with ``train.keep_checkpoints: N`` also ``step-NNNNNNN.pt``, the models of the last N validations
(inference checkpoints for ``seqkit average``).
``fit(resume_from=<loaded last.pt>)`` continues exactly where the run stopped: model, optimisers,
schedulers, random state, the progress window and the position in the epoch (an index into a
sequence of batches, or a stream's own saved position), so N steps + resume N steps equals 2N.

Whatever stops a run between updates (Ctrl-C, SIGTERM, ``max_time``, a non-finite loss, a full
disk, a broken pipe) saves ``last.pt`` as of the last whole update, and says so. Only an
interruption while an update is being applied keeps the previous ``last.pt``.
"""

from collections.abc import Callable, Iterable, Sequence, Sized
from contextlib import nullcontext, suppress
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import torch
from torch import nn

from seqkit.config import to_dict, write_yaml
from seqkit.core.optim import make_optimizer
from seqkit.core.schedules import make_schedule
from seqkit.errors import CheckpointError, ConfigError, SeqkitError
from seqkit.train import distributed
from seqkit.train.checkpoint import BEST, FORMAT, LAST, load_model_state, save_checkpoint
from seqkit.train.config import TrainConfig
from seqkit.train.device import autocast, grad_scaler, resolve_device, to_device
from seqkit.train.progress import Progress
from seqkit.train.rundir import STEP_PREFIX, RunDirectory
from seqkit.train.signals import Interrupted, StopFlag, deferred_signals
from seqkit.train.state import Position, RandomState

Optimize = Callable[[str, torch.Tensor], None]


class TrainTask(Protocol):
    """What the trainer needs from a task; see :mod:`seqkit.tasks` for implementations.

    Two optional methods change how an update is made. ``parts() -> dict[str, nn.Module]`` names
    the modules that get an optimizer each (default: ``{"model": model}``); ``update(parts, batch,
    optimize) -> (loss, count)`` makes the update itself, calling ``optimize(name, loss)`` once per
    part to step (a GAN: the discriminator, then the generator). Without ``update``, an update is
    ``loss`` on ``train.accumulate`` batches and one optimizer step. A task with an attribute
    ``run_dir`` is told the run directory there before training (to write files beside its
    checkpoints, such as a GAN's sample grids). ``unit`` (default "tokens") names what the
    count of ``loss`` counts, for the progress lines ("sentences", "images", …).
    """

    model: nn.Module
    metrics: dict[str, bool]  # validation metric name -> higher is better; the first is the default

    def batches(self, epoch: int) -> Sequence[Any] | Iterable[Any]:
        """The training batches of ``epoch``: a sequence (the same every time for the same epoch),
        or a stream; a stream with ``state_dict()``/``load_state_dict()`` resumes from its saved
        position, any other is skipped forward on resume."""

    def loss(self, model: nn.Module, batch: Any) -> tuple[torch.Tensor, int]:
        """(mean loss of ``batch`` computed by calling ``model``, number of targets it averages)."""

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Every metric of :attr:`metrics` on the validation split."""

    def state(self) -> dict[str, Any]:
        """Plain data the task needs to rebuild itself for inference (vocabularies, tokenizers)."""


class TrainResult(NamedTuple):
    steps: int
    best: float | None  # best value of the metric
    metric: str
    out_dir: Path
    finished_before: bool = False  # a resumed run that had already finished: nothing was done


class NonFiniteLoss(SeqkitError, FloatingPointError):
    """The loss became nan or inf: the run stops (its last.pt holds the step before)."""


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
        if config.threads:
            torch.set_num_threads(config.threads)
        self.device = resolve_device(config.device, distributed.local_rank())
        distributed.init(self.device)
        task.model.to(self.device)
        parts = task.parts() if hasattr(task, "parts") else {"model": task.model}
        if hasattr(task, "update") and config.accumulate > 1:
            raise ConfigError(f"train.accumulate: this task makes its own updates; expected 1, "
                              f"got {config.accumulate}")
        self.parts = {name: distributed.wrap(module) for name, module in parts.items()}
        self.optimizers = {name: make_optimizer(
            config.optimizer, module.parameters(), lr=config.lr,
            weight_decay=config.weight_decay, **config.optimizer_options)
            for name, module in parts.items()}
        self.schedulers = {name: make_schedule(config.schedule, optimizer,
                                               warmup_steps=config.warmup_steps,
                                               **config.schedule_options)
                           for name, optimizer in self.optimizers.items()}
        self.scaler = grad_scaler(self.device, config.precision)
        self.position = Position(world_size=distributed.world()[1])
        self.progress = Progress(self.out_dir, enabled=distributed.is_main(),
                                 unit=getattr(task, "unit", "tokens"))
        self.run = RunDirectory(self.out_dir)
        self.stop = StopFlag()
        self._stopping = self._time_up = False
        self._signum = 0  # the signal that stopped training, agreed by all workers
        self._source: Any = None  # this epoch's batches
        self._stream_state: Any = None  # a restored stream position, used once
        self._boundary: tuple[RandomState, dict[str, torch.Tensor], Any] | None = None
        self._in_update = self._applying = False

    # --- the run ------------------------------------------------------------------------------
    def fit(self, resume_from: dict[str, Any] | None = None,
            overwrite: bool = False) -> TrainResult:
        """Train until ``epochs``, ``max_steps``, ``max_time`` or early stopping; return where it
        ended. ``resume_from`` is a loaded ``last.pt`` to continue from exactly; ``overwrite``
        first removes what an earlier run left in ``out_dir``."""
        if resume_from is not None:
            self._restore(resume_from)
            if self._finished() and self.position.validated_step == self.position.step:
                return self._result(finished_before=True)
            self.progress.note(f"resumed from {self.out_dir / LAST} at step {self.position.step}")
        if hasattr(self.task, "run_dir"):
            self.task.run_dir = self.out_dir
        if distributed.is_main():
            self.run.open()
        try:
            if overwrite:
                self.run.clear()
            if distributed.is_main():
                write_yaml(self.out_dir / "recipe.yaml", self.recipe)
            p = self.position
            self.progress.open(None if resume_from is None else p.step, p.validated_step)
            with deferred_signals() as self.stop:
                self._train(resumed=resume_from is not None)
        finally:
            self.run.close()
        return self._result()

    def _result(self, finished_before: bool = False) -> TrainResult:
        p = self.position
        return TrainResult(p.step, p.best, self.metric, self.out_dir, finished_before)

    def _train(self, resumed: bool) -> None:
        p, c = self.position, self.config
        try:
            if resumed and c.valid_every and p.step and p.step % c.valid_every == 0 \
                    and p.validated_step != p.step:
                self._validate()  # a validation cut short runs again
            while not self._finished():
                self._run_epoch()
            if self._stopping:
                raise Interrupted(self._signum)
            if p.validated_step != p.step:
                self._validate()
            self._save(LAST)
            self.progress.close()
        except BaseException as error:
            self._save_after(error)
            raise

    def _finished(self) -> bool:
        p, c = self.position, self.config
        out_of_steps = c.max_steps is not None and p.step >= c.max_steps
        patience_lost = c.patience is not None and p.stale >= c.patience
        return (p.epoch >= c.epochs or out_of_steps or patience_lost or self._time_up
                or self._stopping)

    def _save_after(self, error: BaseException) -> None:
        """Keep what training did before ``error``: save last.pt unless ``error`` came while an
        update was being applied (then the model holds half of it; keep the previous last.pt)."""
        p = self.position
        if self._applying:
            message = (f"stopped while applying update {p.step + 1}: kept the previous "
                       f"{self.out_dir / LAST}")
        else:
            try:
                self._save(LAST)
                message = f"saved {self.out_dir / LAST} at step {p.step}; continue with --resume"
            except SeqkitError as failure:
                if isinstance(error, SeqkitError):
                    return  # the error's own line says what failed (a full disk, say)
                message = f"could not save {LAST}: {failure}"
        stopped = "interrupted" if isinstance(error, KeyboardInterrupt) else "stopped by an error"
        with suppress(OSError):  # stderr itself may be what failed
            self.progress.note(f"{stopped}: {message}")

    # --- an epoch -----------------------------------------------------------------------------
    def _run_epoch(self) -> None:
        p, c = self.position, self.config
        _, world_size = distributed.world()
        per_step = world_size * c.accumulate  # batches of the epoch one update consumes
        batches, per_epoch = self._epoch_batches(per_step)
        total = None if per_epoch is None else c.epochs * per_epoch
        if c.max_steps is not None:
            total = c.max_steps if total is None else min(total, c.max_steps)
        self.progress.start(total, p.step)
        iterator = iter(batches)
        while True:
            self._take_boundary()
            group = list(islice(iterator, c.accumulate))
            if not self._agree_to_continue(len(group) == c.accumulate):
                # stopped with the next group read but unused: save the stream's position
                # before it (the boundary), not after
                self._in_update = self._stopping or self._time_up
                break
            loss, tokens = self._update(group)
            lr = next(iter(self.optimizers.values())).param_groups[0]["lr"]
            self.progress.update(p.step, p.epoch, loss, tokens, lr, log=p.step % c.log_every == 0)
            if c.valid_every and p.step % c.valid_every == 0:
                self._validate()
            if self._finished():
                return
        if self._stopping or self._time_up:
            return
        if not c.valid_every and p.validated_step != p.step:
            self._validate()
        if c.schedule_unit == "epoch":
            for scheduler in self.schedulers.values():
                scheduler.step()
        p.epoch, p.batch = p.epoch + 1, 0

    def _epoch_batches(self, per_step: int) -> tuple[Iterable[Any], int | None]:
        """This worker's batches for the rest of the epoch, and the epoch's updates (if known)."""
        p = self.position
        self._source = source = self.task.batches(p.epoch)
        per_epoch = len(source) // per_step if isinstance(source, Sized) else None
        if isinstance(source, Sequence):
            return distributed.shard(source[p.batch:]), per_epoch
        if p.batch and self._stream_state is not None and hasattr(source, "load_state_dict"):
            source.load_state_dict(self._stream_state)
            stream: Iterable[Any] = source
        else:
            stream = islice(source, p.batch, None)  # a stream without a position: skip ahead
        self._stream_state = None
        return distributed.shard_stream(stream), per_epoch

    def _agree_to_continue(self, have_batch: bool) -> bool:
        """Whether every worker has a batch and no worker was told to stop (Ctrl-C, SIGTERM,
        max_time): all take the same number of steps, and stop after the same one."""
        limit = self.config.max_time
        time_up = limit is not None and self.progress.elapsed() >= 60 * limit
        have, stop, late = distributed.all_sum([float(have_batch), float(bool(self.stop)),
                                                float(time_up)])
        self._stopping, self._time_up = stop > 0, late > 0
        if self._stopping:  # every worker exits with the same code, whichever got the signal
            self._signum = int(distributed.all_max(float(self.stop.signum if self.stop else 0)))
        return have == distributed.world()[1] and not (self._stopping or self._time_up)

    def _take_boundary(self) -> None:
        """Remember the state between updates that the update itself may change before it is
        applied: random generators (dropout), buffers (batch-norm statistics), stream position."""
        source = self._source
        stream = source.state_dict() if hasattr(source, "state_dict") and not isinstance(
            source, Sequence) else None
        buffers = {name: b.detach().clone() for name, b in self.task.model.named_buffers()}
        self._boundary = (RandomState(), buffers, stream)

    # --- an update ----------------------------------------------------------------------------
    def _update(self, group: list[Any]) -> tuple[float, int]:
        """One update from ``group`` (``train.accumulate`` batches); (mean loss, targets) over
        all workers. Gradients are summed per target, then divided by the targets of all
        workers, so that any batch sizes on any number of workers give one process's update."""
        p = self.position
        self._in_update = True
        if hasattr(self.task, "update"):
            batch = to_device(group[0], self.device)
            with autocast(self.device, self.config.precision):
                loss, count = self.task.update(self.parts, batch, self._optimize)
            loss_sum, tokens = distributed.all_sum([float(loss) * count, float(count)])
        else:
            model, optimizer = self.parts["model"], self.optimizers["model"]
            model.train()
            optimizer.zero_grad(set_to_none=True)
            loss_sum = tokens = 0.0
            for i, batch in enumerate(group):
                last = i == len(group) - 1
                with nullcontext() if last or not hasattr(model, "no_sync") else model.no_sync():
                    with autocast(self.device, self.config.precision):
                        loss, n = self.task.loss(model, to_device(batch, self.device))
                    self._check_finite(loss)
                    self.scaler.scale(loss * n).backward()
                loss_sum, tokens = loss_sum + loss.item() * n, tokens + n
            loss_sum, tokens = distributed.all_sum([loss_sum, tokens])
            self._step("model", distributed.world()[1] / max(tokens, 1.0))
        self.scaler.update()
        p.step, p.batch = p.step + 1, p.batch + distributed.world()[1] * len(group)
        p.world_size = distributed.world()[1]
        self._in_update = self._applying = False
        return loss_sum / max(tokens, 1.0), int(tokens)

    def _optimize(self, name: str, loss: torch.Tensor) -> None:
        """For a task's own update: one optimizer step of part ``name`` on ``loss``."""
        if name not in self.optimizers:
            raise KeyError(f"Trainer: no part {name!r}; parts are {', '.join(self.optimizers)}")
        self._check_finite(loss)
        self.parts[name].train()
        self.optimizers[name].zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self._step(name, 1.0)

    def _step(self, name: str, scale: float) -> None:
        """Unscale, scale by ``scale``, clip and apply part ``name``'s gradients."""
        optimizer = self.optimizers[name]
        self.scaler.unscale_(optimizer)
        grads = [q.grad for group in optimizer.param_groups for q in group["params"]
                 if q.grad is not None]
        if scale != 1.0:
            for grad in grads:
                grad.mul_(scale)
        if self.config.clip_norm is not None:
            nn.utils.clip_grad_norm_([q for g in optimizer.param_groups for q in g["params"]],
                                     self.config.clip_norm)
        self._applying = True  # from here to the position's update, the state is half-changed
        self.scaler.step(optimizer)
        if self.config.schedule_unit == "step":
            self.schedulers[name].step()

    def _check_finite(self, loss: torch.Tensor) -> None:
        if not torch.isfinite(loss):
            raise NonFiniteLoss(f"loss is {loss.item()} at step {self.position.step}; "
                                "lower train.lr or set train.clip_norm")

    # --- validation and checkpoints -----------------------------------------------------------
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
            self._keep()
        p.stale = distributed.broadcast_int(p.stale)

    def _save(self, name: str) -> None:
        if not distributed.is_main():
            return
        random_state, stream = RandomState(), None
        if self._in_update and self._boundary is not None:  # stopped inside an update
            random_state, buffers, stream = self._boundary
            for key, value in self.task.model.named_buffers():
                value.copy_(buffers[key])
        elif hasattr(self._source, "state_dict") and not isinstance(self._source, Sequence):
            stream = self._source.state_dict()
        save_checkpoint(self.out_dir / name, {
            "recipe": self.recipe,
            "task": self.task.state(),
            "model": self.task.model.state_dict(),
            "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
            "schedulers": {k: v.state_dict() for k, v in self.schedulers.items()},
            "scaler": self.scaler.state_dict(),
            "progress": {"position": to_dict(self.position), "window": self.progress.state()},
            "rng": random_state.to_plain(),
            "stream": stream,
        })

    def _keep(self) -> None:
        """Write this validation's model as ``step-NNNNNNN.pt`` and delete all but the newest
        ``train.keep_checkpoints`` of them."""
        keep = self.config.keep_checkpoints
        if not keep:
            return
        save_checkpoint(self.out_dir / f"{STEP_PREFIX}{self.position.step:07d}.pt", {
            "recipe": self.recipe, "task": self.task.state(),
            "model": self.task.model.state_dict(),
            "progress": {"position": to_dict(self.position)}})
        for old in self.run.kept()[:-keep]:
            old.unlink(missing_ok=True)

    def _restore(self, checkpoint: dict[str, Any]) -> None:
        where = self.out_dir / LAST
        if checkpoint["seqkit"].get("format") != FORMAT or "optimizers" not in checkpoint:
            raise CheckpointError(f"{where}: written by an older seqkit (format "
                                  f"{checkpoint['seqkit'].get('format')}); it loads for "
                                  "inference but cannot be resumed")
        load_model_state(self.task.model, checkpoint["model"], where)
        try:
            for name, optimizer in self.optimizers.items():
                optimizer.load_state_dict(checkpoint["optimizers"][name])
                self.schedulers[name].load_state_dict(checkpoint["schedulers"][name])
            self.scaler.load_state_dict(checkpoint["scaler"])
            self.position = Position(**checkpoint["progress"]["position"])
            self.progress.load_state(checkpoint["progress"]["window"])
        except (KeyError, ValueError, TypeError) as error:
            raise CheckpointError(f"{where}: optimizer or progress state does not fit this "
                                  f"recipe ({error})") from None
        RandomState.restore(checkpoint["rng"])
        self._stream_state = checkpoint.get("stream")
        world_size = distributed.world()[1]
        if self.position.world_size != world_size:
            self.progress.note(f"resuming with {world_size} worker(s) where the run had "
                               f"{self.position.world_size}: the epoch continues from its batch "
                               f"{self.position.batch}")

