"""seqkit.data.batching: padding shapes, token-budget batches (coverage, budget, greedy cuts,
determinism) and shards."""

import itertools
import random

import pytest
import torch

from seqkit.data import DataError, pad, shard, token_batches


def random_lengths(n: int = 500, seed: int = 0, longest: int = 40) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(0, longest) for _ in range(n)]


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def padded_size(batch: list[int], lengths: list[int]) -> int:
    return len(batch) * max(max(lengths[i] for i in batch), 1)


def test_pad_shapes_and_values():
    ids, lengths = pad([[5, 6, 7], [8], [], torch.tensor([9, 10])], -1)
    B, T = 4, 3
    assert ids.shape == (B, T) and lengths.shape == (B,)
    assert ids.dtype == lengths.dtype == torch.long
    assert ids.tolist() == [[5, 6, 7], [8, -1, -1], [-1, -1, -1], [9, 10, -1]]
    assert lengths.tolist() == [3, 1, 0, 2]


def test_pad_edge_cases():
    assert pad([]).values.shape == (0, 0) and pad([]).lengths.shape == (0,)
    assert pad([[], []]).values.shape == (2, 0)
    result = pad([[1, 2]])
    assert result.values.tolist() == [[1, 2]] and result.lengths.tolist() == [2]


def test_pad_float_features_keep_their_dtype_and_width():
    g = torch.Generator().manual_seed(0)
    frames = [torch.randn(4, 3, generator=g, dtype=torch.float64), torch.zeros(0, 3),
              torch.randn(2, 3, generator=g, dtype=torch.float64)]
    values, lengths = pad(frames, -1.5)
    B, T, F = 3, 4, 3
    assert values.shape == (B, T, F) and values.dtype == torch.float64
    assert lengths.tolist() == [4, 0, 2]
    assert torch.equal(values[0], frames[0]) and torch.equal(values[2, :2], frames[2])
    assert (values[1] == -1.5).all() and (values[2, 2:] == -1.5).all()


@pytest.mark.parametrize("max_tokens", [1, 7, 64, 300])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_index_once_and_budget_respected(max_tokens, shuffle):
    lengths = random_lengths()
    batches = token_batches(lengths, max_tokens, shuffle=shuffle, generator=generator(1))
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert all(batches)
    for batch in batches:
        assert len(batch) == 1 or padded_size(batch, lengths) <= max_tokens


def test_cuts_are_greedy_and_lengths_similar():
    lengths = random_lengths()
    batches = token_batches(lengths, 64, shuffle=False)
    flat = [i for batch in batches for i in batch]
    assert flat == sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    for batch, following in itertools.pairwise(batches):
        # the next example would have broken the budget, so the cut was not early
        assert padded_size([*batch, following[0]], lengths) > 64


def test_shuffling_changes_the_order_not_the_cuts():
    lengths = random_lengths()
    batches = token_batches(lengths, 64, generator=generator(2))
    spans = sorted((min(lengths[i] for i in b), max(lengths[i] for i in b)) for b in batches)
    for (_, high), (low, _) in itertools.pairwise(spans):
        assert high <= low  # length ranges of batches do not overlap
    sizes = [len(b) for b in batches]
    unshuffled = [len(b) for b in token_batches(lengths, 64, shuffle=False)]
    assert sorted(sizes) == sorted(unshuffled) and sizes != unshuffled


def test_an_example_over_budget_gets_its_own_batch():
    batches = token_batches([2, 50, 3, 2], 10, shuffle=False)
    assert batches == [[0, 3, 2], [1]]
    assert token_batches([0, 0, 0, 0, 0], 2, shuffle=False) == [[0, 1], [2, 3], [4]]


def test_deterministic_under_a_seed_and_different_for_another():
    lengths = random_lengths()
    first = token_batches(lengths, 64, generator=generator(0))
    assert token_batches(lengths, 64, generator=generator(0)) == first
    assert token_batches(lengths, 64, generator=generator(1)) != first
    torch.manual_seed(3)
    default = token_batches(lengths, 64)
    torch.manual_seed(3)
    assert token_batches(lengths, 64) == default


def test_equal_lengths_are_shuffled_within_batches():
    lengths = [5] * 40
    orders = {tuple(tuple(b) for b in token_batches(lengths, 50, generator=generator(s)))
              for s in range(3)}
    assert len(orders) == 3
    assert token_batches(lengths, 50, shuffle=False)[0] == list(range(10))


@pytest.mark.parametrize(("n", "world_size"), [(10, 1), (10, 3), (12, 4), (2, 3), (0, 2)])
def test_shard_splits_evenly_and_disjointly(n, world_size):
    batches = [[i] for i in range(n)]
    shards = [shard(batches, rank, world_size) for rank in range(world_size)]
    per_rank = n // world_size
    assert all(len(s) == per_rank for s in shards)
    taken = sorted(b[0] for s in shards for b in s)
    assert taken == list(range(per_rank * world_size))  # only the remainder is dropped
    assert shards[0][:2] == batches[0:2 * world_size:world_size][:per_rank]


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: pad([[1.0, 2.0]]), TypeError, "got 1-D sequence 0 of torch.float32"),
    (lambda: pad([[True]]), TypeError, "ids or float features, got sequence 0 of torch.bool"),
    (lambda: pad([[1], [[1, 2]]]), DataError, r"sequence 1 \(torch.int64, shape \(1, 2\)\) does"),
    (lambda: pad([torch.zeros(2, 3), torch.zeros(2, 4)]), DataError, r"shape \(2, 4\)\) does not"),
    (lambda: pad([torch.zeros(1, 2, 3)]), DataError, r"\(T, F\) features, got sequence 0 of shape"),
    (lambda: token_batches([1, 2], 0), DataError, "max_tokens must be ≥ 1, got 0"),
    (lambda: token_batches([1, 2], 8.0), TypeError, "max_tokens must be an int, got 8.0"),
    (lambda: token_batches([1, -2], 8), DataError, "lengths must be ≥ 0, got -2"),
    (lambda: shard([[0]], 2, 2), DataError, r"rank must be in \[0, 2\), got 2"),
    (lambda: shard([[0]], 0, 0), DataError, "world_size must be ≥ 1, got 0"),
    (lambda: shard([[0]], "0", 1), TypeError, "rank must be an int, got '0'"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
