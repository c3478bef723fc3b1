"""Sampling novel sequences from a trained language model (notes: sample y<t> from ŷ<t>, feed it
back as the next input, stop at <EOS>).

At each step t the model gives logits z<t> (V,) for the next token; the token is drawn from

    P_τ(v) = softmax(z<t> / τ)_v                         τ = ``temperature`` > 0

restricted to the k largest z<t>_v when ``top_k`` = k (the others get probability 0, the rest
renormalised). τ < 1 sharpens the distribution, τ > 1 flattens it, and τ → 0 tends to greedy
decoding y<t> = argmax_v z<t>_v, which τ = 0 computes exactly. A sequence stops once it draws </s>
(not kept in the output) or after ``max_new_tokens`` tokens.

Shapes: B sequences, V vocabulary.
"""

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from seqkit.data import Vocabulary, pad
from seqkit.lm.model import RNNLanguageModel


class Samples(NamedTuple):
    sequences: list[list[int]]  # each prompt followed by its drawn tokens, without <s> and </s>
    finished: list[bool]  # whether the sequence drew </s> (else it stopped at max_new_tokens)


def choose(logits: Tensor, temperature: float, top_k: int | None,
           generator: torch.Generator | None) -> Tensor:
    """One token per row of ``logits`` (B, V) → (B,) long, drawn from P_τ (argmax for τ = 0)."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    z = logits / temperature  # (B, V)
    if top_k is not None and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[:, -1:]  # (B, 1) the k-th largest
        z = z.masked_fill(z < kth, float("-inf"))
    probs = torch.softmax(z.double(), dim=-1)  # float64: τ ≪ 1 must not round to nan
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def _check(n: int, max_new_tokens: int, temperature: float, top_k: int | None) -> None:
    for name, value, low in (("n", n, 1), ("max_new_tokens", max_new_tokens, 0)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"sample: expected {name} to be an int, got {value!r}")
        if value < low:
            raise ValueError(f"sample: expected {name} ≥ {low}, got {value}")
    if not temperature >= 0:
        raise ValueError(f"sample: expected temperature ≥ 0, got {temperature}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"sample: expected top_k to be an int ≥ 1 or None, got {top_k!r}")


@torch.no_grad()
def sample(model: RNNLanguageModel, prompts: Sequence[Sequence[int]] | None = None, n: int = 1,
           max_new_tokens: int = 100, temperature: float = 1.0, top_k: int | None = None,
           generator: torch.Generator | None = None) -> Samples:
    """Draw continuations of ``prompts`` (ids without <s>), or ``n`` sequences from scratch.

    All sequences advance together, one model step per token; the model runs in evaluation mode
    (its mode is restored). The same ``generator`` state gives the same samples (it must live on
    the model's device; torch's global generator when None).
    """
    _check(n, max_new_tokens, temperature, top_k)
    prompts = [[] for _ in range(n)] if prompts is None else [list(p) for p in prompts]
    if not prompts:
        raise ValueError("sample: expected at least one prompt, got none")
    device = model.readout.weight.device
    ids, lengths = pad([[Vocabulary.BOS, *p] for p in prompts], Vocabulary.PAD)  # (B, T), (B,)
    was_training = model.training
    model.eval()
    try:
        logits, state = model(ids.to(device), lengths)  # (B, T, V), state after the last real
        z = logits[torch.arange(len(prompts)), lengths.to(device) - 1]  # (B, V) next token's
        drawn = []
        alive = torch.ones(len(prompts), dtype=torch.bool, device=device)  # (B,) no </s> yet
        for _ in range(max_new_tokens):
            y = choose(z, temperature, top_k, generator)  # (B,)
            alive = alive & (y != Vocabulary.EOS)
            drawn.append(torch.where(alive, y, Vocabulary.EOS))
            if not alive.any():
                break
            logits, state = model(y[:, None], None, state)  # (B, 1, V)
            z = logits[:, 0]
    finally:
        model.train(was_training)
    return _collect(prompts, drawn)


def _collect(prompts: list[list[int]], drawn: list[Tensor]) -> Samples:
    """Each prompt plus its tokens up to its first </s>."""
    steps = torch.stack(drawn, dim=1).tolist() if drawn else [[] for _ in prompts]  # (B, N)
    sequences, finished = [], []
    for prompt, tokens in zip(prompts, steps, strict=True):
        end = tokens.index(Vocabulary.EOS) if Vocabulary.EOS in tokens else len(tokens)
        sequences.append(prompt + tokens[:end])
        finished.append(end < len(tokens))
    return Samples(sequences, finished)
