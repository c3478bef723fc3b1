"""Error analysis of beam search (notes: "Error analysis on beam search").

For a source x, its reference y* and the search's output ŷ ≠ y*, the model itself says which part
is at fault:

    P(y*|x) > P(ŷ|x):  the model prefers y*, the search missed it  → the search is at fault
    P(y*|x) ≤ P(ŷ|x):  the model prefers ŷ (or is indifferent)     → the model is at fault

"P" is the objective the search maximises, log P(y|x) / lp(T) with the decode config's length
normalisation (:mod:`seqkit.seq2seq.search`; T counts </s>); with α = 0 it is the notes' raw
comparison. Comparing raw probabilities under α > 0 would blame the search for outputs that it
rightly preferred: a longer ŷ can beat a shorter, more probable y* on the normalised objective.
Ties count against the model: the search found an output the model rates as highly as y*.
"""

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from seqkit.data.batching import pad
from seqkit.seq2seq.search import DecodeConfig, Decoder, normalise, score


class ErrorAnalysis(NamedTuple):
    """Counts over a set of examples; the fractions are of the wrong outputs only."""

    examples: int  # examples analysed
    errors: int  # outputs ŷ ≠ y*
    search: int  # errors with P(y*|x) > P(ŷ|x): the search is at fault
    model: int  # errors with P(y*|x) ≤ P(ŷ|x): the model is at fault
    alpha: float  # α of the length normalisation compared under
    length_penalty: str  # "notes" (T^α) or "gnmt" (((5 + T)/6)^α)

    @property
    def search_fraction(self) -> float:
        return self.search / self.errors if self.errors else 0.0

    @property
    def model_fraction(self) -> float:
        return self.model / self.errors if self.errors else 0.0

    def format(self) -> str:
        """One line, with the objective that decided the blame."""
        return (
            f"error analysis: {self.errors}/{self.examples} outputs differ from the reference; "
            f"search at fault {self.search} ({100 * self.search_fraction:.1f}%), "
            f"model at fault {self.model} ({100 * self.model_fraction:.1f}%) "
            f"[log P(y|x) / lp(T), lp={self.length_penalty}, alpha={self.alpha:g}]"
        )


@torch.no_grad()
def error_analysis(
    model: Decoder,
    sources: Sequence[Sequence[int]],
    references: Sequence[Sequence[int]],
    outputs: Sequence[Sequence[int]],
    config: DecodeConfig,
) -> ErrorAnalysis:
    """Blame each wrong output on the search or the model, in batches of ``config.batch_size``.

    Every sequence is token ids without specials: sources x (non-empty), references y* and
    outputs ŷ (</s> is appended to both before scoring).
    """
    if not len(sources) == len(references) == len(outputs):
        raise ValueError(
            "error_analysis: expected as many sources, references and outputs, got "
            f"{len(sources)}, {len(references)} and {len(outputs)}"
        )
    wrong = [i for i in range(len(sources)) if list(outputs[i]) != list(references[i])]
    search = 0
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    for start in range(0, len(wrong), config.batch_size):
        chunk = wrong[start : start + config.batch_size]
        src, src_lengths = (t.to(device) for t in pad([sources[i] for i in chunk], model.pad_id))
        p_ref = _objective(model, src, src_lengths, [references[i] for i in chunk], config)
        p_out = _objective(model, src, src_lengths, [outputs[i] for i in chunk], config)
        search += int((p_ref > p_out).sum())
    return ErrorAnalysis(len(sources), len(wrong), search, len(wrong) - search, config.alpha,
                         config.length_penalty)


def _objective(
    model: Decoder, src: Tensor, src_lengths: Tensor, outputs: list[Sequence[int]],
    config: DecodeConfig,
) -> Tensor:
    """log P(y|x) / lp(T) of each output y (without </s>) → (B,)."""
    tgt = pad([[*y, model.eos_id] for y in outputs], model.pad_id).values.to(src.device)
    scored = score(model, src, src_lengths, tgt)
    return normalise(scored.log_prob, scored.length, config)

