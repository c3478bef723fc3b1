"""Sampling: greedy as τ → 0, top-k at every step, seeded, prompts kept, stopping at </s>."""

import pytest
import torch

from seqkit.data import Vocabulary
from seqkit.lm import LanguageModelConfig, RNNLanguageModel, choose, sample

V = 10
PROMPTS = [[4, 5, 6], [], [7]]


@pytest.fixture(scope="module")
def model() -> RNNLanguageModel:
    torch.manual_seed(0)
    model = RNNLanguageModel(LanguageModelConfig(embedding_dim=4, hidden_size=8, cell="gru"), V)
    with torch.no_grad():
        model.readout.weight.mul_(8)  # peaked distributions: greedy paths are not ties
        model.readout.bias[Vocabulary.EOS] = -3.0  # long enough samples to check many steps
    return model


def prefix_logits(model: RNNLanguageModel, sequence: list[int]) -> torch.Tensor:
    """The next-token logits after <s> + every prefix of ``sequence``, from scratch: (T+1, V)."""
    with torch.no_grad():
        return model(torch.tensor([[Vocabulary.BOS, *sequence]])).logits[0]


def greedy_reference(model: RNNLanguageModel, prompt: list[int], steps: int) -> list[int]:
    """Greedy decoding by re-running the model on the whole prefix at every step."""
    sequence = list(prompt)
    for _ in range(steps):
        y = int(prefix_logits(model, sequence)[-1].argmax())
        if y == Vocabulary.EOS:
            break
        sequence.append(y)
    return sequence


@pytest.mark.parametrize("temperature", [0.0, 1e-4])
def test_temperature_to_zero_is_greedy(model, temperature):
    g = torch.Generator().manual_seed(1)
    samples = sample(model, PROMPTS, max_new_tokens=12, temperature=temperature, generator=g)
    assert samples.sequences == [greedy_reference(model, p, 12) for p in PROMPTS]
    assert sample(model, PROMPTS, max_new_tokens=12, top_k=1, generator=g) == samples


def test_top_k_never_emits_outside_the_k_best_at_any_step(model):
    k = 3
    g = torch.Generator().manual_seed(2)
    samples = sample(model, PROMPTS * 10, max_new_tokens=15, temperature=2.0, top_k=k, generator=g)
    steps = 0
    for prompt, sequence, finished in zip(PROMPTS * 10, *samples, strict=True):
        assert sequence[:len(prompt)] == prompt  # prompt tokens are kept
        drawn = sequence[len(prompt):] + [Vocabulary.EOS] * finished
        logits = prefix_logits(model, sequence)  # (T + 1, V)
        for t, y in enumerate(drawn, start=len(prompt)):
            assert y in logits[t].topk(k).indices.tolist()
            steps += 1
    assert steps > 200
    outside = sample(model, PROMPTS * 10, max_new_tokens=15, temperature=2.0, generator=g)
    assert any(len(s) > len(p) for s, p in zip(outside.sequences, PROMPTS * 10, strict=True))


def test_a_fixed_generator_gives_the_same_samples(model):
    def draw(seed: int) -> list[list[int]]:
        g = torch.Generator().manual_seed(seed)
        return sample(model, n=8, max_new_tokens=10, temperature=1.5, generator=g).sequences

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


def test_frequencies_follow_softmax_over_temperature_within_top_k():
    model = RNNLanguageModel(LanguageModelConfig(embedding_dim=2, hidden_size=2), V)
    z = torch.linspace(-1.0, 1.0, V)
    with torch.no_grad():
        model.readout.weight.zero_()
        model.readout.bias.copy_(z)  # every step's logits are z
    g = torch.Generator().manual_seed(5)
    n, tau, k = 4000, 0.5, 4
    first = [s[0] for s in sample(model, n=n, max_new_tokens=1, temperature=tau, top_k=k,
                                  generator=g).sequences if s]
    counts = torch.bincount(torch.tensor(first), minlength=V).double()
    expected = torch.zeros(V, dtype=torch.float64)
    best = z.topk(k).indices
    expected[best] = torch.softmax(z[best].double() / tau, dim=0)
    torch.testing.assert_close(counts / n, expected, atol=0.03, rtol=0)


def test_stops_at_eos_or_at_max_new_tokens(model):
    g = torch.Generator().manual_seed(6)
    with torch.no_grad():
        model.readout.bias[Vocabulary.EOS] = 100.0
    try:
        ends = sample(model, PROMPTS, max_new_tokens=5, generator=g)
    finally:
        with torch.no_grad():
            model.readout.bias[Vocabulary.EOS] = -3.0
    assert ends.sequences == PROMPTS and ends.finished == [True] * 3
    with torch.no_grad():
        model.readout.bias[Vocabulary.EOS] = -100.0
    try:
        long = sample(model, PROMPTS, max_new_tokens=5, generator=g)
    finally:
        with torch.no_grad():
            model.readout.bias[Vocabulary.EOS] = -3.0
    assert [len(s) - len(p) for s, p in zip(long.sequences, PROMPTS, strict=True)] == [5] * 3
    assert long.finished == [False] * 3


def test_choose_is_argmax_at_zero_temperature():
    logits = torch.tensor([[0.0, 3.0, 1.0], [2.0, -1.0, 0.5]])
    assert choose(logits, 0.0, None, None).tolist() == [1, 0]


@pytest.mark.parametrize("kwargs,error,match", [
    ({"temperature": -1.0}, ValueError, "sample: expected temperature ≥ 0, got -1.0"),
    ({"top_k": 0}, ValueError, "sample: expected top_k to be an int ≥ 1 or None, got 0"),
    ({"n": 0}, ValueError, "sample: expected n ≥ 1, got 0"),
    ({"max_new_tokens": 2.5}, TypeError, "sample: expected max_new_tokens to be an int"),
    ({"prompts": []}, ValueError, "sample: expected at least one prompt, got none"),
])
def test_bad_arguments(model, kwargs, error, match):
    with pytest.raises(error, match=match):
        sample(model, **kwargs)
