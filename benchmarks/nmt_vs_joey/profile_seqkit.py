"""Where seqkit's training time goes on the Bible recipe: torch.profiler over a few dozen updates.

    python benchmarks/nmt_vs_joey/profile_seqkit.py --threads 1 --steps 30
    python benchmarks/nmt_vs_joey/profile_seqkit.py --set model.readout_dim=512 \\
        --set model.tie_embeddings=false                    # the sizes run.py gives both toolkits

Each update is the trainer's: teacher-forced loss, backward, clipping, Adam, the schedule. The
model's parts are wrapped (here, not in the library) in ``record_function`` ranges: the encoder
(embeddings, biGRU, bridge and the attention's keys), and per decoder step the attention, the GRU
cell (``step``: from its input product on) and the attentional layer h̃<t> = tanh(W_c [s<t>; c<t>]);
then the readout W_o h̃ (one product for all steps) and the loss (log-softmax, smoothed
cross-entropy). "decoder, other" is the rest of the forward's decoder: target embeddings and
their share of the cell's input product (one product for all steps), each step's product of
W_ih's other columns with [c<t>; h̃<t−1>], concatenations, dropout, stacking. Backward is
one range: autograd runs the backward of every part in it. A table of each part's share of the
update, the backward functions that take longest (autograd's nodes, named by the forward
operator they differentiate), then the ten operators with the most time of their own.
"""

import argparse
import time
from contextlib import contextmanager
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from seqkit.core.losses import sequence_cross_entropy
from seqkit.core.optim import make_optimizer
from seqkit.core.schedules import make_schedule
from seqkit.status import status
from seqkit.tasks import load_recipe
from seqkit.tasks.seq2seq.task import Seq2SeqTask

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "bible-es-en.yaml"
PARTS = ("encoder", "attention", "decoder cell", "attentional layer", "readout W_o", "loss",
         "backward", "clip + Adam + schedule")
BACKWARD_NODE = "autograd::engine::evaluate_function: "  # the profiler's name of a backward op


def label(module: torch.nn.Module, name: str, method: str = "forward") -> None:
    """Run ``module.method`` inside ``record_function(name)`` (on this instance only)."""
    inner = getattr(module, method)

    def wrapped(*args, **kwargs):
        with record_function(name):
            return inner(*args, **kwargs)

    setattr(module, method, wrapped)


@contextmanager
def timed(name: str):
    with record_function(name):
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=30, help="updates profiled")
    parser.add_argument("--warmup", type=int, default=5, help="updates before profiling")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    recipe = load_recipe(RECIPE, args.overrides)
    task = Seq2SeqTask.build(recipe)
    model, train = task.model, recipe.train
    optimizer = make_optimizer(train.optimizer, model.parameters(), lr=train.lr)
    scheduler = make_schedule(train.schedule, optimizer, warmup_steps=train.warmup_steps,
                              **train.schedule_options)
    label(model, "encoder", "encode")
    label(model.attention, "attention")
    label(model.cell, "decoder cell", "step")  # the forward's loop calls step, not forward
    if hasattr(model, "attentional"):
        label(model.attentional, "attentional layer")
    label(model.readout, "readout W_o")
    model.train()
    batches = iter(task.batches(0))

    def update() -> int:
        batch = next(batches)
        optimizer.zero_grad(set_to_none=True)
        with timed("forward"):
            logits = model(batch.src, batch.src_lengths, batch.tgt[:, :-1])
        with timed("loss"):
            loss, tokens = sequence_cross_entropy(logits, batch.tgt[:, 1:], pad_id=0,
                                                  smoothing=recipe.label_smoothing)
        with timed("backward"):
            loss.backward()
        with timed("clip + Adam + schedule"):
            torch.nn.utils.clip_grad_norm_(model.parameters(), train.clip_norm)
            optimizer.step()
            scheduler.step()
        return tokens

    for _ in range(args.warmup):
        update()
    tokens, start = 0, time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(args.steps):
            tokens += update()
    seconds = time.perf_counter() - start
    totals = {e.key: e.cpu_time_total / 1e6 for e in prof.key_averages()}
    status(f"{args.steps} updates, {tokens:,} target tokens in {seconds:.1f} s with the "
           f"profiler on ({tokens / seconds:,.0f} tokens/s); {args.threads} threads")
    forward = totals["forward"]
    parts = {name: totals.get(name, 0.0) for name in PARTS}
    parts["decoder, other"] = forward - sum(parts[p] for p in PARTS[:5])
    whole = forward + parts["loss"] + parts["backward"] + parts["clip + Adam + schedule"]
    print(f"| part of an update | seconds ({args.steps} updates) | share |\n| --- | --- | --- |")
    for name in (*PARTS[:5], "decoder, other", *PARTS[5:]):
        print(f"| {name} | {parts[name]:.2f} | {100 * parts[name] / whole:.0f}% |")
    print(f"| (the whole update) | {whole:.2f} | 100% |\n")
    nodes = sorted(((e.key.rpartition(": ")[2], e.cpu_time_total / 1e6, e.count)
                    for e in prof.key_averages() if e.key.startswith(BACKWARD_NODE)),
                   key=lambda node: -node[1])[:8]
    print("| backward of | seconds | calls |\n| --- | --- | --- |")
    for name, node_seconds, calls in nodes:
        print(f"| {name} | {node_seconds:.2f} | {calls:,} |")
    print()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10,
                                    max_name_column_width=40))


if __name__ == "__main__":
    main()
