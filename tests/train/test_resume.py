"""Resume equals an uninterrupted run, whatever the epoch's batches are: a sequence (see
test_trainer.py), a stream that saves its position, a plain iterable, an epoch of unknown length;
and the log after a resume is the log of the uninterrupted run."""

import json
import re

import pytest
from fitting import assert_same_training_state, config, fit, log
from toy import signalling

from seqkit.train import Interrupted, load_checkpoint


@pytest.mark.parametrize(("source", "stop"), [
    ("stream", "max_steps"), ("stream", "signal"), ("iterable", "signal")])
def test_resume_mid_epoch_of_a_stream_or_iterable(tmp_path, source, stop) -> None:
    # 7 batches an epoch: 10 updates stop at batch 3 of epoch 1; Ctrl-C in update 10 stops after it,
    # when the trainer has already read batch 4 to begin update 11.
    split = config(max_steps=10, valid_every=0)
    if stop == "signal":
        with pytest.raises(Interrupted):
            fit(tmp_path / "split", config(max_steps=20, valid_every=0), source=source,
                at={10: signalling()})
    else:
        fit(tmp_path / "split", split, source=source)
    saved = load_checkpoint(tmp_path / "split" / "last.pt")
    position = saved["progress"]["position"]
    assert (position["epoch"], position["batch"]) == (1, 3)
    assert saved["stream"] == ({"position": 3} if source == "stream" else None)

    resumed = fit(tmp_path / "split", config(max_steps=20, valid_every=0), resume=True,
                  source=source)
    whole = fit(tmp_path / "whole", config(max_steps=20, valid_every=0), source=source)
    assert_same_training_state(resumed, whole)
    assert [b.tolist() for b in resumed.task.seen] == [b.tolist() for b in whole.task.seen[10:]]
    if source == "stream":  # continued from its position: batches 0-2 of epoch 1 not read again
        assert resumed.task.reads[:5] == [3, 4, 5, 6, 0]


def test_an_epoch_of_unknown_length_logs_without_total(tmp_path, capsys) -> None:
    run = config(epochs=2, valid_every=0)  # no max_steps: an iterable's run length is unknown
    fit(tmp_path / "iterable", run, source="iterable")
    lines = capsys.readouterr().err.splitlines()
    fit(tmp_path / "list", run, source="list")
    known = capsys.readouterr().err.splitlines()
    progress = [line for line in lines if line.startswith("step ")]
    assert len(progress) == 4 and all(re.match(r"step \d+ \| epoch \d \| loss ", line)
                                      and "ETA" not in line for line in progress), progress
    assert all(re.match(r"step \d+/14 \| .* \| ETA ", line)
               for line in known if line.startswith("step ")), known

    def numbers(records: list[dict]) -> list[tuple]:
        return [(r["step"], r.get("epoch"), r.get("loss"), json.dumps(r.get("valid")))
                for r in records]
    assert numbers(log(tmp_path / "iterable")) == numbers(log(tmp_path / "list"))
    assert [r["step"] for r in log(tmp_path / "list") if "loss" in r] == [3, 6, 9, 12]


def test_log_after_resume_is_the_log_of_one_run(tmp_path) -> None:
    # Ctrl-C in update 8 (log lines every 3 updates: the window holds updates 7 and 8), then kill -9
    # leaves records of steps the resumed run will redo and a line cut short.
    with pytest.raises(Interrupted):
        fit(tmp_path / "split", config(max_steps=16, valid_every=5), at={8: signalling()})
    with open(tmp_path / "split" / "log.jsonl", "a") as f:
        f.write('{"step": 12, "epoch": 1, "loss": 9.5, "lr": 0.01}\n{"step": 12, "valid": '
                '{"mse": 9.5, "neg_mse": -9.5}}\n{"step": 15, "ep')
    fit(tmp_path / "split", config(max_steps=16, valid_every=5), resume=True)
    fit(tmp_path / "whole", config(max_steps=16, valid_every=5))

    def numbers(records: list[dict]) -> list[tuple]:
        return [(r["step"], r.get("epoch"), r.get("loss"), r.get("lr"), json.dumps(r.get("valid")))
                for r in records]
    resumed, whole = numbers(log(tmp_path / "split")), numbers(log(tmp_path / "whole"))
    assert [r[0] for r in whole] == [3, 5, 6, 9, 10, 12, 15, 15, 16]
    assert resumed == whole
