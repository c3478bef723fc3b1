"""Sequence classification: a many-to-one RNN and the averaging baseline over (optionally
pretrained) embeddings, fastText-label files, k-fold splits and accuracy.

    examples = read_fasttext(datapath("pang_lee_polarity.cor"))
    vocab = Vocabulary.build(e.text.split() for e in examples)
    data = LabelledDataset(examples, vocab, str.split, classes=["neg", "pos"])
    for fold in k_fold(len(data), k=10, seed=0):
        model = SequenceClassifier(ClassifierConfig(cell="gru"), len(vocab), num_classes=2)
        ...  # train on Subset(data, fold.train) batched by collate; print(accuracy(model, ...))
"""

from seqkit.classify.data import (
    ClassificationBatch,
    Fold,
    LabelledDataset,
    LabelledText,
    Pretrained,
    collate,
    k_fold,
    pretrained_embeddings,
    read_fasttext,
)
from seqkit.classify.evaluate import Accuracy, accuracy
from seqkit.classify.model import ClassifierConfig, SequenceClassifier, classification_loss

__all__ = [
    "Accuracy",
    "ClassificationBatch",
    "ClassifierConfig",
    "Fold",
    "LabelledDataset",
    "LabelledText",
    "Pretrained",
    "SequenceClassifier",
    "accuracy",
    "classification_loss",
    "collate",
    "k_fold",
    "pretrained_embeddings",
    "read_fasttext",
]
