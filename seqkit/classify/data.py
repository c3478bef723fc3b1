"""Labelled sentences: fastText-label files, batches, k-fold splits and pretrained embeddings.

A fastText-label file holds one example a line, its label first with the ``__label__`` prefix:

    __label__neg simplistic , silly and tedious .

(gensim ships 200 such sentences of Pang & Lee's polarity data as ``pang_lee_polarity.cor``).
"""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.utils.data import Dataset

from seqkit.data import DataError, Vocabulary, pad

LABEL_PREFIX = "__label__"


class LabelledText(NamedTuple):
    label: str  # without the __label__ prefix
    text: str


def read_fasttext(path: str | Path) -> list[LabelledText]:
    """The examples of a fastText-label file, one per non-blank line, in file order.

    The file is decoded as UTF-8, or as Latin-1 when it is not UTF-8 (gensim's copy of Pang & Lee
    is). A line must carry exactly one label; otherwise DataError names the file and line.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    examples = []
    for number, line in enumerate(text.split("\n"), 1):
        words = line.split()
        if not words:
            continue
        labels = [w for w in words if w.startswith(LABEL_PREFIX)]
        if len(labels) != 1 or not words[0].startswith(LABEL_PREFIX):
            raise DataError(f"read_fasttext: {path}:{number}: expected one leading "
                            f"{LABEL_PREFIX}LABEL, got {len(labels)} labels in {line[:40]!r}")
        examples.append(LabelledText(words[0][len(LABEL_PREFIX):], " ".join(words[1:])))
    return examples


class ClassificationBatch(NamedTuple):
    ids: Tensor  # (B, T) long, padded with <pad>
    lengths: Tensor  # (B,) long, each ≥ 1
    labels: Tensor  # (B,) long class ids


class LabelledDataset(Dataset[tuple[list[int], int]]):
    """Encoded examples (token ids, class id); batch them with :func:`collate`.

    Args:
        examples: labelled texts, e.g. from :func:`read_fasttext`.
        vocabulary: maps tokens to ids (<unk> for unknown ones).
        tokenize: text → tokens (e.g. ``str.split`` or a seqkit tokenizer's ``tokenize``).
        classes: the class names in id order; an example with another label is a DataError.
    """

    def __init__(self, examples: Sequence[LabelledText], vocabulary: Vocabulary,
                 tokenize: Callable[[str], list[str]], classes: Sequence[str]) -> None:
        index = {name: i for i, name in enumerate(classes)}
        self.items: list[tuple[list[int], int]] = []
        for i, (label, text) in enumerate(examples):
            if label not in index:
                raise DataError(f"LabelledDataset: example {i} has label {label!r}; expected one "
                                f"of {', '.join(classes)}")
            self.items.append((vocabulary.encode(tokenize(text)), index[label]))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[list[int], int]:
        return self.items[i]


def collate(items: Sequence[tuple[Sequence[int], int]]) -> ClassificationBatch:
    """(ids, class) pairs → a padded batch; an empty sequence (no token to read) is a DataError."""
    for i, (ids, _) in enumerate(items):
        if len(ids) == 0:
            raise DataError(f"collate: example {i} of the batch has no tokens")
    ids, lengths = pad([ids for ids, _ in items], Vocabulary.PAD)
    return ClassificationBatch(ids, lengths, torch.tensor([y for _, y in items], dtype=torch.long))


class Fold(NamedTuple):
    train: list[int]  # indices of the examples to train on
    test: list[int]  # indices held out in this fold


def k_fold(n: int, k: int, seed: int = 0) -> list[Fold]:
    """k-fold cross-validation: n examples in a random order (from ``seed``) cut into k parts of
    ⌊n/k⌋ or ⌈n/k⌉; fold i tests on part i and trains on the others, so every example is tested
    exactly once. E.g. n = 7, k = 3: parts of 3, 2 and 2 examples."""
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= n:
        raise ValueError(f"k_fold: expected an int k with 2 ≤ k ≤ n = {n}, got {k!r}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    sizes = [n // k + (i < n % k) for i in range(k)]  # the first n mod k parts take one more
    starts = [sum(sizes[:i]) for i in range(k + 1)]
    parts = [order[starts[i]:starts[i + 1]] for i in range(k)]
    return [Fold(sorted(j for p, part in enumerate(parts) if p != i for j in part),
                 sorted(parts[i])) for i in range(k)]


class Pretrained(NamedTuple):
    weight: Tensor  # (V, E) float32, row v the vector of vocabulary token v (0 when missing)
    found: int  # how many of the vocabulary's tokens (specials aside) had a vector


def pretrained_embeddings(vocabulary: Vocabulary, vectors: Any, dim: int) -> Pretrained:
    """The embedding matrix E of ``vocabulary`` from word vectors, e.g. gensim's KeyedVectors
    (anything with ``word in vectors`` and ``vectors[word]`` of size ``dim``). Tokens without a
    vector and the specials get zero rows, which fine-tuning can move (a frozen one stays 0)."""
    weight = torch.zeros(len(vocabulary), dim)
    found = 0
    for v in range(len(Vocabulary.SPECIALS), len(vocabulary)):
        token = vocabulary[v]
        if token in vectors:
            vector = torch.tensor(vectors[token], dtype=torch.float32)  # a copy
            if vector.shape != (dim,):
                raise ValueError(f"pretrained_embeddings: expected vectors of size {dim}, got "
                                 f"{tuple(vector.shape)} for {token!r}")
            weight[v] = vector
            found += 1
    return Pretrained(weight, found)
