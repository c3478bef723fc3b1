"""Corpora for language models, written as ``{train,valid,test}.txt`` (one text a line).

- names: person first names from Faker's locale providers (``pip install faker``), for a
  character-level model (the notes' character-level example: every character in the vocabulary).
- austen: Jane Austen's six novels (Debian ``r-cran-janeaustenr``; its R data is read without R by
  the PyPI package ``rdata``), one paragraph a line, for a word-level model.

``prepare_names(dir, seed)`` and ``prepare_austen(dir, seed)`` have the shape of a data preparer
(:mod:`seqkit.data.preparers`): the same arguments always write the same files.
"""

import gzip
import importlib
import re
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import torch

from seqkit.data import DataError, write_lines

SPLITS = ("train", "valid", "test")
NAME_LOCALES = ("en_US", "en_GB", "en_IE", "en_NZ", "de_DE", "fr_FR", "it_IT", "es_ES", "nl_NL",
                "sv_SE", "pl_PL", "pt_BR")  # Latin-script locales with long first-name lists
JANEAUSTENR_DATA = Path("/usr/lib/R/site-library/janeaustenr/data")
AUSTEN_NOVELS = ("sensesensibility", "prideprejudice", "mansfieldpark", "emma",
                 "northangerabbey", "persuasion")  # in order of publication


def faker_first_names(locales: Sequence[str] = NAME_LOCALES) -> list[str]:
    """The distinct first names of Faker's person providers for ``locales``, sorted."""
    names: set[str] = set()
    for locale in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError as error:
            raise DataError(f"faker_first_names: no Faker person provider for locale {locale!r} "
                            f"(or Faker is not installed: pip install faker)") from error
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            names.update(getattr(provider, attribute, ()))  # a tuple, or a dict name → weight
    return sorted(name for name in names if name.strip() == name and name)


def shuffled_splits(lines: Sequence[str], seed: int,
                    fractions: tuple[float, float] = (0.8, 0.1)) -> dict[str, list[str]]:
    """``lines`` in a random order drawn from ``seed``, cut into train, valid and test; the first
    two take ``fractions`` of the lines and test the rest."""
    order = torch.randperm(len(lines), generator=torch.Generator().manual_seed(seed)).tolist()
    n_train, n_valid = (round(f * len(lines)) for f in fractions)
    shuffled = [lines[i] for i in order]
    return {"train": shuffled[:n_train], "valid": shuffled[n_train:n_train + n_valid],
            "test": shuffled[n_train + n_valid:]}


def prepare_names(directory: Path, seed: int = 0) -> dict[str, int]:
    """Write the shuffled first names of :data:`NAME_LOCALES` (80/10/10); the line counts."""
    return _write(directory, shuffled_splits(faker_first_names(), seed))


def read_rdata_package(data_dir: Path) -> dict[str, object]:
    """Every object of an R package's lazy-load data (``Rdata.rdx`` + ``Rdata.rdb``), without R.

    The .rdx index is a gzipped R serialisation of a list whose ``variables`` maps each name to
    (offset, size) in the .rdb; there each object is a 4-byte big-endian length, then a zlib
    stream of its R serialisation.
    """
    import rdata  # optional dependency, needed only here

    def parse(raw: bytes) -> object:  # each piece is one object's serialisation, as in .rds
        return rdata.conversion.convert(rdata.parser.parse_data(raw, extension=".rds"))

    index = parse(gzip.decompress((data_dir / "Rdata.rdx").read_bytes()))
    blob = (data_dir / "Rdata.rdb").read_bytes()
    objects = {}
    for name, (offset, size) in index["variables"].items():  # type: ignore[index]
        record = blob[int(offset):int(offset) + int(size)]
        (length,) = struct.unpack(">i", record[:4])
        raw = zlib.decompress(record[4:])
        if len(raw) != length:
            raise DataError(f"read_rdata_package: {data_dir}: object {name} is truncated")
        objects[str(name)] = parse(raw)
    return objects


def austen_paragraphs(data_dir: Path = JANEAUSTENR_DATA) -> dict[str, list[str]]:
    """Each novel's paragraphs (blank-line separated), tokenised by :func:`tokenize_prose`;
    headings (title, author, "CHAPTER 1", volume lines) are left out."""
    if not (data_dir / "Rdata.rdx").exists():
        raise DataError(f"austen_paragraphs: {data_dir}/Rdata.rdx not found; install the Debian "
                        "package r-cran-janeaustenr")
    novels = read_rdata_package(data_dir)
    paragraphs: dict[str, list[str]] = {}
    for novel in AUSTEN_NOVELS:
        text = "\n".join("" if line is None else str(line) for line in novels[novel])
        blocks = (" ".join(block.split()) for block in re.split(r"\n\s*\n", text))  # paragraphs
        paragraphs[novel] = [tokenize_prose(b) for b in blocks if b and not _heading(b)]
    return paragraphs


def _heading(block: str) -> bool:
    lower = block.lower()
    return (block.isupper() or lower.startswith("by jane austen")
            or re.fullmatch(r"\(\d{4}\)|(chapter|volume) [\divxlc]+\.?", lower) is not None)


def tokenize_prose(text: str) -> str:
    """Lower-cased words and punctuation marks separated by spaces; "_" (italics) removed.

    >>> tokenize_prose('"My dear Mr. Bennet," said his lady--')
    '" my dear mr. bennet , " said his lady --'
    """
    text = text.replace("_", "").lower()
    pattern = r"(?:mrs?|dr|st|messrs)\.|[\w'’]+|--|[^\w\s]"  # Mr. and Mrs. keep their dot
    return " ".join(re.findall(pattern, text))


def prepare_austen(directory: Path, seed: int = 0, data_dir: Path = JANEAUSTENR_DATA
                   ) -> dict[str, int]:
    """Write the six novels' paragraphs: of each novel, the last 10% is held out in one piece,
    its first half valid and its second test (whole passages, so no sentence of a held-out
    paragraph is seen in training). ``seed`` is unused: the split has no randomness."""
    del seed
    splits: dict[str, list[str]] = {split: [] for split in SPLITS}
    for paragraphs in austen_paragraphs(data_dir).values():
        n = len(paragraphs)
        train_end, valid_end = round(0.9 * n), round(0.95 * n)
        splits["train"] += paragraphs[:train_end]
        splits["valid"] += paragraphs[train_end:valid_end]
        splits["test"] += paragraphs[valid_end:]
    return _write(directory, splits)


def _write(directory: Path, splits: dict[str, list[str]]) -> dict[str, int]:
    directory.mkdir(parents=True, exist_ok=True)
    for split, lines in splits.items():
        write_lines(directory / f"{split}.txt", lines)
    return {split: len(lines) for split, lines in splits.items()}
