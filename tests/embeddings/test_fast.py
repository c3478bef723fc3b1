"""The banded fast path against the reference sgd_step (each window given its block's noise)."""

import math

import pytest
import torch

from seqkit.embeddings.corpus import Windows, context_windows
from seqkit.embeddings.fast import banded_sgd_step
from seqkit.embeddings.word2vec import Word2Vec, Word2VecConfig

V, E, W, K = 13, 5, 3, 4


def text_batch(N: int, seed: int) -> Windows:
    """Consecutive text with sentence ends (and a one-word sentence: an empty window)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, V, (N,), generator=g)
    sentence = torch.tensor([0] * 9 + [1] + [2] * (N - 10))
    context, mask = context_windows(ids, sentence, W, torch.randint(1, W + 1, (N,), generator=g))
    return Windows(ids, context, mask, N)


@pytest.mark.parametrize(("arch", "groups"), [("skipgram", 1), ("skipgram", 4),
                                              ("skipgram", 2 * W), ("cbow", 1), ("cbow", "L")])
@pytest.mark.parametrize(("N", "L", "max_updates"), [(37, 8, 1.0), (32, 16, math.inf),
                                                     (20, 4, 2.0)])
def test_banded_step_equals_sgd_step_with_block_noise(arch, groups, N, L, max_updates):
    """Each block's noise words (nb, g, k): skip-gram's g = 2W gives every pair of a window its
    own k, CBOW's g = L every center its own."""
    windows = text_batch(N, seed=N + L)
    groups = L if groups == "L" else groups
    noise = torch.randint(0, V, (-(-N // L), groups, K), generator=torch.Generator().manual_seed(L))

    def model() -> Word2Vec:
        m = Word2Vec(V, Word2VecConfig(arch=arch, dim=E, negative=K, seed=0)).double()
        with torch.no_grad():
            m.theta.normal_(0, 0.5, generator=torch.Generator().manual_seed(1))
        return m

    fast, reference = model(), model()
    block_noise = (noise.reshape(-1, 1, K) if arch == "cbow" and groups == L  # its own
                   else noise.repeat_interleave(L, 0))[:N]  # (N, g, K) its block's
    with torch.no_grad():
        expected_loss = reference.negative_sampling_loss(windows, block_noise)
    loss = banded_sgd_step(fast, windows, noise, lr=0.2, L=L, max_updates=max_updates)
    torch.testing.assert_close(loss, expected_loss)  # the loss before the step
    reference.sgd_step(windows, block_noise, lr=0.2, max_updates=max_updates)
    torch.testing.assert_close(fast.embedding, reference.embedding)
    torch.testing.assert_close(fast.theta, reference.theta)
    assert not torch.equal(fast.embedding, model().embedding)
    assert not torch.equal(fast.theta, model().theta)


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
@pytest.mark.parametrize(("N", "L", "step_centers"), [(37, 4, 8), (37, 4, 10), (32, 8, 8)])
def test_banded_step_in_parts_equals_sgd_step_on_each_part_in_turn(arch, N, L, step_centers):
    """``step_centers``: the parts' steps one after the other, each from the previous one's
    parameters (sgd_step on a part's rows: their context ids stay valid beyond the part)."""
    windows = text_batch(N, seed=N)
    noise = torch.randint(0, V, (-(-N // L), K), generator=torch.Generator().manual_seed(L))
    m = Word2Vec(V, Word2VecConfig(arch=arch, dim=E, negative=K, seed=0)).double()
    with torch.no_grad():
        m.theta.normal_(0, 0.5, generator=torch.Generator().manual_seed(1))
    fast, reference = m, Word2Vec(V, m.config).double()
    reference.load_state_dict(m.state_dict())
    banded_sgd_step(fast, windows, noise, lr=0.2, L=L, max_updates=2.0, step_centers=step_centers)
    part = step_centers // L * L
    block_noise = noise.repeat_interleave(L, 0)[:N]
    for start in range(0, N, part):
        rows = slice(start, start + part)
        reference.sgd_step(Windows(windows.center[rows], windows.context[rows],
                                   windows.mask[rows], 0), block_noise[rows], lr=0.2,
                           max_updates=2.0)
    torch.testing.assert_close(fast.embedding, reference.embedding)
    torch.testing.assert_close(fast.theta, reference.theta)


def test_cbow_noise_is_per_block_or_per_center():
    m = Word2Vec(V, Word2VecConfig(arch="cbow", dim=E, negative=K))
    message = r"CBOW takes noise \(nb, 1, k\) shared .* \(nb, L = 8, k\), each its own; got"
    with pytest.raises(ValueError, match=message):
        banded_sgd_step(m, text_batch(16, 0), torch.zeros(2, 2, K, dtype=torch.long), 0.1, L=8)
