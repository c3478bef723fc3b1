"""Text data: vocabularies, tokenizers, line-aligned parallel text, length-bucketed batches, and
generated corpora (dates → ISO) with a registry of preparers for recipes.

    tokenizer = train_tokenizer("char", train_lines)          # or word, bpe, unigram
    vocab = Vocabulary.build(tokenizer.tokenize(x) for x in train_lines)
    ids = vocab.encode(tokenizer.tokenize(line), bos=True, eos=True)
    for batch in token_batches(lengths, max_tokens=4096, generator=g):
        src, src_lengths = pad([ids_of[i] for i in batch], Vocabulary.PAD)  # (B, T), (B,)

``BatchLoader`` loads such index batches from a dataset with ``torch.utils.data`` workers.
"""

from seqkit.data.batching import Padded, pad, shard, token_batches
from seqkit.data.errors import DataError
from seqkit.data.loader import BatchLoader
from seqkit.data.parallel import read_lines, read_parallel, write_lines
from seqkit.data.preparers import PREPARERS, prepare
from seqkit.data.tokenizers import (
    TOKENIZER_KINDS,
    Tokenizer,
    tokenizer_from_state,
    train_tokenizer,
)
from seqkit.data.vocab import Vocabulary

__all__ = [
    "PREPARERS",
    "TOKENIZER_KINDS",
    "BatchLoader",
    "DataError",
    "Padded",
    "Tokenizer",
    "Vocabulary",
    "pad",
    "prepare",
    "read_lines",
    "read_parallel",
    "shard",
    "token_batches",
    "tokenizer_from_state",
    "train_tokenizer",
    "write_lines",
]
