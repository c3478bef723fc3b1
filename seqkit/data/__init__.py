"""Text data: vocabularies, tokenizers, parallel text, length-bucketed batches, generated data."""

from seqkit.data.errors import DataError
from seqkit.data.vocab import Vocabulary

__all__ = ["DataError", "Vocabulary"]
