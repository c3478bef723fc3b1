"""fastText-label files, datasets and batches, k-fold splits, pretrained embeddings, accuracy."""

import pytest
import torch
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from seqkit.classify import (
    Accuracy,
    ClassifierConfig,
    LabelledDataset,
    LabelledText,
    SequenceClassifier,
    accuracy,
    collate,
    k_fold,
    pretrained_embeddings,
    read_fasttext,
)
from seqkit.data import DataError, Vocabulary


def test_reads_gensims_pang_lee_polarity_sentences():
    examples = read_fasttext(datapath("pang_lee_polarity.cor"))  # Latin-1, not UTF-8
    assert len(examples) == 200
    assert sum(e.label == "pos" for e in examples) == sum(e.label == "neg" for e in examples)
    assert examples[0] == LabelledText("neg", "simplistic , silly and tedious .")


def test_fasttext_lines_need_one_leading_label(tmp_path):
    path = tmp_path / "reviews.txt"
    path.write_text("__label__pos  fine   film \n\n__label__neg dull\n", encoding="utf-8")
    assert read_fasttext(path) == [LabelledText("pos", "fine film"), LabelledText("neg", "dull")]
    path.write_text("__label__pos ok\nno label here\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"reviews.txt:2: expected one leading __label__LABEL, "
                                         r"got 0 labels"):
        read_fasttext(path)
    path.write_text("__label__pos __label__neg both\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"reviews.txt:1: .*got 2 labels"):
        read_fasttext(path)


def test_dataset_encodes_and_collate_pads():
    examples = [LabelledText("pos", "a fine film"), LabelledText("neg", "a dull one")]
    vocab = Vocabulary(["a", "fine", "film", "dull"])
    data = LabelledDataset(examples, vocab, str.split, classes=["neg", "pos"])
    assert len(data) == 2 and data[1] == ([4, 7, Vocabulary.UNK], 0)
    batch = collate([data[0], data[1], ([5], 1)])
    assert batch.ids.tolist() == [[4, 5, 6], [4, 7, 1], [5, 0, 0]]
    assert batch.lengths.tolist() == [3, 3, 1] and batch.labels.tolist() == [1, 0, 1]
    with pytest.raises(DataError, match="example 0 has label 'pos'; expected one of neg, neu"):
        LabelledDataset(examples, vocab, str.split, classes=["neg", "neu"])
    with pytest.raises(DataError, match="collate: example 1 of the batch has no tokens"):
        collate([([4], 0), ([], 1)])


@pytest.mark.parametrize("n,k", [(7, 3), (10, 10), (200, 10)])
def test_k_fold_tests_every_example_exactly_once(n, k):
    folds = k_fold(n, k, seed=1)
    assert len(folds) == k
    tested = sorted(i for fold in folds for i in fold.test)
    assert tested == list(range(n))
    assert sorted(len(f.test) for f in folds) == sorted([n // k + (i < n % k) for i in range(k)])
    for fold in folds:
        assert sorted(fold.train + fold.test) == list(range(n))
    assert k_fold(n, k, seed=1) == folds
    assert n == k or k_fold(n, k, seed=2) != folds


@pytest.mark.parametrize("k", [1, 8, 2.0])
def test_k_fold_needs_2_to_n_folds(k):
    with pytest.raises(ValueError, match=f"k_fold: expected an int k with 2 ≤ k ≤ n = 7, got {k}"):
        k_fold(7, k)


def test_pretrained_embeddings_from_gensim_keyed_vectors():
    vectors = KeyedVectors(vector_size=3)
    vectors.add_vectors(["film", "dull"], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    vocab = Vocabulary(["a", "film", "dull"])
    weight, found = pretrained_embeddings(vocab, vectors, dim=3)
    assert found == 2 and weight.shape == (7, 3)
    assert weight[vocab.index("dull")].tolist() == [4.0, 5.0, 6.0]
    assert weight[vocab.index("a")].abs().sum() == 0 and weight[:4].abs().sum() == 0
    with pytest.raises(ValueError, match=r"expected vectors of size 4, got \(3,\) for 'film'"):
        pretrained_embeddings(vocab, vectors, dim=4)


def test_accuracy_counts_argmax_hits():
    torch.manual_seed(0)
    model = SequenceClassifier(ClassifierConfig(kind="average", embedding_dim=4), 8, 3)
    batches = [collate([([4, 5], 0), ([6], 2)]), collate([([7, 7, 4], 1)])]
    hits = sum(int(model(b.ids, b.lengths).argmax(-1).eq(b.labels).sum()) for b in batches)
    assert accuracy(model, batches) == Accuracy(hits, 3)
    assert str(Accuracy(163, 200)) == "accuracy 81.50% (163/200, argmax of ŷ)"
    assert Accuracy(0, 0).as_dict() == {"accuracy": 0.0, "correct": 0.0, "total": 0.0}
