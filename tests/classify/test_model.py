"""Many-to-one RNN and averaging classifiers: torch.nn oracle, padding invariance, embeddings."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqkit.classify import (
    ClassifierConfig,
    SequenceClassifier,
    accuracy,
    classification_loss,
    collate,
)
from seqkit.data import Vocabulary
from seqkit.errors import ConfigError

V, C = 12, 3
SEQUENCES = [[4, 5, 6, 7], [8], [9, 10, 4], [11, 11]]
LABELS = [0, 2, 1, 2]


def make(kind: str = "rnn", cell: str = "lstm", bidirectional: bool = False, layers: int = 1,
         **options) -> SequenceClassifier:
    torch.manual_seed(0)
    config = ClassifierConfig(kind=kind, embedding_dim=5, hidden_size=6, cell=cell,
                              bidirectional=bidirectional, num_layers=layers, **options)
    return SequenceClassifier(config, V, C).double()


def batch():
    return collate(list(zip(SEQUENCES, LABELS, strict=True)))


@pytest.mark.parametrize("cell,torch_rnn", [("lstm", nn.LSTM), ("gru", nn.GRU)])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_rnn_reads_the_last_real_step_of_each_direction(cell, torch_rnn, bidirectional):
    model = make("rnn", cell, bidirectional, layers=2)
    reference = torch_rnn(5, 6, num_layers=2, bidirectional=bidirectional,
                          batch_first=True).double()
    reference.load_state_dict(model.rnn.state_dict())
    ids, lengths, _ = batch()
    logits = model(ids, lengths)
    for b, sequence in enumerate(SEQUENCES):  # one unpadded sentence at a time
        a, _ = reference(F.embedding(torch.tensor([sequence]), model.embedding.weight))
        summary = a[0, -1, :6]  # a→<T_x>
        if bidirectional:
            summary = torch.cat([summary, a[0, 0, 6:]])  # a←<1>
        torch.testing.assert_close(logits[b], model.readout(summary))


def test_average_is_the_mean_of_the_real_word_vectors():
    model = make("average")
    ids, lengths, _ = batch()
    E = model.embedding.weight
    means = torch.stack([E[torch.tensor(s)].mean(dim=0) for s in SEQUENCES])  # (B, E)
    torch.testing.assert_close(model(ids, lengths), model.readout(means))


@pytest.mark.parametrize("kind,cell,bidirectional", [
    ("rnn", "lstm", False), ("rnn", "gru", True), ("rnn", "rnn", True), ("average", "lstm", False),
])
def test_output_does_not_change_with_the_padding_added(kind, cell, bidirectional):
    model = make(kind, cell, bidirectional)
    ids, lengths, _ = batch()
    extra = torch.full((len(SEQUENCES), 3), Vocabulary.PAD)
    logits = model(ids, lengths)
    assert logits.shape == (len(SEQUENCES), C)
    torch.testing.assert_close(model(torch.cat([ids, extra], dim=1), lengths), logits)
    alone = torch.cat([model(*collate([(s, 0)])[:2]) for s in SEQUENCES])
    torch.testing.assert_close(alone, logits)


def test_loss_is_the_mean_cross_entropy():
    model = make("rnn", "gru")
    ids, lengths, labels = batch()
    expected = F.cross_entropy(model(ids, lengths), labels)
    torch.testing.assert_close(classification_loss(model, ids, lengths, labels), expected)


@pytest.mark.parametrize("freeze", [True, False])
def test_pretrained_vectors_start_the_embeddings_frozen_or_fine_tuned(freeze):
    vectors = torch.randn(V, 5, generator=torch.Generator().manual_seed(1)).double()
    config = ClassifierConfig(embedding_dim=5, hidden_size=6, freeze_embeddings=freeze)
    model = SequenceClassifier(config, V, C, pretrained=vectors).double()
    torch.testing.assert_close(model.embedding.weight.detach(), vectors)
    optimiser = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1.0)
    classification_loss(model, *batch()).backward()
    optimiser.step()
    moved = not torch.equal(model.embedding.weight.detach(), vectors)
    assert moved is not freeze
    assert (model.embedding.weight.grad is None) is freeze


def test_rnn_learns_word_order_that_the_average_cannot_see():
    # "4 5" and "5 4" hold the same words; only the order tells the classes apart (notes:
    # "completely lacking in good …": averaging loses it).
    items = [([4, 5], 0), ([5, 4], 1)] * 4
    data = collate(items)
    results = {}
    for kind in ("rnn", "average"):
        model = make(kind, "gru")
        optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(60):
            optimiser.zero_grad()
            classification_loss(model, *data).backward()
            optimiser.step()
        results[kind] = accuracy(model, [data]).value
    assert results == {"rnn": 1.0, "average": 0.5}


@pytest.mark.parametrize("key,value,match", [
    ("kind", "cnn", "model.kind: expected one of rnn, average, got 'cnn'"),
    ("embedding_dim", 0, "model.embedding_dim: expected an int ≥ 1, got 0"),
    ("cell", "tcn", "model.cell: expected one of rnn, gru, lstm, got 'tcn'"),
    ("dropout", -0.1, r"model.dropout: expected in \[0, 1\), got -0.1"),
])
def test_config_errors_name_the_recipe_key(key, value, match):
    with pytest.raises(ConfigError, match=match):
        ClassifierConfig(**{key: value})


def test_bad_arguments():
    config = ClassifierConfig(embedding_dim=5)
    with pytest.raises(ValueError, match="SequenceClassifier: expected num_classes ≥ 2, got 1"):
        SequenceClassifier(config, V, 1)
    with pytest.raises(ValueError, match=r"expected pretrained vectors of shape \(12, 5\), got "
                                         r"\(12, 4\)"):
        SequenceClassifier(config, V, C, pretrained=torch.zeros(V, 4))
