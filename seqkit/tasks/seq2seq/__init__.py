"""The seq2seq task (:mod:`.task`) and its command line (:mod:`.verbs`)."""

from seqkit.tasks.seq2seq.task import (
    Batch,
    Evaluation,
    Example,
    Seq2SeqRecipe,
    Seq2SeqTask,
    TextDataConfig,
    collate,
)

__all__ = ["Batch", "Evaluation", "Example", "Seq2SeqRecipe", "Seq2SeqTask", "TextDataConfig",
           "collate"]
