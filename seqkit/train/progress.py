"""What a run shows while it trains: progress lines on stderr, ``log.jsonl`` and ``curves.png``."""

import json
import sys
import time
from pathlib import Path
from typing import Any

from seqkit.files import atomic_path, write_text_atomic

LOG, CURVES = "log.jsonl", "curves.png"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Prints a line every ``log_every`` updates and appends its numbers to ``log.jsonl``::

        step 120/441 | epoch 1 | loss 1.2345 | lr 1.0e-03 | 12,345 tokens/s | 0:45 | ETA 1:50

    The rate counts what the task's loss averages over (``unit``: target tokens, sentences,
    images, …) for all workers over the updates since the previous line; ``log.jsonl`` has it
    as ``{unit}_per_s``.
    When the run's length is unknown (a stream of unknown length, no ``max_steps``) the line
    reads ``step 120 | epoch 1 | …`` without total and ETA. ``loss`` is the mean over the updates
    since the previous line; that window, and the training time so far, are part of the
    checkpoint (:meth:`state`), so N steps + resume + N steps log what 2N steps log.
    """

    def __init__(self, out_dir: Path, enabled: bool = True, unit: str = "tokens") -> None:
        self.out_dir, self.enabled, self.unit = out_dir, enabled, unit
        self.total: int | None = None
        self.first_step: int | None = None  # the step this process started from
        self.window_loss, self.window_tokens, self.window_steps = 0.0, 0, 0
        self.elapsed_before = 0.0  # training seconds of earlier processes of this run
        self.started = self.window_started = time.perf_counter()

    def open(self, resumed_step: int | None = None, validated_step: int = -1) -> None:
        """Start the log: a fresh run empties ``log.jsonl``; a run resumed at ``resumed_step``
        keeps only the records up to it (a run killed later logged steps it will redo), and a
        validation record at that step only if that validation finished (``validated_step``)."""
        if not self.enabled:
            return
        path = self.out_dir / LOG
        if resumed_step is None or not path.exists():
            write_text_atomic(path, "")
            return
        kept = [line for line in path.read_text(encoding="utf-8").splitlines()
                if _keep(line, resumed_step, validated_step)]
        write_text_atomic(path, "".join(f"{line}\n" for line in kept))

    def state(self) -> dict[str, float]:
        return {"window_loss": self.window_loss, "window_tokens": self.window_tokens,
                "window_steps": self.window_steps, "elapsed_s": self.elapsed()}

    def load_state(self, state: dict[str, float]) -> None:
        self.window_loss = float(state["window_loss"])
        self.window_tokens, self.window_steps = int(state["window_tokens"]), int(
            state["window_steps"])
        self.elapsed_before = float(state["elapsed_s"])

    def elapsed(self) -> float:
        """Seconds of training in this run, across resumes."""
        return self.elapsed_before + time.perf_counter() - self.started

    def start(self, total: int | None, step: int) -> None:
        """An epoch begins: ``total`` updates in the whole run (None: unknown), ``step`` done."""
        self.total = total
        if self.first_step is None:
            self.first_step = step
            self.started = self.window_started = time.perf_counter()

    def update(self, step: int, epoch: int, loss: float, tokens: int, lr: float,
               log: bool) -> None:
        self.window_loss += loss
        self.window_tokens += tokens
        self.window_steps += 1
        if not log:
            return
        now = time.perf_counter()
        rate = (step - (self.first_step or 0)) / max(now - self.started, 1e-9)  # updates per s
        per_s = self.window_tokens / max(now - self.window_started, 1e-9)
        record = {"step": step, "epoch": epoch, "loss": self.window_loss / self.window_steps,
                  "lr": lr, f"{self.unit}_per_s": per_s, "elapsed_s": self.elapsed()}
        if self.total is None:
            where = f"step {step}"
        else:
            eta = _clock(max(self.total - step, 0) / rate) if rate > 0 else "?"
            where = f"step {step}/{self.total}"
        line = (f"{where} | epoch {epoch + 1} | loss {record['loss']:.4f} | lr {lr:.1e} | "
                f"{per_s:,.0f} {self.unit}/s | {_clock(record['elapsed_s'])}")
        self._print(line if self.total is None else f"{line} | ETA {eta}")
        self._append(record)
        self.window_loss, self.window_tokens, self.window_steps = 0.0, 0, 0
        self.window_started = now

    def validation(self, step: int, scores: dict[str, float], metric: str, best: bool) -> None:
        shown = " | ".join(f"{name} {value:.4f}" for name, value in scores.items())
        self._print(f"valid step {step} | {shown}" + (f" | best {metric}" if best else ""))
        self._append({"step": step, "valid": scores})
        self.plot()

    def note(self, message: str) -> None:
        self._print(message)

    def close(self) -> None:
        self.plot()

    def _print(self, line: str) -> None:
        if self.enabled:
            print(line, file=sys.stderr, flush=True)

    def _append(self, record: dict[str, Any]) -> None:
        if self.enabled:
            with open(self.out_dir / LOG, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")

    def plot(self) -> None:
        """Draw the training loss and every validation metric against the step to curves.png."""
        if self.enabled:
            plot_curves(self.out_dir / LOG, self.out_dir / CURVES)


def _keep(line: str, step: int, validated_step: int) -> bool:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:  # a line cut short by kill -9
        return False
    if "valid" in record:
        return record["step"] < step or record["step"] == validated_step
    return record["step"] <= step


def plot_curves(log_path: Path, png_path: Path) -> None:
    """Training loss (log scale), then one panel per validation metric, against the step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    train = [r for r in records if "loss" in r and "valid" not in r]
    valid = [r for r in records if "valid" in r]
    metrics = list(valid[0]["valid"]) if valid else []
    fig, axes = plt.subplots(1, 1 + len(metrics), figsize=(4 * (1 + len(metrics)), 3.2),
                             squeeze=False)
    axes[0, 0].plot([r["step"] for r in train], [r["loss"] for r in train])
    axes[0, 0].set(xlabel="step", title="training loss", yscale="log" if train else "linear")
    for ax, name in zip(axes[0, 1:], metrics, strict=True):
        ax.plot([r["step"] for r in valid], [r["valid"][name] for r in valid], "o-")
        ax.set(xlabel="step", title=f"valid {name}")
    fig.tight_layout()
    try:
        with atomic_path(png_path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    finally:
        plt.close(fig)
