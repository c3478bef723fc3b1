"""word2vec: losses against brute-force loops of the notes' formulas, the hand-written SGD step
against autograd, negative sampling against the full softmax in its limit, the noise sampler."""

import math

import pytest
import torch

from seqkit.embeddings.corpus import Windows, context_windows
from seqkit.embeddings.word2vec import NoiseSampler, Word2Vec, Word2VecConfig, group_pairs
from seqkit.errors import ConfigError

V, E, W, K = 11, 6, 2, 3


def random_batch(seed: int, B: int = 9) -> tuple[Windows, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, V, (B,), generator=g)
    sentence = torch.tensor([0] * (B // 2) + [1] * (B - B // 2))
    context, mask = context_windows(ids, sentence, W, torch.randint(1, W + 1, (B,), generator=g))
    keep = mask.any(1)
    noise = torch.randint(0, V, (int(keep.sum()), K), generator=g)
    return Windows(ids[keep], context[keep], mask[keep], B), noise


def model(arch: str, seed: int = 0) -> Word2Vec:
    m = Word2Vec(V, Word2VecConfig(arch=arch, dim=E, negative=K, seed=seed)).double()
    with torch.no_grad():  # θ starts at 0 in word2vec: randomise it so every term matters
        m.theta.normal_(0, 0.5, generator=torch.Generator().manual_seed(seed + 1))
        m.embedding.mul_(10)
    return m


def pairs(m: Word2Vec, w: Windows) -> list[tuple[torch.Tensor, int, int]]:
    """(h, target, window) of every (c, t) pair, built word by word as the notes describe."""
    out = []
    for b in range(w.center.numel()):
        window = [int(t) for t, ok in zip(w.context[b], w.mask[b], strict=True) if ok]
        if m.config.arch == "skipgram":
            out += [(m.embedding[w.center[b]], t, b) for t in window]
        else:
            h = sum(m.embedding[t] for t in window) / len(window)
            out.append((h, int(w.center[b]), b))
    return out


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_negative_sampling_loss_matches_per_pair_loop(arch):
    m, (w, noise) = model(arch).requires_grad_(False), random_batch(1)
    expected = []
    for h, t, b in pairs(m, w):
        loss = -math.log(1 / (1 + math.exp(-float(m.theta[t] @ h))))
        loss -= sum(math.log(1 / (1 + math.exp(float(m.theta[n] @ h)))) for n in noise[b])
        expected.append(loss)
    assert m.negative_sampling_loss(w, noise).item() == pytest.approx(sum(expected) / len(expected))


@pytest.mark.parametrize("groups", [1, 3, 2 * W])
def test_noise_groups_loss_matches_a_per_pair_loop(groups):
    """Skip-gram's pair in window slot j takes the k noise words of group ⌊j·g/2W⌋."""
    m, (w, _) = model("skipgram").requires_grad_(False), random_batch(5)
    noise = torch.randint(0, V, (w.center.numel(), groups, K),
                          generator=torch.Generator().manual_seed(6))
    expected = []
    for b in range(w.center.numel()):
        h = m.embedding[w.center[b]]
        for j in range(2 * W):
            if w.mask[b, j]:
                t, group = int(w.context[b, j]), j * groups // (2 * W)
                loss = -math.log(torch.sigmoid(m.theta[t] @ h))
                loss -= sum(math.log(torch.sigmoid(-m.theta[n] @ h)) for n in noise[b, group])
                expected.append(loss)
    assert m.negative_sampling_loss(w, noise).item() == pytest.approx(sum(expected) / len(expected))
    if groups == 1:
        assert m.negative_sampling_loss(w, noise[:, 0]).item() == pytest.approx(
            sum(expected) / len(expected))


@pytest.mark.parametrize("groups", [1, 2 * W])
def test_sgd_step_with_noise_groups_equals_sgd_on_the_summed_loss(groups):
    m, (w, _) = model("skipgram"), random_batch(7, B=14)
    noise = torch.randint(0, V, (w.center.numel(), groups, K),
                          generator=torch.Generator().manual_seed(8))
    reference = model("skipgram")
    (reference.negative_sampling_loss(w, noise) * w.mask.sum()).backward()
    with torch.no_grad():
        for p in reference.parameters():
            p -= 0.1 * p.grad
    m.sgd_step(w, noise, lr=0.1)
    torch.testing.assert_close(m.embedding, reference.embedding)
    torch.testing.assert_close(m.theta, reference.theta)


def test_group_pairs_by_hand():
    mask = torch.tensor([[True, False, True, True]])
    assert group_pairs(mask, 2, torch.float64).tolist() == [[1.0, 2.0]]
    assert group_pairs(mask, 1, torch.float64).tolist() == [[3.0]]
    assert group_pairs(mask, 4, torch.float64).tolist() == [[1.0, 0.0, 1.0, 1.0]]


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_softmax_loss_matches_the_notes_formula(arch):
    m, (w, _) = model(arch).requires_grad_(False), random_batch(2)
    expected = []
    for h, t, _ in pairs(m, w):
        scores = [math.exp(float(m.theta[j] @ h)) for j in range(V)]
        expected.append(-math.log(scores[t] / sum(scores)))  # p(t|c) = e^{θ_tᵀe_c} / Σ e^{θ_jᵀe_c}
    assert m.softmax_loss(w).item() == pytest.approx(sum(expected) / len(expected))


def uses(m: Word2Vec, w: Windows, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """n(e_w), n(θ_w) (V,): how many updates each row gets from the batch, counted pair by pair."""
    n_e, n_theta = torch.zeros(V), torch.zeros(V)
    for b in range(w.center.numel()):
        window = [int(t) for t, ok in zip(w.context[b], w.mask[b], strict=True) if ok]
        center = [int(w.center[b])]
        inputs, outputs = (center, window) if m.config.arch == "skipgram" else (window, center)
        for t in outputs + noise[b].tolist():
            n_theta[t] += 1
        for i in inputs:
            n_e[i] += 1
    return n_e.clamp(min=1), n_theta.clamp(min=1)


@pytest.mark.parametrize("max_updates", [1.0, math.inf])
@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_sgd_step_equals_sgd_on_the_summed_loss_with_each_rows_mean_update(arch, max_updates):
    """CBOW's e_j get the whole ∂L/∂h (word2vec's rule), skip-gram's e_c autograd's ∂L/∂e_c."""
    m, (w, noise) = model(arch), random_batch(3, B=14)
    reference = model(arch)
    inputs = reference.inputs(w)
    h = inputs.h.detach().requires_grad_()  # a leaf: ∂L/∂h, the gradient CBOW hands each e_j
    pairs = int(w.mask.sum() if arch == "skipgram" else w.center.numel())
    (reference.sampled_loss(inputs._replace(h=h), noise) * pairs).backward()
    n_e, n_theta = uses(reference, w, noise)
    assert n_theta.max() > 1 and n_e.max() > 1  # some rows are updated several times
    with torch.no_grad():
        rows, cols = w.mask.nonzero(as_tuple=True)
        words, dh = ((w.center, h.grad) if arch == "skipgram"
                     else (w.context[rows, cols], h.grad[rows]))  # each input row and its ∂L/∂h
        grad_e = torch.zeros_like(reference.embedding).index_add_(0, words, dh)
        n_e, n_theta = (n_e / max_updates).clamp(min=1), (n_theta / max_updates).clamp(min=1)
        reference.embedding -= 0.1 * grad_e / n_e[:, None]
        reference.theta -= 0.1 * reference.theta.grad / n_theta[:, None]
    m.sgd_step(w, noise, lr=0.1, max_updates=max_updates)
    torch.testing.assert_close(m.embedding, reference.embedding)
    torch.testing.assert_close(m.theta, reference.theta)
    assert not torch.equal(m.theta, model(arch).theta)


def test_inputs_shapes():
    w, _ = random_batch(4)
    B = w.center.numel()
    h, targets, mask = model("skipgram").inputs(w)
    assert h.shape == (B, E) and targets.shape == mask.shape == (B, 2 * W)
    h, targets, mask = model("cbow").inputs(w)
    assert h.shape == (B, E) and targets.shape == mask.shape == (B, 1) and mask.all()


def test_negative_sampling_reaches_the_softmax_in_the_nce_limit():
    """With k·P_n(w) = 1 for every w (k = V noise words, P_n uniform) negative sampling is NCE
    (Dyer, 2014): in expectation over the noise its optimum is exp(θ_tᵀe_c) = p(t|c), the very
    probabilities the full softmax learns. The expectation is exact with every word as noise once.
    """
    V_, C = 4, 3
    P = torch.tensor([[0.5, 0.2, 0.2, 0.1], [0.1, 0.6, 0.1, 0.2], [0.25, 0.25, 0.3, 0.2]])
    counts = (P * 20).round().long()  # data: each (c, t) as often as P(t|c) says
    center = torch.arange(C).repeat_interleave(counts.sum(1))
    target = torch.cat([torch.arange(V_).repeat_interleave(row) for row in counts])
    w = Windows(center, target[:, None], torch.ones(len(center), 1, dtype=torch.bool), 0)
    every_word = torch.arange(V_).expand(len(center), V_)

    def fit(loss) -> Word2Vec:
        m = Word2Vec(V_, Word2VecConfig(dim=V_, negative=V_, seed=0)).double()
        with torch.no_grad():
            m.theta.normal_(0, 0.1, generator=torch.Generator().manual_seed(1))
        optimizer = torch.optim.LBFGS(m.parameters(), max_iter=500, tolerance_grad=1e-12,
                                      tolerance_change=1e-14, line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            value = loss(m)
            value.backward()
            return value

        optimizer.step(closure)
        return m

    ns = fit(lambda m: m.negative_sampling_loss(w, every_word))
    softmax = fit(lambda m: m.softmax_loss(w))
    p_data = counts / counts.sum(1, keepdim=True)
    p_ns = (ns.embedding[:C] @ ns.theta.T).exp().detach()  # (C, V) exp(θ_tᵀe_c), unnormalised
    p_softmax = (softmax.embedding[:C] @ softmax.theta.T).softmax(1).detach()
    torch.testing.assert_close(p_softmax, p_data.double(), atol=1e-4, rtol=0)
    torch.testing.assert_close(p_ns, p_softmax, atol=1e-4, rtol=0)  # self-normalised, too


def test_noise_sampler_draws_from_its_distribution():
    probs = torch.tensor([0.5, 0.0, 0.3, 0.2], dtype=torch.float64)
    sampler = NoiseSampler(probs, torch.Generator().manual_seed(0))
    draws = sampler(20_000, 5)
    assert draws.shape == (20_000, 5)
    freq = torch.bincount(draws.flatten(), minlength=4).double() / draws.numel()
    torch.testing.assert_close(freq, probs, atol=0.01, rtol=0)
    state = sampler.state_dict()
    again = sampler(3, 5)
    sampler.load_state_dict(state)
    assert torch.equal(sampler(3, 5), again)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("dim", 0, "model.dim: expected ≥ 1, got 0"),
    ("negative", 0, "model.negative: expected ≥ 1, got 0"),
    ("arch", "sg", "model.arch: expected skipgram | cbow, got 'sg'"),
    ("ns_exponent", -1.0, "model.ns_exponent: expected ≥ 0, got -1.0"),
])
def test_config_errors(key, value, message):
    with pytest.raises(ConfigError, match=message):
        Word2VecConfig(**{key: value})
