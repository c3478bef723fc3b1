"""Forward + backward time of seqkit.rnn.RNN (fused path and cell loop) against torch.nn.LSTM/GRU.

Usage: python benchmarks/rnn.py [--reps 15] [--out benchmarks/results/rnn.json]

Each repetition times every variant once, side by side, so that load from other processes hits
them alike. The table gives each variant's median time and "× torch", the ratio of that median to
torch.nn's median from the same run, so the two columns always agree (a median of per-repetition
ratios need not: 12 ms against torch's 13 ms could read 1.12×). The load average before and after
the run is printed and written too: a busy machine makes every number suspect.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch
from torch import Tensor, nn

from seqkit.rnn import RNN

TORCH_LAYERS = {"lstm": nn.LSTM, "gru": nn.GRU}


def time_forward_backward(layer: nn.Module, x: Tensor) -> float:
    """Seconds for one forward and backward pass of sum(outputs)."""
    start = time.perf_counter()
    outputs, _ = layer(x)
    outputs.sum().backward()
    return time.perf_counter() - start


def variants(cell: str, args: argparse.Namespace) -> dict[str, nn.Module]:
    """torch.nn's layer and seqkit's two paths, all with the same weights."""
    reference = TORCH_LAYERS[cell](args.input, args.hidden, batch_first=True)
    layers: dict[str, nn.Module] = {f"torch.nn.{cell.upper()}": reference}
    for path, fused in (("fused", True), ("cell loop", False)):
        layer = RNN(cell, args.input, args.hidden, fused=fused)
        layer.load_state_dict(reference.state_dict())
        layers[f"seqkit {path}"] = layer
    return layers


def measure(layers: dict[str, nn.Module], x: Tensor, reps: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in layers}
    for layer in layers.values():  # warm-up
        time_forward_backward(layer, x)
    for _ in range(reps):
        for name, layer in layers.items():
            times[name].append(time_forward_backward(layer, x))
    return times


def summarise(times: dict[str, list[float]]) -> list[dict[str, float | str]]:
    """Each variant's median time and its ratio to the first variant's (torch.nn's) median."""
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    reference = next(iter(medians.values()))
    return [{"variant": name, "median_ms": 1000 * median, "ratio": median / reference}
            for name, median in medians.items()]


def load_average() -> float | None:
    """The 1-minute load average (None where the OS has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--input", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/rnn.json"))
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    x = torch.randn(args.batch, args.steps, args.input, requires_grad=True)
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    load = {"before": load_average()}
    print(f"forward+backward, {settings}, load average {load['before']}, {os.cpu_count()} CPUs")
    print(f"{'cell':<6} {'variant':<16} {'median ms':>10} {'× torch':>8}")
    rows = []
    for cell in TORCH_LAYERS:
        for row in summarise(measure(variants(cell, args), x, args.reps)):
            rows.append({"cell": cell, **row})
            print(f"{cell:<6} {row['variant']:<16} {row['median_ms']:>10.2f} {row['ratio']:>8.3f}")
    load["after"] = load_average()
    print(f"load average after the run: {load['after']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"settings": settings, "load_average": load, "cpus": os.cpu_count(), "rows": rows}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
