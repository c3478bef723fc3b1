"""seqkit's trigger-word detector against openWakeWord's pretrained "hey jarvis", on the same
held-out streams: false-reject rate, false accepts per hour and real-time factor side by side.

openWakeWord 0.5.1 bundles its pretrained ``hey_jarvis`` ONNX model (0.6.0 downloads models at run
time). Its models are licensed for non-commercial use only: this script installs them into a venv
of its own (``benchmarks/.venv-oww``, never committed); seqkit ships none of them.

    # 1. seqkit's detector for "hey jarvis" (prepares its own words and backgrounds)
    seqkit train recipes/trigger-word.yaml --set data.trigger="hey jarvis" \\
        --set data.dir=data/trigger-hey-jarvis --out runs/trigger-hey-jarvis
    # 2. the peer, in its own venv (no dependencies pulled in beyond these)
    python3 -m venv benchmarks/.venv-oww
    benchmarks/.venv-oww/bin/pip install --no-deps openwakeword==0.5.1
    benchmarks/.venv-oww/bin/pip install onnxruntime scipy scikit-learn tqdm numpy
    # 3. both on the held-out streams of step 1's recipe (held-out voices, noise, music)
    python benchmarks/wakeword_vs_openwakeword.py runs/trigger-hey-jarvis

Both detectors see the same 16 kHz audio and are scored alike (``seqkit.speech.detect``): a run of
scores ≥ threshold is a detection, runs within the refractory period merge, and a word is found by
a detection starting between its start and its end + 1 s. openWakeWord scores every 80 ms frame
(1280 samples) as it streams; seqkit scores 10 s windows. Real-time factor: scoring seconds per
audio second, one CPU thread each. Besides ``--threshold`` (both detectors), each detector's
lowest false-reject rate with at most 1, 5 and 20 false accepts per hour among the thresholds
of ``seqkit evaluate`` (its best threshold, picked on these streams). Results: a table on stdout
and ``benchmarks/results/wakeword_vs_openwakeword.json``.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from seqkit import api
from seqkit.speech.audio import write_wav
from seqkit.tasks.trigger_word.task import FA_LIMITS, lowest_frr

HERE = Path(__file__).parent
PEER_PYTHON = HERE / ".venv-oww" / "bin" / "python"
OUT = HERE / "results" / "wakeword_vs_openwakeword.json"
PEER_FRAME_SECONDS = 0.08  # openWakeWord scores every 1280 samples

# Runs in openWakeWord's venv: scores a 16 kHz 16-bit WAV frame by frame, prints JSON.
PEER_SCRIPT = """
import json, sys, time
import numpy as np
import onnxruntime
from scipy.io import wavfile
from openwakeword.model import Model

onnxruntime.set_default_logger_severity(3)
model = Model(wakeword_models=["hey_jarvis"], inference_framework="onnx")
rate, pcm = wavfile.read(sys.argv[1])
assert rate == 16000 and pcm.dtype == np.int16, (rate, pcm.dtype)
scores, start = [], time.perf_counter()
for i in range(0, len(pcm) - 1279, 1280):
    prediction = model.predict(pcm[i:i + 1280])
    scores.append(float(max(prediction.values())))
print(json.dumps({"scores": scores, "seconds": time.perf_counter() - start}))
"""


def peer_scores(wav: Path) -> tuple[torch.Tensor, float]:
    """openWakeWord's per-frame scores of ``wav`` (80 ms frames) and its scoring time."""
    if not PEER_PYTHON.exists():
        sys.exit(f"{PEER_PYTHON}: missing; create the venv as the module docstring says")
    done = subprocess.run([str(PEER_PYTHON), "-c", PEER_SCRIPT, str(wav)], capture_output=True,
                          text=True, check=False,
                          env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        sys.exit(f"openWakeWord failed: {done.stderr.strip().splitlines()[-1:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return torch.tensor(result["scores"]), result["seconds"]


def score_both(task, stream, name: str, folder: Path) -> dict:
    """Per-frame scores, their frame length and scoring time, of seqkit and openWakeWord on one
    stream."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    ours, frame_seconds = task.scores(stream.waveform)
    ours_time = time.perf_counter() - start
    wav = folder / f"{name}.wav"
    write_wav(wav, stream.waveform)
    theirs, theirs_time = peer_scores(wav)
    return {"seqkit": (ours, frame_seconds, ours_time),
            "openWakeWord": (theirs, PEER_FRAME_SECONDS, theirs_time)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a trigger_word run trained for 'hey jarvis'")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--negative-hours", type=float, default=None,
                        help="hours of audio without the trigger (default: the recipe's)")
    args = parser.parse_args()
    task = api.load(args.model, task="trigger_word", device="cpu")
    if task.trigger != "hey jarvis":
        sys.exit(f"{args.model}: trained for {task.trigger!r}; openWakeWord's model is 'hey "
                 f"jarvis' (train with --set data.trigger='hey jarvis')")
    folder = OUT.parent / "wakeword-streams"
    folder.mkdir(parents=True, exist_ok=True)
    positive_stream = task.stream(task.clips("test"))
    negative_stream = task.stream(task.clips("negative", negative_hours=args.negative_hours))
    positive = score_both(task, positive_stream, "positive", folder)
    negative = score_both(task, negative_stream, "negative", folder)
    rows = {}
    print(f"{'detector':<14} {'FRR':>8} {'FA/h':>8} {'RTF':>8}   (threshold {args.threshold})"
          + "".join(f"{f'FRR at FA/h ≤ {limit}':>20}" for limit in FA_LIMITS))
    for name in ("seqkit", "openWakeWord"):
        (y_positive, frame_seconds, positive_time), (y_negative, _, negative_time) = (
            positive[name], negative[name])
        sweep = task.sweep(y_positive, y_negative, frame_seconds, positive_stream,
                           negative_stream, args.threshold)
        pos, neg = next((p, n) for t, p, n in sweep if t == args.threshold)
        rtf = (positive_time + negative_time) / (pos.seconds + neg.seconds)
        rows[name] = {"frr": pos.false_reject_rate, "misses": pos.misses, "words": pos.words,
                      "fa_per_hour": neg.false_accepts_per_hour,
                      "false_accepts": neg.false_accepts, "negative_hours": neg.seconds / 3600,
                      "rtf": rtf,
                      "sweep": [{"threshold": t, "frr": p.false_reject_rate,
                                 "fa_per_hour": n.false_accepts_per_hour} for t, p, n in sweep]}
        points = []
        for limit in FA_LIMITS:
            frr, t = lowest_frr(sweep, limit) or (None, None)
            rows[name][f"frr_at_{limit}_fa_per_hour"] = {"frr": frr, "threshold": t}
            points.append("none" if frr is None else f"{100 * frr:.1f}% ({t:g})")
        print(f"{name:<14} {100 * pos.false_reject_rate:7.2f}% "
              f"{neg.false_accepts_per_hour:8.2f} {rtf:8.4f}"
              + "".join(f"{point:>20}" for point in points))
    OUT.write_text(json.dumps({"threshold": args.threshold, "model": args.model,
                               "results": rows}, indent=1) + "\n")
    print(f"written {OUT}")


if __name__ == "__main__":
    main()
