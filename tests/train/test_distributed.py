"""Data-parallel training under torchrun (2 CPU workers, gloo) equals the single-process sum."""

import subprocess
import sys
from pathlib import Path

import torch
from toy import ToyTask

from seqkit.core.optim import SGD
from seqkit.train import distributed, seed_everything


def test_two_workers_stay_in_sync_and_match_the_full_batch_gradient(tmp_path) -> None:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
               "2", str(Path(__file__).parent / "ddp_toy.py"), str(tmp_path)]  # a free port
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)  # DDP kept the replicas equal
    assert (tmp_path / "best.pt").exists() and not (tmp_path / "rank0").exists()

    # The same 6 updates in one process: DDP averages the workers' gradients, so each update is
    # SGD on the union of the two workers' equal-sized batches (2k, 2k+1 of each epoch).
    seed_everything(7)
    task = ToyTask(dropout=0.0)
    sgd = SGD(task.model.parameters(), lr=0.05)
    for epoch in range(2):
        batches = task.batches(epoch)
        for k in range(3):
            sgd.zero_grad()
            task.loss(task.model, torch.cat([batches[2 * k], batches[2 * k + 1]]))[0].backward()
            sgd.step()
    for name, value in task.model.state_dict().items():
        torch.testing.assert_close(rank0[name], value, atol=1e-6, rtol=1e-5)


def test_shard_takes_this_workers_share(monkeypatch) -> None:
    batches = list(range(7))
    monkeypatch.setattr(distributed, "world", lambda: (1, 3))
    assert distributed.shard(batches) == [1, 4]
    monkeypatch.setattr(distributed, "world", lambda: (0, 1))
    assert distributed.shard(batches) is batches
