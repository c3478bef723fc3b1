"""The sequence-classification task: labelled sentences in (fastText ``__label__`` format), a
many-to-one RNN or the averaging baseline out (notes: "Sentiment classification").

Recipe sections: ``data`` (:class:`ClassifyData`), ``model``
(:class:`~seqkit.classify.ClassifierConfig`), plus the common ``task``, ``seed`` and ``train``.
The splits are ``{train,valid,test}.txt``, or, with ``data.folds`` = k, the k-fold
cross-validation of ``all.txt``: fold i tests on part i, validates (picks ``best.pt``) on part
i + 1 mod k and trains on the other k − 2. Train each fold (``--set data.fold=i``) and pool the
folds' counts with ``seqkit cross-validate``: accuracy = Σ correct / Σ examples.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
import torch
from torch import nn

from seqkit.classify import (
    Accuracy,
    ClassificationBatch,
    ClassifierConfig,
    LabelledDataset,
    LabelledText,
    SequenceClassifier,
    accuracy,
    classification_loss,
    collate,
    k_fold,
    pretrained_embeddings,
    read_fasttext,
)
from seqkit.config import require
from seqkit.data import (
    DataError,
    Vocabulary,
    prepare,
    tokenizer_from_state,
    train_tokenizer,
)
from seqkit.status import status
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.classify.verbs import EVALUATE_OPTIONS, VERBS


@dataclass
class ClassifyData:
    """The recipe's ``data:`` section: labelled sentences in fastText's ``__label__`` format."""

    dir: str = "data"  # folder with {train,valid,test}.txt, or all.txt when folds ≥ 2
    prepare: str | None = None  # pang_lee: gensim's 200 labelled sentences into all.txt
    tokenizer: Literal["word", "char", "tweet"] = "word"  # space-separated words, characters, or
    # TweetTokenizer's lower-cased words and punctuation (links → url, @names → @user)
    min_freq: int = 1  # training tokens seen fewer times map to <unk>
    batch_size: int = 32  # sentences per batch
    folds: int = 0  # k ≥ 2: k-fold cross-validation of all.txt; 0: the three files
    fold: int = 0  # the fold tested (0 ≤ fold < folds); fold + 1 mod k validates
    vectors: str | None = None  # word2vec text file whose vectors initialise E (None: random)

    def __post_init__(self) -> None:
        for key in ("min_freq", "batch_size"):
            require(getattr(self, key) >= 1, f"data.{key}", "≥ 1", getattr(self, key))
        require(self.folds == 0 or self.folds >= 3, "data.folds", "0 or ≥ 3 (test, valid, train)",
                self.folds)
        require((self.folds == 0 and self.fold == 0) or 0 <= self.fold < self.folds, "data.fold",
                f"in [0, {max(self.folds, 1)}) (data.folds={self.folds})", self.fold)


@dataclass
class ClassifyRecipe(Recipe):
    task: str = "classify"
    data: ClassifyData = field(default_factory=ClassifyData)
    model: ClassifierConfig = field(default_factory=ClassifierConfig)


class Guess(NamedTuple):
    label: str  # argmax_c ŷ_c, the class name
    probability: float  # its ŷ_c


class ClassifyTask:
    """Builds the vocabulary, classes and classifier from a recipe; trains, scores, classifies."""

    name = "classify"
    unit = "sentences"  # what the count of loss counts (progress lines)
    Recipe = ClassifyRecipe
    metrics: ClassVar = {"accuracy": True, "loss": False}
    resumable: ClassVar = ()
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: ClassifyRecipe, tokenizer: Any, vocab: Vocabulary,
                 classes: list[str], pretrained: torch.Tensor | None = None) -> None:
        self.recipe, self.tokenizer, self.vocab, self.classes = recipe, tokenizer, vocab, classes
        self.model = SequenceClassifier(recipe.model, len(vocab), len(classes), pretrained)

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    @classmethod
    def build(cls, recipe: ClassifyRecipe) -> "ClassifyTask":
        """Prepare the data if asked, then fit the vocabulary and classes on the training split
        (and read the pretrained vectors of its tokens)."""
        data = recipe.data
        if data.prepare:
            prepare(data.prepare, data, recipe.seed)
        train = split_examples(data, "train", recipe.seed)
        tokenizer = train_tokenizer(data.tokenizer, [e.text for e in train])
        vocab = Vocabulary.build((tokenizer.tokenize(e.text) for e in train),
                                 min_freq=data.min_freq)
        classes = sorted({e.label for e in train})
        if len(classes) < 2:
            raise DataError(f"{data.dir}: the training split has one label ({classes[0]}); "
                            "expected at least 2")
        status(f"classify: {len(train):,} training sentences, {len(vocab):,} tokens, classes "
               f"{', '.join(classes)}")
        pretrained = None
        if data.vectors:
            from seqkit.embeddings.interop import load_word2vec

            vectors = load_word2vec(data.vectors)
            pretrained, found = pretrained_embeddings(vocab, vectors, recipe.model.embedding_dim)
            status(f"classify: {found:,} of {len(vocab) - 4:,} tokens have a vector in "
                   f"{data.vectors}")
        task = cls(recipe, tokenizer, vocab, classes, pretrained)
        _ = task.train_set, task.dataset("valid")  # read both splits now: fail early
        return task

    @classmethod
    def restore(cls, recipe: ClassifyRecipe, state: dict[str, Any]) -> "ClassifyTask":
        return cls(recipe, tokenizer_from_state(state["tokenizer"]),
                   Vocabulary.from_state(state["vocab"]), list(state["classes"]))

    def state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.to_state(), "vocab": self.vocab.to_state(),
                "classes": list(self.classes)}

    # --- data ----------------------------------------------------------------------------------
    def dataset(self, split: str) -> LabelledDataset:
        data = self.recipe.data
        examples = split_examples(data, split, self.recipe.seed)
        try:
            return LabelledDataset(examples, self.vocab, self.tokenizer.tokenize, self.classes)
        except DataError as error:
            raise DataError(f"{data.dir}, {split} split: {error}") from None

    @cached_property
    def train_set(self) -> LabelledDataset:
        return self.dataset("train")

    def batches(self, epoch: int) -> list[ClassificationBatch]:
        """Shuffled batches of ``data.batch_size`` sentences, a function of (seed, epoch).

        Note: padded here, not by a BatchLoader, whose DataLoader iterator draws a seed from
        torch's global generator: a resumed epoch would draw other dropout masks.
        """
        entropy = np.random.SeedSequence([self.recipe.seed, epoch]).generate_state(1, np.uint64)
        generator = torch.Generator().manual_seed(int(entropy[0]))
        order = torch.randperm(len(self.train_set), generator=generator).tolist()
        size, data = self.recipe.data.batch_size, self.train_set
        return [collate([data[i] for i in order[start:start + size]])
                for start in range(0, len(order), size)]

    def held_out_batches(self, split: str) -> list[ClassificationBatch]:
        dataset, size = self.dataset(split), self.recipe.data.batch_size
        return [collate([dataset[i] for i in range(start, min(start + size, len(dataset)))])
                for start in range(0, len(dataset), size)]

    # --- training and evaluation ---------------------------------------------------------------
    def loss(self, model: nn.Module, batch: ClassificationBatch) -> tuple[torch.Tensor, int]:
        """J = −1/B Σ_b log ŷ_b[y_b], averaged over the B sentences of the batch."""
        return classification_loss(model, batch.ids, batch.lengths, batch.labels), len(batch.labels)

    def validate(self, model: nn.Module) -> dict[str, float]:
        batches = self.held_out_batches("valid")
        total, n = 0.0, 0
        for batch in batches:
            device = model.readout.weight.device
            loss = classification_loss(model, batch.ids.to(device), batch.lengths, batch.labels)
            total, n = total + loss.item() * len(batch.labels), n + len(batch.labels)
        return {"accuracy": accuracy(model, batches).value, "loss": total / n}

    def score(self, split: str = "test") -> Accuracy:
        return accuracy(self.model, self.held_out_batches(split))

    def evaluate(self, split: str = "test") -> Report:
        """The accuracy of a held-out split (with folds, the fold's test part) from its counts."""
        score, data, model = self.score(split), self.recipe.data, self.recipe.model
        where = f"fold {data.fold} of {data.folds}, " if data.folds else ""
        kind = f"rnn {model.cell}" if model.kind == "rnn" else "average"
        settings = {"split": split, "folds": data.folds, "fold": data.fold, "kind": model.kind,
                    "classes": self.classes}
        return Report(f"{split} ({where}{score.total} sentences, {kind})", score.as_dict(),
                      [str(score)], settings)

    def classify(self, lines: Sequence[str]) -> list[Guess | None]:
        """The most probable class of each line and its ŷ; None for a line without tokens."""
        if isinstance(lines, str):
            raise TypeError("ClassifyTask.classify: expected a sequence of lines, got one str")
        encoded = [self.vocab.encode(self.tokenizer.tokenize(line)) for line in lines]
        kept = [i for i, ids in enumerate(encoded) if ids]
        guesses: list[Guess | None] = [None] * len(lines)
        device = self.model.readout.weight.device
        self.model.eval()
        size = self.recipe.data.batch_size
        with torch.no_grad():
            for start in range(0, len(kept), size):
                chunk = kept[start:start + size]
                batch = collate([(encoded[i], 0) for i in chunk])
                p = self.model(batch.ids.to(device), batch.lengths).softmax(-1)  # (B, C)
                for i, row in zip(chunk, p, strict=True):
                    guesses[i] = Guess(self.classes[int(row.argmax())], float(row.max()))
        return guesses


def split_examples(data: ClassifyData, split: str, seed: int) -> list[LabelledText]:
    """The labelled sentences of ``split``: its file, or its part of the folds of all.txt."""
    if not data.folds:
        return _read(Path(data.dir) / f"{split}.txt")
    examples = _read(Path(data.dir) / "all.txt")
    if len(examples) < data.folds:
        raise DataError(f"{data.dir}/all.txt: {len(examples)} sentences cannot make "
                        f"data.folds={data.folds} folds")
    folds = k_fold(len(examples), data.folds, seed)
    test, valid = folds[data.fold].test, folds[(data.fold + 1) % data.folds].test
    indices = {"test": test, "valid": valid,
               "train": sorted(set(range(len(examples))) - set(test) - set(valid))}[split]
    return [examples[i] for i in indices]


def _read(path: Path) -> list[LabelledText]:
    if not path.is_file():
        raise DataError(f"{path}: no such file (labelled sentences, '__label__LABEL text' a line)")
    examples = read_fasttext(path)
    if not examples:
        raise DataError(f"{path}: no labelled sentence")
    return examples


def pooled_accuracy(runs: Sequence[tuple[str, "ClassifyTask"]]) -> list[str]:
    """Lines for people: each fold's test accuracy, then the pooled Σ correct / Σ sentences.

    The runs must be folds of one recipe (equal but for ``data.fold`` and the settings a resumed
    run may change: its length, logging, device), each fold at most once; all k of them make the
    cross-validated accuracy, fewer are said to be partial.
    """
    from seqkit.config import to_dict
    from seqkit.errors import SeqkitError
    from seqkit.train import RESUMABLE

    def without_fold(task: ClassifyTask) -> dict[str, Any]:
        recipe = to_dict(task.recipe)
        for key in ("data.fold", *RESUMABLE):
            section, name = key.split(".")
            recipe[section].pop(name)
        return recipe

    first_path, first = runs[0]
    k = first.recipe.data.folds
    if not k:
        raise SeqkitError(f"{first_path}: not a cross-validation run (data.folds is 0)")
    seen: dict[int, tuple[str, ClassifyTask]] = {}
    for path, task in runs:
        if without_fold(task) != without_fold(first):
            raise SeqkitError(f"{path}: its recipe differs from {first_path}'s beyond data.fold")
        fold = task.recipe.data.fold
        if fold in seen:
            raise SeqkitError(f"{path}: fold {fold} again (also {seen[fold][0]})")
        seen[fold] = path, task
    lines, total = [], Accuracy(0, 0)
    for fold in sorted(seen):
        path, task = seen[fold]
        score = task.score("test")
        lines.append(f"fold {fold}: {score} ({path})")
        total = Accuracy(total.correct + score.correct, total.total + score.total)
    coverage = "" if len(seen) == k else f", partial: {len(seen)} of {k} folds"
    lines.append(f"{k}-fold cross-validation: {total}{coverage}")
    return lines
