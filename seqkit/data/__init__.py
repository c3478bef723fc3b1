"""Text data: vocabularies, tokenizers, parallel text, length-bucketed batches, generated data."""

from seqkit.data.batching import Padded, pad, shard, token_batches
from seqkit.data.errors import DataError
from seqkit.data.parallel import read_lines, read_parallel, write_lines
from seqkit.data.tokenizers import (
    TOKENIZER_KINDS,
    Tokenizer,
    tokenizer_from_state,
    train_tokenizer,
)
from seqkit.data.vocab import Vocabulary

__all__ = ["TOKENIZER_KINDS", "DataError", "Padded", "Tokenizer", "Vocabulary", "pad",
           "read_lines", "read_parallel", "shard", "token_batches", "tokenizer_from_state",
           "train_tokenizer", "write_lines"]
