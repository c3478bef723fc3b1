"""The Bible recipe's training update with each decoder order, side by side in one run.

    python benchmarks/nmt_vs_joey/decoders.py --threads 2 --rounds 3

"before, feeding" attends from s<t−1> into the cell, which also reads h̃<t−1> (the notes'
order); "after, feeding" is the recipe's, Joey NMT's order (the cell reads [E y<t−1>; h̃<t−1>],
the new state s<t> attends); "after, fused" drops input feeding, so teacher forcing runs the
cells over all T steps in one call of torch's fused kernel and attends, reads out and
back-propagates in batched products.
The same batches for all three (each model from the same seed); each round times one update
(loss, backward) per batch and decoder, the order of the decoders reversed every other round,
round 0 untimed. Prints a table of target tokens/s and the ratio to the first decoder, the
load average before and after, and writes JSON (default benchmarks/results/nmt_decoders.json).
Also counts the multiply-adds per target token of each model's matrix products, so the ratio
can be read as less work or faster work.
"""

import argparse
import itertools
import json
import os
import time
from pathlib import Path

import torch

from seqkit.core.losses import sequence_cross_entropy
from seqkit.tasks import load_recipe
from seqkit.tasks.seq2seq.task import Seq2SeqTask

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "bible-es-en.yaml"
DECODERS = {
    "before, feeding": ["model.attend=before"],
    "after, feeding (the recipe: Joey's order)": [],
    "after, fused": ["model.input_feeding=false"],
}


def decoder_macs(model) -> int:
    """Multiply-adds per target token of the decoder's weight products (forward): the first
    cell's input and recurrent products, the stacked cells, the attention's query W_s s, W_c and
    W_o; the encoder's and the keys' cost per source token is the same for all three."""
    c = model.config
    cells = [model.cell, *model.stacked_cells]
    macs = sum(cell.weight_ih.numel() + cell.weight_hh.numel() for cell in cells)
    macs += sum(p.numel() for name, p in model.attention.named_parameters() if "w_s" in name)
    if c.readout == "attentional":
        macs += model.attentional.weight.numel()
    return macs + model.readout.weight.numel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, default=8, help="batches per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "nmt_decoders.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tasks = {}
    for name, overrides in DECODERS.items():
        torch.manual_seed(0)
        recipe = load_recipe(RECIPE, overrides)
        tasks[name] = (Seq2SeqTask.build(recipe), recipe.label_smoothing)
    first = next(iter(tasks.values()))[0]
    batches = list(itertools.islice(first.batches(0), args.batches))
    seconds, tokens = dict.fromkeys(DECODERS, 0.0), dict.fromkeys(DECODERS, 0)
    load_before = os.getloadavg()
    for round_ in range(args.rounds + 1):
        for name in list(DECODERS) if round_ % 2 else list(DECODERS)[::-1]:
            task, smoothing = tasks[name]
            model = task.model.train()
            for batch in batches:
                model.zero_grad(set_to_none=True)
                start = time.perf_counter()
                logits = model(batch.src, batch.src_lengths, batch.tgt[:, :-1])
                loss, n = sequence_cross_entropy(logits, batch.tgt[:, 1:], pad_id=0,
                                                 smoothing=smoothing)
                loss.backward()
                if round_:
                    seconds[name] += time.perf_counter() - start
                    tokens[name] += n
    load_after = os.getloadavg()
    rate = {name: tokens[name] / seconds[name] for name in DECODERS}
    first_rate = rate[next(iter(DECODERS))]
    rows = {name: {"tokens_per_s": rate[name], "ratio": rate[name] / first_rate,
                   "decoder_macs_per_token": decoder_macs(tasks[name][0].model)}
            for name in DECODERS}
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"{args.threads} threads, {args.rounds} rounds of {args.batches} batches")
    print("| decoder | target tokens/s | × before | decoder multiply-adds per token |")
    print("| --- | --- | --- | --- |")
    for name, row in rows.items():
        print(f"| {name} | {row['tokens_per_s']:,.0f} | {row['ratio']:.2f}× "
              f"| {row['decoder_macs_per_token']:,} |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"settings": vars(args), "load_before": load_before,
                               "load_after": load_after, "results": rows}, indent=1) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
