"""Progress lines on stderr, log.jsonl records and curves.png."""

import json
import re
import time

from seqkit.train.progress import Progress

LINE = re.compile(r"step \d+/\d+ \| epoch \d+ \| loss \d+\.\d{4} \| lr \d\.\de[-+]\d\d \| "
                  r"[\d,]+ tokens/s \| \d+:\d\d \| ETA (\d+:\d\d|\?)$")


def test_lines_records_and_a_clock_that_spans_epochs(tmp_path, capsys) -> None:
    progress = Progress(tmp_path)
    progress.open()
    step = 0
    for epoch in range(2):
        progress.start(total=8, step=step)  # a new epoch must not restart the clock
        for _ in range(4):
            step += 1
            time.sleep(0.01)
            progress.update(step, epoch, loss=1.0 / step, tokens=10, lr=1e-3, log=step % 2 == 0)
    progress.validation(8, {"bleu": 12.5, "loss": 0.25}, "bleu", best=True)
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    train = [r for r in records if "loss" in r]
    assert [r["step"] for r in train] == [2, 4, 6, 8]
    elapsed = [r["elapsed_s"] for r in train]
    assert elapsed == sorted(elapsed) and elapsed[-1] >= 0.08
    assert train[0]["loss"] == (1.0 + 0.5) / 2  # the mean over the updates since the last line
    assert records[-1] == {"step": 8, "valid": {"bleu": 12.5, "loss": 0.25}}
    lines = capsys.readouterr().err.splitlines()
    assert all(LINE.match(line) for line in lines[:4]), lines
    assert lines[4] == "valid step 8 | bleu 12.5000 | loss 0.2500 | best bleu"
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
