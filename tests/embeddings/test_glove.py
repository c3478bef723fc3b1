"""GloVe: co-occurrence counts and weighting by hand, the loss against a per-entry loop, the
AdaGrad step against glove.c's loop and autograd, training fitting log X_ij."""

import math

import pytest
import torch

from seqkit.embeddings.glove import (
    GloVe,
    GloVeConfig,
    adagrad_step,
    cooccurrence,
    fit_glove,
    weighting,
)
from seqkit.errors import ConfigError


def test_cooccurrence_matches_a_hand_count():
    # "the cat sat on the mat" → the=0 cat=1 sat=2 on=3 mat=4; window 2, 1/d per occurrence
    sentences = [[0, 1, 2, 3, 0, 4], [1, 0]]
    X = cooccurrence(sentences, 5, window=2).to_dense()
    by_hand = {
        (0, 1): 1 + 1,      # the–cat at d=1 (sentence 1) and cat–the at d=1 (sentence 2)
        (0, 2): 1 / 2,      # the–sat, d=2
        (1, 2): 1,          # cat–sat
        (1, 3): 1 / 2,      # cat–on
        (2, 3): 1,          # sat–on
        (2, 0): 1 / 2,      # sat–the (second "the"), d=2
        (3, 0): 1,          # on–the
        (3, 4): 1 / 2,      # on–mat
        (0, 4): 1,          # the–mat
    }
    expected = torch.zeros(5, 5, dtype=torch.float64)
    for (i, j), x in by_hand.items():
        expected[i, j] += x
        expected[j, i] += x  # symmetric window: j is in i's context as i is in j's
    torch.testing.assert_close(X, expected)


def test_weighting_by_hand():
    x = torch.tensor([1.0, 50.0, 100.0, 250.0])
    expected = torch.tensor([0.01 ** 0.75, 0.5 ** 0.75, 1.0, 1.0])
    torch.testing.assert_close(weighting(x), expected)
    torch.testing.assert_close(weighting(x, x_max=10, alpha=1.0), torch.tensor([0.1, 1, 1, 1]))


def test_loss_matches_the_sum_over_non_zero_entries():
    model = GloVe(5, GloVeConfig(dim=3, seed=0)).double().requires_grad_(False)
    X = cooccurrence([[0, 1, 2, 3, 0, 4], [1, 0]], 5, window=2)
    (i, j), x = X.indices(), X.values()
    expected = 0.0
    for a, b, value in zip(i.tolist(), j.tolist(), x.tolist(), strict=True):
        inner = float(model.w[a] @ model.w_tilde[b] + model.b[a] + model.b_tilde[b])
        expected += min(1.0, (value / 100) ** 0.75) * (inner - math.log(value)) ** 2
    assert model.loss(i, j, x).item() == pytest.approx(expected)
    torch.testing.assert_close(model.vectors(), (model.w + model.w_tilde).detach())


def glove_c(model: GloVe, entries: list[tuple[int, int, float]], lr: float) -> None:
    """glove.c's loop: each entry's AdaGrad step in turn, G ← G + (η g)² after each."""
    c, p = model.config, dict(model.named_parameters()) | dict(model.named_buffers())
    for i, j, x in entries:
        diff = float(p["w"][i] @ p["w_tilde"][j] + p["b"][i] + p["b_tilde"][j]) - math.log(x)
        fdiff = lr * min(1.0, (x / c.x_max) ** c.alpha) * diff
        temp1, temp2 = fdiff * p["w_tilde"][j].clone(), fdiff * p["w"][i].clone()
        p["w"][i] -= temp1 / p["G_w"][i].sqrt()
        p["w_tilde"][j] -= temp2 / p["G_w_tilde"][j].sqrt()
        p["G_w"][i] += temp1.square()
        p["G_w_tilde"][j] += temp2.square()
        p["b"][i] -= fdiff / p["G_b"][i].sqrt()
        p["b_tilde"][j] -= fdiff / p["G_b_tilde"][j].sqrt()
        p["G_b"][i] += fdiff**2
        p["G_b_tilde"][j] += fdiff**2


