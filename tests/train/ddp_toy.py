"""Run under torchrun by test_distributed.py: the toy task trained data-parallel on 2 workers."""

import sys
from pathlib import Path

import torch

from seqkit.train import TrainConfig, Trainer, distributed, seed_everything

sys.path.insert(0, str(Path(__file__).parent))
from toy import ToyTask

if __name__ == "__main__":
    distributed.init()
    seed_everything(7)
    config = TrainConfig(optimizer="sgd", lr=0.05, max_steps=6, valid_every=3, log_every=3,
                         clip_norm=None)
    trainer = Trainer(ToyTask(dropout=0.0), config, sys.argv[1], {"task": "toy"})
    trainer.fit()
    rank, size = distributed.world()
    torch.save(trainer.task.model.state_dict(), Path(sys.argv[1]) / f"rank{rank}.pt")
    assert size == 2
