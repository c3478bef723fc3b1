"""No traceback and no lost work: whatever stops a run between updates saves last.pt as of the
last whole update and says so; an update cut short is rolled back (RNG, batch-norm buffers) or,
while being applied, keeps the previous last.pt; the run directory is locked, cleared by
overwrite, rid of a killed run's temporaries, and left alone by resuming a finished run."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from fitting import assert_same_training_state, config, fit, log
from toy import ToyTask, non_finite, raising, signalling

from seqkit.errors import SeqkitError
from seqkit.train import Interrupted, NonFiniteLoss, Trainer, load_checkpoint, seed_everything
from seqkit.train.rundir import RunDirectory


def saved_step(run) -> int:
    return load_checkpoint(run / "last.pt")["progress"]["position"]["step"]


@pytest.mark.parametrize(("hook", "error"), [
    (non_finite, NonFiniteLoss), (raising(OSError(5, "Input/output error")), OSError)])
def test_an_error_in_an_update_saves_the_last_whole_update(tmp_path, capsys, hook, error):
    with pytest.raises(error):
        fit(tmp_path, config(max_steps=12), at={6: hook})
    assert saved_step(tmp_path) == 5
    assert f"stopped by an error: saved {tmp_path / 'last.pt'} at step 5; continue with " \
           "--resume" in capsys.readouterr().err
    assert issubclass(NonFiniteLoss, SeqkitError)


def test_a_broken_stderr_saves_last(tmp_path, monkeypatch) -> None:
    class BrokenPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stderr", BrokenPipe())
    with pytest.raises(BrokenPipeError):
        fit(tmp_path, config(max_steps=12))  # the first progress line comes after update 3
    assert saved_step(tmp_path) == 3


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_finishes_the_update_and_saves(tmp_path, signum, exit_code) -> None:
    with pytest.raises(Interrupted) as stopped:
        fit(tmp_path, config(max_steps=12), at={5: signalling(signum)})
    assert stopped.value.exit_code == exit_code and saved_step(tmp_path) == 5


def test_an_interruption_while_applying_an_update_keeps_the_previous_last(tmp_path, capsys):
    seed_everything(7)
    trainer = Trainer(ToyTask(), config(max_steps=12), tmp_path, {"task": "toy"})
    apply, calls = trainer.scaler.step, []  # the scaler calls optimizer.step()

    def second_ctrl_c(optimizer: torch.optim.Optimizer) -> None:
        calls.append(optimizer)
        apply(optimizer)
        if len(calls) == 6:  # the parameters have moved; the schedule and position have not
            raise Interrupted(signal.SIGINT)

    trainer.scaler.step = second_ctrl_c
    with pytest.raises(Interrupted):
        trainer.fit()
    # last.pt is the one written by the validation at step 4, and it loads
    assert saved_step(tmp_path) == 4
    assert f"stopped while applying update 6: kept the previous {tmp_path / 'last.pt'}" \
           in capsys.readouterr().err
    resumed = fit(tmp_path, config(max_steps=12), resume=True)
    assert_same_training_state(resumed, fit(tmp_path / "whole", config(max_steps=12)))


def test_an_update_cut_short_rolls_back_rng_and_batch_norm(tmp_path) -> None:
    # the error comes after the forward pass of update 6: dropout drew random numbers, batch norm
    # updated its running statistics; last.pt must hold neither
    with pytest.raises(OSError):
        fit(tmp_path, config(max_steps=10), norm=True, at={6: raising(OSError(5, "I/O"))})
    resumed = fit(tmp_path, config(max_steps=10), resume=True, norm=True)
    assert_same_training_state(resumed, fit(tmp_path / "whole", config(max_steps=10), norm=True))


def test_a_validation_cut_short_runs_again_on_resume(tmp_path) -> None:
    with pytest.raises(OSError, match="No space left"):
        fit(tmp_path, config(max_steps=12), fail_validation_at=2)  # the validation at step 8
    assert saved_step(tmp_path) == 8
    resumed = fit(tmp_path, config(max_steps=12), resume=True)
    assert resumed.task.validations == 2  # steps 8 and 12
    assert [r["step"] for r in log(tmp_path) if "valid" in r] == [4, 8, 12]


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path) -> None:
    tmp_path.mkdir(exist_ok=True)
    stale = [tmp_path / ".curves.png.k1ll3d.tmp", tmp_path / ".last.pt.x9q2.tmp"]
    for path in stale:
        path.write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("mine")
    fit(tmp_path, config(max_steps=1))
    assert not any(path.exists() for path in stale)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_second_trainer_on_a_locked_run_is_refused(tmp_path) -> None:
    refusals = []

    def second_trainer(loss: torch.Tensor) -> torch.Tensor:
        with pytest.raises(SeqkitError) as refused:
            Trainer(ToyTask(), config(max_steps=1), tmp_path, {}).fit()
        refusals.append(str(refused.value))
        return loss

    fit(tmp_path, config(max_steps=3), at={2: second_trainer})
    assert refusals == [f"{tmp_path}: another seqkit train (pid {os.getpid()}) is writing this "
                        "run; wait for it or choose another --out"]
    fit(tmp_path, config(max_steps=1))  # the first one closed: the lock is free


def test_the_lock_of_a_killed_process_is_free(tmp_path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from seqkit.train.rundir import RunDirectory; "
        f"RunDirectory({str(tmp_path)!r}).open(); print('locked', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(SeqkitError, match=rf"another seqkit train \(pid {holder.pid}\)"):
            fit(tmp_path, config(max_steps=1))
    finally:
        holder.kill()
        holder.wait()
    assert fit(tmp_path, config(max_steps=1)).position.step == 1


def test_overwrite_clears_the_old_run_before_the_first_update(tmp_path) -> None:
    fit(tmp_path, config(max_steps=4))
    assert (tmp_path / "best.pt").exists() and (tmp_path / "curves.png").exists()
    trainer = Trainer(ToyTask(at={1: raising(KeyboardInterrupt())}), config(max_steps=4),
                      tmp_path, {"task": "toy"})
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(overwrite=True)
    assert not (tmp_path / "best.pt").exists() and not (tmp_path / "curves.png").exists()
    assert saved_step(tmp_path) == 0 and log(tmp_path) == []


def test_resuming_a_finished_run_changes_nothing(tmp_path) -> None:
    fit(tmp_path, config(max_steps=4))
    files = ("last.pt", "best.pt", "recipe.yaml", "curves.png", "log.jsonl")
    before = {name: (tmp_path / name).stat().st_mtime_ns for name in files}
    time.sleep(0.01)
    trainer = Trainer(ToyTask(), config(max_steps=4), tmp_path, {"task": "toy"})
    result = trainer.fit(load_checkpoint(tmp_path / "last.pt"))
    assert result.finished_before and result.steps == 4
    assert {name: (tmp_path / name).stat().st_mtime_ns for name in files} == before


def test_a_forked_child_does_not_keep_the_run_locked(tmp_path) -> None:
    """A DataLoader worker is a forked child: it must not hold the lock past its trainer."""
    run = RunDirectory(tmp_path)
    run.open()
    reader, writer = os.pipe()
    started, ready = os.pipe()
    child = os.fork()
    if child == 0:  # the child says it runs, waits until the parent has let go, then exits
        os.write(ready, b"x")
        os.read(reader, 1)
        os._exit(0)
    try:
        os.read(started, 1)  # the child's at-fork handlers have run
        run.close()  # the trainer ends while its worker lives
        again = RunDirectory(tmp_path)
        again.open()  # refused if the child's copy of the descriptor kept the flock
        again.close()
    finally:
        os.write(writer, b"x")
        os.waitpid(child, 0)
