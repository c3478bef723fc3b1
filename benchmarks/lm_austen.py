"""Word-level language models of Jane Austen: LSTM, GRU and a plain RNN side by side with an
interpolated Kneser–Ney n-gram model, and what gradient clipping changes for the plain RNN.

Usage: python benchmarks/lm_austen.py [--minutes 2.5] [--steps N] [--quick] [--lr 3e-3]
                                      [--optimizer adam]
                                      [--cells lstm,gru,rnn] [--threads N] [--out FILE]

Every model gets the data, vocabulary and batches of ``recipes/word-lm-austen.yaml`` (prepared on
the first run) and the same wall-clock budget (``--minutes`` each; the default run takes about
5 × 2.5 minutes plus the n-gram fit), then the test split's perplexity: exp of the mean token
cross-entropy, </s> included, out-of-vocabulary words as <unk>, the same definition for every
row. The plain RNN is trained three times: clipped by norm (‖g‖₂ ≤ 1), by value (|g_i| ≤ 0.01)
and not at all; the table gives each run's median and largest gradient norm ‖g‖₂ before
clipping, and the share of its steps that were clipped (``--cells rnn --optimizer sgd --lr 1``:
the clipping rows alone, with plain SGD, where exploding gradients show). ``--quick`` (1–3
minutes) runs each model for a few steps on a 2,000-word vocabulary: a smoke test, not a
measurement.
"""

import argparse
import json
import math
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from seqkit.core.optim import make_optimizer
from seqkit.lm import RNNLanguageModel, clip_grad_norm, clip_grad_value, perplexity
from seqkit.tasks import load_recipe
from seqkit.tasks.language_model.task import LanguageModelTask

RECIPE = Path(__file__).parent.parent / "recipes" / "word-lm-austen.yaml"
VARIANTS = (  # (name, cell, clipping, θ)
    ("LSTM, clip norm 1", "lstm", "norm", 1.0),
    ("GRU, clip norm 1", "gru", "norm", 1.0),
    ("RNN, clip norm 1", "rnn", "norm", 1.0),
    ("RNN, clip value 0.01", "rnn", "value", 0.01),
    ("RNN, no clipping", "rnn", "none", math.inf),
)


def train(task: LanguageModelTask, cell: str, clipping: str, theta: float,
          args: argparse.Namespace) -> dict[str, float | str | int]:
    """A fresh model of ``cell`` trained for the budget; its test perplexity and gradient norms."""
    torch.manual_seed(args.seed)
    model = RNNLanguageModel(replace(task.recipe.model, cell=cell), len(task.vocab))
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr=args.lr)
    norms: list[float] = []
    start, steps, epoch, diverged = time.perf_counter(), 0, 0, False
    while not _done(start, steps, args) and not diverged:
        for batch in task.batches(epoch):
            optimizer.zero_grad(set_to_none=True)
            loss, _ = task.loss(model, batch)
            if not torch.isfinite(loss):
                diverged = True
                break
            loss.backward()
            norm = clip_grad_norm(model.parameters(), theta if clipping == "norm" else math.inf)
            if clipping == "value":
                clip_grad_value(model.parameters(), theta)
            norms.append(float(norm))
            optimizer.step()
            steps += 1
            if _done(start, steps, args):
                break
        epoch += 1
    score = perplexity(model, task.held_out_batches(task.held_out("test")))
    clipped = sum(n > theta for n in norms) if clipping == "norm" else None
    return {"cell": cell, "clipping": clipping, "theta": theta, "steps": steps,
            "seconds": time.perf_counter() - start, "diverged": diverged,
            "perplexity": score.value if not diverged else math.inf,
            "grad_norm_median": statistics.median(norms), "grad_norm_max": max(norms),
            "clipped_share": None if clipped is None else clipped / len(norms)}


def _done(start: float, steps: int, args: argparse.Namespace) -> bool:
    return (time.perf_counter() - start >= 60 * args.minutes
            or (args.max_steps is not None and steps >= args.max_steps))


def table(rows: list[dict], baseline: dict) -> str:
    lines = ["| model | test perplexity | steps | ‖g‖₂ median | ‖g‖₂ max | clipped |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        share = "" if row["clipped_share"] is None else f"{100 * row['clipped_share']:.0f}%"
        lines.append(f"| {row['name']} | {row['perplexity']:.1f} | {row['steps']} | "
                     f"{row['grad_norm_median']:.2f} | {row['grad_norm_max']:.2f} | {share} |")
    lines.append(f"| {baseline['name']} | {baseline['perplexity']:.1f} | | | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.5, help="training time per model")
    parser.add_argument("--quick", action="store_true", help="a few steps each: a smoke test")
    parser.add_argument("--steps", type=int, default=None,
                        help="stop each model after this many updates too (equal work under load)")
    parser.add_argument("--lr", type=float, default=None, help="default: the recipe's")
    parser.add_argument("--optimizer", default=None, help="default: the recipe's")
    parser.add_argument("--order", type=int, default=3, help="n of the Kneser–Ney baseline")
    parser.add_argument("--cells", default="lstm,gru,rnn", help="the cells to train, e.g. rnn")
    parser.add_argument("--threads", type=int, default=None, help="torch's CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None,
                        help="default: benchmarks/results/lm_austen[_quick].json")
    args = parser.parse_args()
    args.max_steps = 10 if args.quick else args.steps
    cells = args.cells.split(",")
    if unknown := set(cells) - {cell for _, cell, _, _ in VARIANTS}:
        parser.error(f"--cells: unknown cell {sorted(unknown)[0]!r}; expected lstm, gru or rnn")
    args.out = args.out or Path(f"benchmarks/results/lm_austen{'_quick' * args.quick}.json")
    sets = ["data.max_vocab=2000"] if args.quick else []
    recipe = load_recipe(RECIPE, sets)
    args.lr = args.lr or recipe.train.lr
    args.optimizer = args.optimizer or recipe.train.optimizer
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    task = LanguageModelTask.build(recipe)
    rows = []
    for name, cell, clipping, theta in [v for v in VARIANTS if v[1] in cells]:
        rows.append({"name": name, **train(task, cell, clipping, theta, args)})
        print(f"{name}: perplexity {rows[-1]['perplexity']:.1f} after {rows[-1]['steps']} steps",
              flush=True)
    ngram = task.ngram_perplexity(task.held_out("test"), args.order)
    baseline = {"name": f"{args.order}-gram Kneser–Ney (D=0.75)", "perplexity": ngram.value}
    print(table(rows, baseline))
    print(f"test: {ngram.n_tokens:,} tokens, V={len(task.vocab):,}; {args.optimizer} "
          f"lr={args.lr}; load average {load_before[0]:.1f} → {os.getloadavg()[0]:.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "rows": rows, "baseline": baseline, "test_tokens": ngram.n_tokens,
        "vocab_size": len(task.vocab), "minutes": args.minutes, "quick": args.quick,
        "optimizer": args.optimizer, "lr": args.lr, "threads": torch.get_num_threads(),
        "load_average": [load_before[0], os.getloadavg()[0]]}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
