"""The seq2seq task (:mod:`.task`), its data (:mod:`.data`) and its command line
(:mod:`.verbs`)."""

from seqkit.tasks.seq2seq.data import Batch, Example, TextDataConfig, collate
from seqkit.tasks.seq2seq.task import Evaluation, Seq2SeqRecipe, Seq2SeqTask

__all__ = ["Batch", "Evaluation", "Example", "Seq2SeqRecipe", "Seq2SeqTask", "TextDataConfig",
           "collate"]
