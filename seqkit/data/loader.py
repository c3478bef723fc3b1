"""An epoch's batches as index lists over a dataset, loaded by ``torch.utils.data.DataLoader``.

Batch order is cheap to compute (lists of indices, e.g. from :func:`token_batches`); loading and
collating a batch (reading, tokenising, padding, synthesising audio) is not. :class:`BatchLoader`
keeps the two apart: slicing it picks batches without loading any, so a run resumed mid-epoch or
a worker's shard loads only the batches it will train on, and iterating it loads them, in
``workers`` processes when there are several.
"""

import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

import torch
from torch.utils.data import DataLoader, Dataset


class BatchLoader(Sequence[Any]):
    """The batches ``collate([dataset[i] for i in batch])`` for each index list in ``batches``.

    >>> loader = BatchLoader(examples, [[0, 3], [1, 2]], collate=my_collate)  # doctest: +SKIP
    >>> loader[1:]     # a BatchLoader of the second batch only; nothing loaded yet
    """

    def __init__(self, dataset: Dataset | Sequence[Any], batches: Sequence[Sequence[int]],
                 collate: Callable[[list[Any]], Any], workers: int = 0, seed: int = 0) -> None:
        self.dataset, self.batches, self.collate = dataset, batches, collate
        self.workers, self.seed = workers, seed

    def __len__(self) -> int:
        return len(self.batches)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> "BatchLoader": ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return BatchLoader(self.dataset, self.batches[index], self.collate, self.workers,
                               self.seed)
        return self.collate([self.dataset[i] for i in self.batches[index]])

    def __iter__(self) -> Iterator[Any]:
        """The batches, loaded in order. A DataLoader draws its workers' base seed from the
        generator it is given, else from torch's global one, which would shift the dropout masks
        of a run resumed mid-epoch: it gets its own, seeded with ``seed`` (give each epoch its
        own). Randomness in ``collate`` (augmentation) should be drawn from the batch itself, e.g.
        seeded by its indices, so that a resumed epoch makes the same batches. Workers ignore
        Ctrl-C and SIGTERM (:func:`_leave_signals_to_the_trainer`)."""
        if not self.batches:
            return iter(())
        return iter(DataLoader(self.dataset, batch_sampler=self.batches,  # type: ignore[arg-type]
                               collate_fn=self.collate, num_workers=self.workers,
                               worker_init_fn=_leave_signals_to_the_trainer,
                               generator=torch.Generator().manual_seed(self.seed)))


def _leave_signals_to_the_trainer(worker_id: int) -> None:
    """A terminal's Ctrl-C and a scheduler's SIGTERM reach the whole process group. A worker
    killed by one mid-batch would fail the training process's next fetch; ignoring them, it is
    left for that process to finish its update, save and shut the workers down."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
