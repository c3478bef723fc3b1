"""Devices and precision: train.device picks where the run trains (a missing device is a one-line
error), bf16 and fp16 train, and fp16's loss scaler is part of the checkpoint and of resume."""

import math
from dataclasses import replace

import pytest
import torch
from fitting import assert_same_training_state, config, fit, log

from seqkit.errors import ConfigError
from seqkit.train import load_checkpoint
from seqkit.train.device import resolve_device

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
MISSING = [name for name, present in (("cuda", torch.cuda.is_available()),
                                      ("mps", torch.backends.mps.is_available())) if not present]


@pytest.mark.parametrize("device", DEVICES)
def test_the_run_trains_on_the_device_asked_for(tmp_path, device: str) -> None:
    trainer = fit(tmp_path, config(device=device, max_steps=2, valid_every=0))
    assert trainer.device.type == device and trainer.position.step == 2
    assert all(p.device.type == device for p in trainer.task.model.parameters())
    # what it wrote loads on a CPU
    assert all(t.device.type == "cpu" for t in load_checkpoint(tmp_path)["model"].values())


@pytest.mark.parametrize("device", MISSING)
def test_a_missing_device_is_a_one_line_error(tmp_path, device: str) -> None:
    with pytest.raises(ConfigError, match=rf"^device: {device} requested, but this machine has "
                       rf"no {device} device$"):
        fit(tmp_path, config(device=device))
    with pytest.raises(ConfigError, match=r"^device: expected auto, cpu, cuda or mps, got 'tpu'$"):
        resolve_device("tpu")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains(tmp_path, device: str, precision: str) -> None:
    fit(tmp_path, config(device=device, precision=precision, epochs=3, valid_every=0, lr=0.03),
        dropout=0.0)
    records = log(tmp_path)
    assert all(math.isfinite(r["loss"]) for r in records if "loss" in r)
    mse = [r["valid"]["mse"] for r in records if "valid" in r]  # after epochs 1, 2, 3
    assert len(mse) == 3 and mse[0] > mse[1] > mse[2], mse


@pytest.mark.parametrize("device", DEVICES)
def test_fp16_scaler_is_checkpointed_and_resumes_exactly(tmp_path, device: str) -> None:
    run = config(device=device, precision="fp16", valid_every=8, max_steps=16)
    split = fit(tmp_path / "split", replace(run, max_steps=8))
    scaler = load_checkpoint(tmp_path / "split")["scaler"]
    # the scale backed off from 2¹⁶ on overflowing steps: a fresh scaler would differ on resume
    assert scaler == split.scaler.state_dict() and scaler["scale"] < 2.0 ** 16
    resumed = fit(tmp_path / "split", run, resume=True)
    whole = fit(tmp_path / "whole", run)
    assert_same_training_state(resumed, whole)
