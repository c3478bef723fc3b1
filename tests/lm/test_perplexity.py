"""Perplexity = exp(mean token cross-entropy), checked on models whose probabilities are known."""

import math

import pytest
import torch

from seqkit.data import Vocabulary
from seqkit.lm import (
    LanguageModelConfig,
    Perplexity,
    RNNLanguageModel,
    language_model_batch,
    perplexity,
)

V = 6
SENTENCES = [[4, 5], [4]]  # targets 4 5 </s> and 4 </s>: five tokens


def history_free_model(log_p: torch.Tensor) -> RNNLanguageModel:
    """A model whose every prediction is softmax(b_y) = p, whatever came before (W_y = 0)."""
    model = RNNLanguageModel(LanguageModelConfig(embedding_dim=3, hidden_size=4), V)
    with torch.no_grad():
        model.readout.weight.zero_()
        model.readout.bias.copy_(log_p)
    return model


def test_uniform_model_has_perplexity_v():
    result = perplexity(history_free_model(torch.zeros(V)), [language_model_batch(SENTENCES)])
    assert result.n_tokens == 5
    assert result.value == pytest.approx(V, rel=1e-6)


def test_known_probabilities_give_the_hand_computed_perplexity():
    p = torch.tensor([0.05, 0.05, 0.05, 0.25, 0.4, 0.2])  # ids 3 = </s>, 4, 5
    assert Vocabulary.EOS == 3
    model = history_free_model(p.log())
    # −log P over the targets 4 5 </s> 4 </s>: 2·(−log 0.4) − log 0.2 + 2·(−log 0.25)
    nll = -(2 * math.log(0.4) + math.log(0.2) + 2 * math.log(0.25))
    batches = [language_model_batch([s]) for s in SENTENCES]  # pooled over two batches
    result = perplexity(model, batches)
    assert result.nll == pytest.approx(nll, rel=1e-5)
    assert result.value == pytest.approx(math.exp(nll / 5), rel=1e-5)


def test_perplexity_pools_statistics_and_restores_training_mode():
    torch.manual_seed(0)
    model = RNNLanguageModel(LanguageModelConfig(embedding_dim=3, hidden_size=4, dropout=0.3), V)
    separate = [perplexity(model, [language_model_batch([s])]) for s in SENTENCES]
    pooled = perplexity(model, [language_model_batch(SENTENCES)])
    assert model.training
    assert pooled.value == pytest.approx((separate[0] + separate[1]).value, rel=1e-5)
    assert pooled.value != pytest.approx(sum(r.value for r in separate) / 2, rel=1e-3)


def test_printed_line_says_how_it_was_computed():
    line = str(Perplexity(nll=2 * math.log(10), n_tokens=2, model="rnn lstm"))
    assert line.startswith("perplexity 10.00 = exp(2.3026 nats/token) over 2 tokens")
    assert "</s> included" in line and "<unk>" in line and "rnn lstm" in line
    assert Perplexity(0.0, 0).as_dict() == {"perplexity": 1.0, "cross_entropy": 0.0,
                                            "n_tokens": 0.0}
