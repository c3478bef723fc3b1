"""The preparers of the language-model corpora, as ``data.prepare`` names them (``names``,
``austen``): each writes ``{train,valid,test}.txt`` into ``data.dir`` unless all three are there.

This module imports nothing heavy at load time, so :mod:`seqkit.data.preparers` can point at it.
"""

from pathlib import Path
from typing import Any

SPLITS = ("train", "valid", "test")


def complete(directory: Path) -> bool:
    """Whether ``directory`` already holds every split (then a preparer leaves it alone)."""
    return all((directory / f"{split}.txt").is_file() for split in SPLITS)


def names(data: Any, seed: int) -> None:
    """Faker's first names of twelve Latin-script locales, shuffled by ``seed``, 80/10/10."""
    from seqkit.lm.corpora import prepare_names
    from seqkit.status import status

    directory = Path(data.dir)
    if not complete(directory):
        counts = prepare_names(directory, seed)
        status(f"names: wrote {_counts(counts)} first names from Faker into {directory}")


def austen(data: Any, seed: int) -> None:
    """Jane Austen's six novels (Debian r-cran-janeaustenr), one paragraph a line; the last 10%
    of each novel is held out (valid, then test)."""
    from seqkit.lm.corpora import prepare_austen
    from seqkit.status import status

    directory = Path(data.dir)
    if not complete(directory):
        status("austen: reading janeaustenr's R data with rdata")
        counts = prepare_austen(directory, seed)
        status(f"austen: wrote {_counts(counts)} paragraphs into {directory}")


def _counts(counts: dict[str, int]) -> str:
    return f"{sum(counts.values()):,} ({', '.join(f'{k} {v:,}' for k, v in counts.items())})"
