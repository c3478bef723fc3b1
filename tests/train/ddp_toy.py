"""Run under torchrun by test_distributed.py: four short runs of the toy task on 2 workers, each
in its own folder under argv[1], with each rank's final model saved as ``rank{r}.pt`` there.

unequal1, unequal2: batches of unequal sizes, ``train.accumulate`` 1 and 2;
sigterm: rank 1 alone receives SIGTERM in update 3 (``rank{r}.json`` says where each stopped);
reverse: resumes the 1-process run that test_distributed.py left in that folder, to step 4.
"""

import json
import signal
import sys
from pathlib import Path

import torch

from seqkit.train import Interrupted, TrainConfig, Trainer, distributed, seed_everything
from seqkit.train.checkpoint import load_checkpoint

sys.path.insert(0, str(Path(__file__).parent))
from toy import UNEQUAL, ToyTask, signalling


def sgd(**changes: int) -> TrainConfig:
    return TrainConfig(optimizer="sgd", lr=0.05, clip_norm=None, valid_every=0, log_every=2,
                       **changes)


def run(out: Path, config: TrainConfig, resume: bool = False, **task_options) -> Trainer:
    seed_everything(7)
    trainer = Trainer(ToyTask(dropout=0.0, **task_options), config, out, {"task": "toy"})
    try:
        trainer.fit(load_checkpoint(out / "last.pt") if resume else None)
    except Interrupted as stop:
        (out / f"rank{rank}.json").write_text(json.dumps(
            {"step": trainer.position.step, "exit_code": stop.exit_code}))
    torch.save(trainer.task.model.state_dict(), out / f"rank{rank}.pt")
    return trainer


if __name__ == "__main__":
    distributed.init()
    rank, size = distributed.world()
    assert size == 2
    root = Path(sys.argv[1])
    run(root / "unequal1", sgd(max_steps=4, keep_checkpoints=2), sizes=UNEQUAL)
    run(root / "unequal2", sgd(max_steps=2, accumulate=2), sizes=UNEQUAL)
    run(root / "sigterm", sgd(max_steps=8),
        at={3: signalling(signal.SIGTERM)} if rank == 1 else None)
    run(root / "reverse", sgd(max_steps=4), resume=True)
