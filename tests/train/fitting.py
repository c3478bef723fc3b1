"""Running the toy tasks for the tests: one recipe, a seeded fit, and the comparison of two runs'
whole training state (resume must equal an uninterrupted run)."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from toy import ToyTask

from seqkit.train import TrainConfig, Trainer, load_checkpoint, seed_everything


def config(**changes: Any) -> TrainConfig:
    settings = {"optimizer": "adam", "lr": 0.01, "schedule": "exponential",
                "schedule_options": {"base": 0.99}, "epochs": 100, "valid_every": 4,
                "log_every": 3}
    return TrainConfig(**{**settings, **changes})


def fit(out: Path, train_config: TrainConfig, resume: bool = False,
        make_task: Callable[..., Any] = ToyTask, **task_options: Any) -> Trainer:
    """A seeded run of ``make_task(**task_options)`` (built after seeding) into ``out``."""
    seed_everything(7)
    trainer = Trainer(make_task(**task_options), train_config, out, {"task": "toy"})
    trainer.fit(load_checkpoint(out / "last.pt") if resume else None)
    return trainer


def log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def assert_same_training_state(a: Trainer, b: Trainer) -> None:
    """Model, every optimizer's every slot, schedulers and position are equal."""
    for (name, p), q in zip(a.task.model.state_dict().items(), b.task.model.state_dict().values(),
                            strict=True):
        assert torch.equal(p, q), name
    assert a.optimizers.keys() == b.optimizers.keys()
    for name, optimizer in a.optimizers.items():
        state_a, state_b = optimizer.state_dict(), b.optimizers[name].state_dict()
        assert state_a["state"] and state_a["state"].keys() == state_b["state"].keys()
        for key, values in state_a["state"].items():
            assert values.keys() == state_b["state"][key].keys()
            for slot, value in values.items():  # every moment and the step count
                assert torch.equal(torch.as_tensor(value), torch.as_tensor(
                    state_b["state"][key][slot])), (name, key, slot)
        assert a.schedulers[name].state_dict() == b.schedulers[name].state_dict()
    assert a.scaler.state_dict() == b.scaler.state_dict()
    assert a.position == b.position
