"""The RNN language model: teacher forcing against torch.nn in float64, shapes, padding, config."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqkit.data import Vocabulary
from seqkit.errors import ConfigError
from seqkit.lm import (
    LanguageModelConfig,
    RNNLanguageModel,
    language_model_batch,
    language_model_loss,
)

V = 9
SENTENCES = [[4, 5, 6], [7], [], [8, 4]]


def make_model(cell: str = "lstm", layers: int = 1) -> RNNLanguageModel:
    torch.manual_seed(0)
    config = LanguageModelConfig(embedding_dim=5, hidden_size=6, num_layers=layers, cell=cell)
    return RNNLanguageModel(config, V).double()


def test_batch_shifts_targets_by_one_and_ends_with_eos():
    batch = language_model_batch([[4, 5], [6]])
    B, E, P = Vocabulary.BOS, Vocabulary.EOS, Vocabulary.PAD
    assert batch.inputs.tolist() == [[B, 4, 5], [B, 6, P]]
    assert batch.targets.tolist() == [[4, 5, E], [6, E, P]]
    assert batch.lengths.tolist() == [3, 2]


@pytest.mark.parametrize("cell,torch_rnn", [("lstm", nn.LSTM), ("gru", nn.GRU), ("rnn", nn.RNN)])
@pytest.mark.parametrize("layers", [1, 2])
def test_loss_equals_torch_reference(cell, torch_rnn, layers):
    model = make_model(cell, layers)
    reference = torch_rnn(5, 6, num_layers=layers, batch_first=True).double()
    reference.load_state_dict(model.rnn.state_dict())
    batch = language_model_batch(SENTENCES)
    e = F.embedding(batch.inputs, model.embedding.weight)  # (B, T, E)
    a, _ = reference(e)  # padding comes after the real steps, so it cannot change them
    z = F.linear(a, model.readout.weight, model.readout.bias)  # (B, T, V)
    expected = F.cross_entropy(z.reshape(-1, V), batch.targets.reshape(-1),
                               ignore_index=Vocabulary.PAD)
    loss, n_tokens = language_model_loss(model, batch)
    assert n_tokens == sum(len(s) + 1 for s in SENTENCES)  # every token and each </s>
    torch.testing.assert_close(loss, expected)


def test_output_shapes_and_state_continues_the_sequence():
    model = make_model("lstm", layers=2)
    ids = language_model_batch(SENTENCES).inputs  # (B, T)
    logits, (a, c) = model(ids)
    assert logits.shape == (4, ids.shape[1], V)
    assert a.shape == c.shape == (2, 4, 6)  # (L, B, H)
    first = model(ids[:, :2])
    rest = model(ids[:, 2:], None, first.state)
    torch.testing.assert_close(torch.cat([first.logits, rest.logits], dim=1), logits)


def test_loss_of_a_sentence_does_not_depend_on_its_batch():
    model = make_model("gru")
    alone = [language_model_loss(model, language_model_batch([s])) for s in SENTENCES]
    together = language_model_loss(model, language_model_batch(SENTENCES))
    total = sum(loss * n for loss, n in alone)
    torch.testing.assert_close(together.loss * together.n_tokens, total)


def test_gradients_reach_every_parameter_but_the_pad_embedding():
    model = make_model("lstm")
    language_model_loss(model, language_model_batch(SENTENCES)).loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert model.embedding.weight.grad[Vocabulary.PAD].abs().sum() == 0


def test_dropout_is_off_in_eval_mode():
    config = LanguageModelConfig(embedding_dim=5, hidden_size=6, num_layers=2, dropout=0.5)
    model = RNNLanguageModel(config, V).eval()
    ids = language_model_batch(SENTENCES).inputs
    torch.testing.assert_close(model(ids).logits, model(ids).logits)
    assert not torch.equal(model.train()(ids).logits, model(ids).logits)


@pytest.mark.parametrize("key,value,match", [
    ("hidden_size", 0, "model.hidden_size: expected an int ≥ 1, got 0"),
    ("num_layers", 1.5, "model.num_layers: expected an int ≥ 1, got 1.5"),
    ("cell", "tcn", "model.cell: expected one of rnn, gru, lstm, got 'tcn'"),
    ("dropout", 1.0, r"model.dropout: expected in \[0, 1\), got 1.0"),
])
def test_config_errors_name_the_recipe_key(key, value, match):
    with pytest.raises(ConfigError, match=match):
        LanguageModelConfig(**{key: value})


def test_vocab_size_must_hold_the_specials_and_a_token():
    with pytest.raises(ValueError, match=r"RNNLanguageModel: expected vocab_size ≥ 5.*got 4"):
        RNNLanguageModel(LanguageModelConfig(), 4)