def test_adagrad_step_equals_glove_c_on_entries_of_distinct_rows():
    """Two steps, so the second reads the G the first left; rows distinct within a batch."""
    model = GloVe(6, GloVeConfig(dim=4, x_max=3, seed=0)).double().requires_grad_(False)
    reference = GloVe(6, model.config).double().requires_grad_(False)
    reference.load_state_dict(model.state_dict())
    batches = [[(0, 1, 2.0), (1, 3, 0.5), (4, 0, 7.0)], [(1, 0, 1.5), (4, 4, 0.25)]]
    for batch in batches:
        i, j, x = (torch.tensor(column) for column in zip(*batch, strict=True))
        before = model.loss(i, j, x.double()).item()
        assert adagrad_step(model, i, j, x.double(), lr=0.3).item() == pytest.approx(before)
        glove_c(reference, batch, lr=0.3)
    for name, tensor in reference.state_dict().items():
        torch.testing.assert_close(model.state_dict()[name], tensor, msg=name)
    assert not torch.equal(model.G_w, torch.ones_like(model.G_w))


def test_first_step_is_eta_times_the_gradient_of_half_J():
    """From G = 1 the summed steps of a batch (rows repeated) are −η ∂(J/2)/∂θ; J is returned."""
    model = GloVe(5, GloVeConfig(dim=3, seed=0)).double()
    X = cooccurrence([[0, 1, 2, 3, 0, 4], [1, 0]], 5, window=2)
    (i, j), x = X.indices(), X.values()
    J = model.loss(i, j, x)
    (J / 2).backward()
    expected = {name: (p - 0.1 * p.grad).detach() for name, p in model.named_parameters()}
    assert adagrad_step(model, i, j, x, lr=0.1).item() == pytest.approx(J.item())
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.detach(), expected[name], msg=name)


def test_adagrad_fits_log_counts():
    g = torch.Generator().manual_seed(0)
    sentences = [torch.randint(0, 12, (20,), generator=g).tolist() for _ in range(30)]
    X = cooccurrence(sentences, 12, window=3)
    config = GloVeConfig(dim=12, epochs=300, batch_size=16, lr=0.3, x_max=5)
    model, history = fit_glove(X, config)
    assert len(history) == 300 and history[-1] < 0.05 * history[0]
    (i, j), x = X.indices(), X.values()
    fitted = (model.w[i] * model.w_tilde[j]).sum(1) + model.b[i] + model.b_tilde[j]
    # the weighted residual is small where f(X_ij) = 1, i.e. the counts the loss trusts
    big = x >= 5
    assert big.sum() > 10
    assert (fitted[big].detach().double() - x[big].log()).abs().max() < 0.2
    assert model.vectors().shape == (12, 12)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("dim", 0, "model.dim: expected ≥ 1, got 0"),
    ("x_max", 0.0, "model.x_max: expected > 0, got 0.0"),
    ("alpha", -1.0, "model.alpha: expected > 0, got -1.0"),
])
def test_config_errors(key, value, message):
    with pytest.raises(ConfigError, match=message):
        GloVeConfig(**{key: value})


def test_cooccurrence_by_chunks_equals_one_pass():
    g = torch.Generator().manual_seed(3)
    sentences = [torch.randint(0, 9, (int(n),), generator=g).tolist()
                 for n in torch.randint(1, 8, (30,), generator=g)]
    whole = cooccurrence(sentences, 9, window=3).to_dense()
    chunked = cooccurrence(sentences, 9, window=3, chunk_words=5)
    assert chunked.is_coalesced()
    torch.testing.assert_close(chunked.to_dense(), whole)


def test_rows_met_many_times_in_a_batch_do_not_diverge():
    """12 words, every batch holding each row ~40 times: summed steps from one G diverge to inf
    here; with each step's G counting the row's other steps the loss still falls."""
    g = torch.Generator().manual_seed(0)
    sentences = [torch.randint(0, 12, (20,), generator=g).tolist() for _ in range(30)]
    X = cooccurrence(sentences, 12, window=3)
    _, history = fit_glove(X, GloVeConfig(dim=12, epochs=100, batch_size=512, lr=0.3, x_max=5))
    assert all(math.isfinite(J) for J in history) and history[-1] < 0.1 * history[0]
