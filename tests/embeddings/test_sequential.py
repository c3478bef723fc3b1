"""The compiled sequential path against its specification, ``Word2Vec.sgd_step`` on one example
after another; its threads; its errors; and the alias table that draws its noise words."""

import copy

import pytest
import torch

from seqkit.embeddings import (
    AliasTable,
    NoiseSampler,
    Windows,
    Word2Vec,
    Word2VecConfig,
    context_windows,
    sequential,
    sequential_sgd_step,
)

V, E, W, K = 12, 8, 2, 3


def batch(N: int = 9, seed: int = 0, vocab: range = range(V)) -> Windows:
    """N centers from ``vocab`` in two sentences (5 and N − 5 words), reduced windows."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.tensor(vocab)[torch.randint(0, len(vocab), (N,), generator=g)]
    sentence = (torch.arange(N) >= 5).long()
    reduced = torch.randint(1, W + 1, (N,), generator=g)
    context, mask = context_windows(ids, sentence, W, reduced)
    return Windows(ids, context, mask, N)


def model_of(arch: str, seed: int = 0) -> Word2Vec:
    model = Word2Vec(V, Word2VecConfig(arch=arch, dim=E, negative=K, seed=seed))
    with torch.no_grad():  # θ = 0 would make every noise word score the same
        model.theta.normal_(0, 0.5, generator=torch.Generator().manual_seed(seed))
    return model


def examples(arch: str, windows: Windows):
    """(i, one-example Windows) in the order the C loop steps: center after center, skip-gram's
    pairs in window-slot order."""
    for i in range(windows.center.numel()):
        row = Windows(windows.center[i:i + 1], windows.context[i:i + 1], windows.mask[i:i + 1], 1)
        if arch == "cbow":
            if row.mask.any():
                yield i, row
            continue
        for slot in row.mask[0].nonzero().flatten().tolist():
            mask = torch.zeros_like(row.mask)
            mask[0, slot] = True
            yield i, row._replace(mask=mask)


def reference(model: Word2Vec, windows: Windows, noise: torch.Tensor, lr: float) -> float:
    """``sgd_step`` on each example in turn; the mean of each example's loss before its step."""
    losses = []
    for i, example in examples(model.config.arch, windows):
        with torch.no_grad():
            losses.append(float(model.negative_sampling_loss(example, noise[i:i + 1])))
        model.sgd_step(example, noise[i:i + 1], lr)
    return sum(losses) / len(losses)


@pytest.mark.parametrize(("arch", "groups"), [("skipgram", 1), ("skipgram", 3),
                                              ("skipgram", 2 * W), ("cbow", 1)])
