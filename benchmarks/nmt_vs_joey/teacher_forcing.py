"""seqkit's teacher-forced training step before and after the decoder's precomputed products and
the encoder's unpacked kernel: the same model, weights and batches, timed alternately in one run.

    python benchmarks/nmt_vs_joey/teacher_forcing.py --threads 1 --rounds 5
    python benchmarks/nmt_vs_joey/teacher_forcing.py --set model.readout_dim=512 \\
        --set model.tie_embeddings=false                    # the sizes run.py gives both toolkits

"stepwise" is the decoder loop as the notes write it (and as ``Seq2Seq.forward`` was): at every t
the first cell reads the concatenation [E y<t−1>; c<t> (; h̃<t−1>)] through its own ``forward``,
slicing e[:, t] from the target embeddings; its encoder runs torch's kernel on a packed
sequence, as ``seqkit.rnn.RNN`` did. "model, packed encoder" is ``Seq2Seq.forward`` with that
encoder; "model" is ``Seq2Seq.forward`` as it is. Each round times one update (loss, backward; no
optimizer step, so all see the same weights) on each of ``--batches`` batches with each path, the
order of the paths reversed every other round; the table gives target tokens/s over all rounds
and the ratio of the totals, with the load average before and after (the machine is shared:
only ratios from one run compare).
"""

import argparse
import itertools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import Tensor

from seqkit.core.losses import sequence_cross_entropy
from seqkit.seq2seq import Seq2Seq
from seqkit.tasks import load_recipe
from seqkit.tasks.seq2seq.task import Seq2SeqTask

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "bible-es-en.yaml"


def stepwise_logits(model: Seq2Seq, src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
    """The decoder stepped as the notes write it: logits (B, T, V), equal to ``model(...)``."""
    config, encoded = model.config, model.encode(src, src_lengths)
    L, lstm, feeding = config.decoder_layers, config.cell == "lstm", config.input_feeding
    e = model.dropout(model._embed_target(tgt_in))  # (B, T, E)
    state, features = encoded.state, []
    for t in range(tgt_in.shape[1]):
        s, memory_cells = state[:L], state[L:2 * L] if lstm else ()
        context, _ = model.attention(s[-1], encoded.keys, encoded.memory, encoded.mask)
        x = torch.cat([e[:, t], context, state[-1]] if feeding else [e[:, t], context], dim=1)
        new_s, new_memory = [], []
        for layer, cell in enumerate([model.cell, *model.stacked_cells]):
            if layer:
                x = model.dropout(new_s[-1])
            if lstm:
                h, c = cell(x, (s[layer], memory_cells[layer]))
                new_s.append(h)
                new_memory.append(c)
            else:
                new_s.append(cell(x, s[layer]))
        state = (*new_s, *new_memory)
        if config.readout == "concat":
            features.append(torch.cat([new_s[-1], context, e[:, t]], dim=1))
            continue
        h_tilde = torch.tanh(model.attentional(model.dropout(torch.cat([new_s[-1], context], 1))))
        state = (*state, h_tilde) if feeding else state
        features.append(h_tilde)
    return model.readout(model.dropout(torch.stack(features, dim=1)))


@contextmanager
def packed_encoder(model: Seq2Seq) -> Iterator[None]:
    """Within the block the encoder runs the kernel on a packed sequence (its former path)."""
    rnn = model.encoder
    rnn._forward_fused_flipped = lambda x, lengths, s: rnn._forward_fused_packed(x, lengths, (s,))
    try:
        yield
    finally:
        del rnn._forward_fused_flipped


def packed(forward: Callable[[Tensor, Tensor, Tensor], Tensor], model: Seq2Seq):
    def run(src: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
        with packed_encoder(model):
            return forward(src, src_lengths, tgt_in)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batches", type=int, default=8, help="batches per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    recipe = load_recipe(RECIPE, args.overrides)
    task = Seq2SeqTask.build(recipe)
    model = task.model.train()
    batches = list(itertools.islice(task.batches(0), args.batches))
    forwards = {
        "stepwise": packed(lambda *inputs: stepwise_logits(model, *inputs), model),
        "model, packed encoder": packed(model, model),
        "model": model,
    }
    paths = {name: lambda b, f=f: f(b.src, b.src_lengths, b.tgt[:, :-1])
             for name, f in forwards.items()}
    seconds, tokens = dict.fromkeys(paths, 0.0), dict.fromkeys(paths, 0)
    load_before = os.getloadavg()
    for round_ in range(args.rounds + 1):  # round 0 warms up, untimed
        names = list(paths) if round_ % 2 else list(paths)[::-1]
        for name in names:
            for batch in batches:
                model.zero_grad(set_to_none=True)
                start = time.perf_counter()
                loss, n = sequence_cross_entropy(paths[name](batch), batch.tgt[:, 1:], pad_id=0,
                                                 smoothing=recipe.label_smoothing)
                loss.backward()
                if round_:
                    seconds[name] += time.perf_counter() - start
                    tokens[name] += n
    load_after = os.getloadavg()
    print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"{args.threads} threads, {args.rounds} rounds of {args.batches} batches")
    print("| path | target tokens/s | × stepwise |\n| --- | --- | --- |")
    rate = {name: tokens[name] / seconds[name] for name in paths}
    for name in paths:
        print(f"| {name} | {rate[name]:,.0f} | {rate[name] / rate['stepwise']:.3f}× |")


if __name__ == "__main__":
    main()
