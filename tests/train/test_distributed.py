"""Data-parallel training under torchrun (2 CPU workers, gloo) equals one process: with batches
of unequal sizes, under accumulation, when one worker is signalled, and across a resume under
another number of workers. One torchrun launch (ddp_toy.py) serves every test here."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from ddp_toy import sgd
from toy import UNEQUAL, ToyTask

from seqkit.train import Trainer, distributed, load_checkpoint, seed_everything


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """The folder of ddp_toy.py's runs; "reverse" starts from 2 updates made here in one process."""
    root = tmp_path_factory.mktemp("ddp")
    seed_everything(7)
    Trainer(ToyTask(dropout=0.0), sgd(max_steps=2), root / "reverse", {"task": "toy"}).fit()
    shutil.copy(root / "reverse" / "last.pt", root / "one_process.pt")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
               "2", str(Path(__file__).parent / "ddp_toy.py"), str(root)]  # a free port
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def one_process(start: dict | None, updates: list[tuple[int, list[int]]],
                **task_options) -> dict[str, torch.Tensor]:
    """The oracle: SGD from ``start`` (None: the seeded initial model), one update on the mean
    loss over the union of each (epoch, batch indices) in ``updates``."""
    seed_everything(7)
    task = ToyTask(dropout=0.0, **task_options)
    if start is not None:
        task.model.load_state_dict(start)
    optimizer = torch.optim.SGD(task.model.parameters(), lr=sgd().lr)
    for epoch, indices in updates:
        batches = task.batches(epoch)
        optimizer.zero_grad()
        task.loss(task.model, torch.cat([batches[i] for i in indices]))[0].backward()
        optimizer.step()
    return task.model.state_dict()


def assert_ranks_equal(run: Path, expected: dict[str, torch.Tensor]) -> None:
    rank0 = torch.load(run / "rank0.pt", weights_only=True)
    rank1 = torch.load(run / "rank1.pt", weights_only=True)
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)  # DDP kept the replicas equal
    for name, value in expected.items():
        torch.testing.assert_close(rank0[name], value, atol=1e-6, rtol=1e-5)


def test_unequal_batches_on_two_workers_equal_one_process_on_their_union(runs) -> None:
    # Rank r takes batches r, r+2, …: batch sizes 2, 5, 8, 7 on rank 0 and 9, 3, 1, 5 on rank 1.
    # Averaging each rank's mean would weigh rank 0's 2 examples like rank 1's 9.
    assert_ranks_equal(runs / "unequal1", one_process(
        None, [(0, [0, 1]), (0, [2, 3]), (0, [4, 5]), (0, [6, 7])], sizes=UNEQUAL))
    # keep_checkpoints: rank 0 alone writes the validated model, once
    assert [path.name for path in (runs / "unequal1").glob("step-*.pt")] == ["step-0000004.pt"]
    kept = load_checkpoint(runs / "unequal1" / "step-0000004.pt")["model"]
    rank0 = torch.load(runs / "unequal1" / "rank0.pt", weights_only=True)
    assert all(torch.equal(kept[name], rank0[name]) for name in rank0)
    # accumulate 2: rank 0 adds batches 0 and 2, rank 1 batches 1 and 3, into one update
    assert_ranks_equal(runs / "unequal2", one_process(
        None, [(0, [0, 1, 2, 3]), (0, [4, 5, 6, 7])], sizes=UNEQUAL))


def test_sigterm_to_one_rank_stops_every_rank_after_the_same_step(runs) -> None:
    stops = [json.loads((runs / "sigterm" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [stop["step"] for stop in stops] == [3, 3]
    assert [stop["exit_code"] for stop in stops] == [143, 143]  # 128 + SIGTERM, on every rank
    last = load_checkpoint(runs / "sigterm" / "last.pt")
    assert last["progress"]["position"] == {
        "step": 3, "epoch": 0, "batch": 6, "best": None, "best_step": 0, "stale": 0,
        "validated_step": -1, "world_size": 2}
    assert_ranks_equal(runs / "sigterm", one_process(None, [(0, [0, 1]), (0, [2, 3]),
                                                            (0, [4, 5])]))


def test_a_two_worker_run_resumes_in_one_process(runs, tmp_path, capsys) -> None:
    shutil.copytree(runs / "sigterm", tmp_path / "run")
    start = load_checkpoint(tmp_path / "run" / "last.pt")["model"]
    seed_everything(7)
    trainer = Trainer(ToyTask(dropout=0.0), sgd(max_steps=8), tmp_path / "run", {"task": "toy"})
    trainer.fit(load_checkpoint(tmp_path / "run" / "last.pt"))
    assert "resuming with 1 worker(s) where the run had 2" in capsys.readouterr().err
    # 6 of epoch 0's 7 batches were used by 3 updates of 2 workers: batch 6 comes next
    assert torch.equal(trainer.task.seen[0], trainer.task.batches(0)[6])
    expected = one_process(start, [(0, [6]), (1, [0]), (1, [1]), (1, [2]), (1, [3])])
    for name, value in expected.items():
        torch.testing.assert_close(trainer.task.model.state_dict()[name], value)


def test_a_one_process_run_resumes_on_two_workers(runs) -> None:
    start = load_checkpoint(runs / "one_process.pt")["model"]
    assert_ranks_equal(runs / "reverse", one_process(start, [(0, [2, 3]), (0, [4, 5])]))
    assert load_checkpoint(runs / "reverse" / "last.pt")["progress"]["position"][
        "world_size"] == 2


def test_shard_takes_this_workers_share(monkeypatch) -> None:
    batches = list(range(7))
    monkeypatch.setattr(distributed, "world", lambda: (1, 3))
    assert distributed.shard(batches) == [1, 4]
    monkeypatch.setattr(distributed, "world", lambda: (0, 1))
    assert distributed.shard(batches) is batches