def test_steps_are_sgd_step_example_after_example(arch, groups):
    windows = batch()
    noise = torch.randint(0, V, (windows.center.numel(), groups, K),
                          generator=torch.Generator().manual_seed(1))
    model, expected = model_of(arch), model_of(arch)
    expected_loss = reference(expected, windows, noise, lr=0.3)
    loss = sequential_sgd_step(model, windows, noise, lr=0.3)
    assert float(loss) == pytest.approx(expected_loss, rel=1e-6)
    torch.testing.assert_close(model.embedding, expected.embedding, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(model.theta, expected.theta, rtol=1e-5, atol=1e-6)
    assert not torch.equal(model.theta, model_of(arch).theta)  # it stepped


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_threads_on_disjoint_rows_equal_one_thread_and_loss_is_optional(arch):
    """Two threads take the first and second half of the centers: with no row shared between the
    halves (Hogwild's races need one) they give one thread's result."""
    first, second = batch(10, 0, range(6)), batch(10, 1, range(6, 12))
    windows = Windows(*(torch.cat([a, b]) for a, b in zip(first[:3], second[:3], strict=True)),
                      20)
    g = torch.Generator().manual_seed(2)
    noise = torch.cat([torch.randint(0, 6, (10, 1, K), generator=g),
                       torch.randint(6, 12, (10, 1, K), generator=g)])
    one, two = model_of(arch), model_of(arch)
    loss = sequential_sgd_step(one, windows, noise, 0.3, threads=1)
    assert torch.isnan(sequential_sgd_step(two, windows, noise, 0.3, threads=2, loss=False))
    assert torch.equal(one.embedding, two.embedding) and torch.equal(one.theta, two.theta)
    assert torch.isfinite(loss)


def test_errors_name_the_array_and_the_bad_value():
    windows, model = batch(), model_of("skipgram")
    N = windows.center.numel()
    noise = torch.zeros(N, 1, K, dtype=torch.long)
    with pytest.raises(ValueError, match=r"noise must be \(N = 9, g, k\), got \(9, 3\)"):
        sequential_sgd_step(model, windows, noise[:, 0], 0.1)
    with pytest.raises(IndexError, match=r"noise: id 12 is outside \[0, 12\)"):
        sequential_sgd_step(model, windows, noise + V, 0.1)
    with pytest.raises(IndexError, match=r"center: id -9\d is outside \[0, 12\)"):
        sequential_sgd_step(model, windows._replace(center=windows.center - 99), noise, 0.1)
    with pytest.raises(ValueError, match=r"CBOW: g = 1"):
        sequential_sgd_step(model_of("cbow"), windows, noise.expand(N, 2, K), 0.1)
    with pytest.raises(TypeError, match=r"context: expected a 2-d contiguous array of lq"):
        sequential_sgd_step(model, windows._replace(context=windows.context.int()), noise, 0.1)
    with pytest.raises(RuntimeError, match=r"float32 model on the CPU"):
        sequential_sgd_step(copy.deepcopy(model).double(), windows, noise, 0.1)
    assert torch.equal(model.theta, model_of("skipgram").theta)  # nothing stepped on an error


@pytest.mark.parametrize("probs", [
    torch.tensor([0.5, 0.25, 0.125, 0.125]),
    torch.tensor([0.0, 1.0, 0.0]),  # zero-probability words are never drawn
    torch.ones(7),
    torch.rand(300, generator=torch.Generator().manual_seed(0)) ** 4,
])
def test_alias_table_draws_exactly_the_distribution(probs):
    p = probs.double() / probs.double().sum()
    table = AliasTable(probs)
    torch.testing.assert_close(table.probs(), p, rtol=0, atol=1e-12)
    draws = table.draw(seed=5, N=4000, m=50).flatten()
    frequency = torch.bincount(draws, minlength=len(p)).double() / draws.numel()
    assert (frequency - p).abs().max() <= 5 * (p * (1 - p) / draws.numel()).sqrt().max() + 1e-12
    assert frequency[p == 0].sum() == 0


def test_alias_rows_depend_on_the_seed_and_row_alone():
    table = AliasTable(torch.arange(1.0, 21.0))
    assert torch.equal(table.draw(3, 5, 8)[:2], table.draw(3, 2, 8))
    assert not torch.equal(table.draw(3, 5, 8), table.draw(4, 5, 8))


def test_noise_sampler_per_center_follows_its_state():
    sampler = NoiseSampler(torch.arange(1.0, 21.0), torch.Generator().manual_seed(0))
    state = sampler.state_dict()
    first = sampler.per_center(6, 10)
    assert first.shape == (6, 10) and not torch.equal(first, sampler.per_center(6, 10))
    sampler.load_state_dict(state)
    assert torch.equal(sampler.per_center(6, 10), first)


def test_a_stale_build_is_refused_with_a_warning(monkeypatch):
    """An extension built from another version of _sgd.c (an old editable install) is not used."""
    assert sequential._compiled() is sequential._sgd  # this build is current
    monkeypatch.setattr(sequential._sgd, "VERSION", sequential.VERSION + 1)
    with pytest.warns(UserWarning, match=r"built from another version of _sgd\.c; word2vec "
                                         r"takes its banded torch path until it is rebuilt"):
        assert sequential._compiled() is None
