"""The attention encoder–decoder and decoding over it: attention scores, the Seq2Seq model's
protocol (``encode``, ``decode_step``), greedy search (:mod:`.search`), beam search
(:mod:`.beam`), the notes' beam-search error analysis and attention maps."""

from seqkit.seq2seq.analysis import ErrorAnalysis, error_analysis
from seqkit.seq2seq.attention import (
    ATTENTIONS,
    AdditiveAttention,
    Attended,
    Attention,
    DotAttention,
    GeneralAttention,
    make_attention,
)
from seqkit.seq2seq.beam import beam_search
from seqkit.seq2seq.model import CELLS, READOUTS, Encoded, Seq2Seq, Seq2SeqConfig, State, Step
from seqkit.seq2seq.plot import plot_attention
from seqkit.seq2seq.search import (
    LENGTH_PENALTIES,
    DecodeConfig,
    Decoder,
    Hypothesis,
    Score,
    greedy,
    length_penalty,
    max_length,
    normalise,
    score,
)

__all__ = [
    "ATTENTIONS",
    "CELLS",
    "LENGTH_PENALTIES",
    "READOUTS",
    "AdditiveAttention",
    "Attended",
    "Attention",
    "DecodeConfig",
    "Decoder",
    "DotAttention",
    "Encoded",
    "ErrorAnalysis",
    "GeneralAttention",
    "Hypothesis",
    "Score",
    "Seq2Seq",
    "Seq2SeqConfig",
    "State",
    "Step",
    "beam_search",
    "error_analysis",
    "greedy",
    "length_penalty",
    "make_attention",
    "max_length",
    "normalise",
    "plot_attention",
    "score",
]
