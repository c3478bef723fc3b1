"""seqkit.data.BatchLoader: slicing picks batches without loading any; iterating loads them in
order, in worker processes too, and leaves torch's global random generator untouched."""

import pytest
import torch

from seqkit.data import BatchLoader, pad

EXAMPLES = [[i] * (1 + i % 3) for i in range(10)]  # example i: i repeated 1–3 times
BATCHES = [[0, 3], [1], [2, 5, 8], [4, 6], [7, 9]]


def collate(examples):
    return pad(examples, -1)


@pytest.mark.parametrize("workers", [0, 2])
def test_iteration_loads_each_batch_in_order(workers) -> None:
    loader = BatchLoader(EXAMPLES, BATCHES, collate, workers=workers)
    loaded = list(loader)
    assert len(loader) == len(loaded) == 5
    for indices, (values, lengths) in zip(BATCHES, loaded, strict=True):
        assert values[:, 0].tolist() == indices  # row b starts with example indices[b]
        assert lengths.tolist() == [len(EXAMPLES[i]) for i in indices]


def test_slices_are_loaders_of_those_batches_and_load_nothing() -> None:
    touched = []

    class Watched(list):
        def __getitem__(self, i):
            touched.append(i)
            return super().__getitem__(i)

    loader = BatchLoader(Watched(EXAMPLES), BATCHES, collate)
    rest = loader[2:][::2]  # a resumed epoch's share of one of two workers
    assert isinstance(rest, BatchLoader) and rest.batches == [[2, 5, 8], [7, 9]]
    assert touched == []
    assert loader[3].values[:, 0].tolist() == [4, 6] and touched == [4, 6]


def test_iteration_leaves_the_global_generator_alone() -> None:
    torch.manual_seed(5)
    before = torch.get_rng_state()
    list(BatchLoader(EXAMPLES, BATCHES, collate))
    assert torch.equal(torch.get_rng_state(), before)  # resumed runs draw the same dropout
