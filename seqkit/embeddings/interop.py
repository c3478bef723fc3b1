"""Word vectors in and out: gensim's ``KeyedVectors`` and the word2vec text and binary formats.

The file formats are gensim's own reader and writer (``save_word2vec_format`` /
``load_word2vec_format``, the C word2vec's layout: a ``V E`` header line, then per word the word
and its E numbers, as text or as float32 bytes). Vectors cross to gensim as float32; a float32
:class:`WordVectors` makes the round trip exactly.
"""

from pathlib import Path

import numpy as np
import torch
from gensim.models import KeyedVectors

from seqkit.data.errors import DataError
from seqkit.embeddings.vectors import WordVectors


def to_gensim(vectors: WordVectors) -> KeyedVectors:
    """A gensim ``KeyedVectors`` with the same words, in the same order, and vectors (float32)."""
    kv = KeyedVectors(vector_size=vectors.vectors.shape[1], dtype=np.float32)
    kv.add_vectors(vectors.words, vectors.vectors.detach().cpu().float().numpy())
    return kv


def from_gensim(kv: KeyedVectors) -> WordVectors:
    """The words of ``kv`` in its order (``index_to_key``) with its vectors."""
    return WordVectors(list(kv.index_to_key), torch.from_numpy(np.array(kv.vectors, copy=True)))


def save_word2vec(vectors: WordVectors, path: str | Path, binary: bool = False) -> None:
    """Write ``vectors`` in the word2vec text format (``binary=False``) or binary format."""
    to_gensim(vectors).save_word2vec_format(str(path), binary=binary)


def load_word2vec(path: str | Path, binary: bool = False, limit: int | None = None) -> WordVectors:
    """Read a word2vec text or binary file (the first ``limit`` words, None: all)."""
    if not Path(path).is_file():
        raise DataError(f"{path}: no such word-vector file")
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary, limit=limit)
    except (ValueError, UnicodeDecodeError, EOFError) as error:
        kind = "binary" if binary else "text"
        raise DataError(f"{path}: not a word2vec {kind} file ({error})") from None
    return from_gensim(kv)
