"""The English corpus preparer: tokenisation, defensive decoding, sources, the written corpus."""

import json
import random

import pytest

from seqkit.data import english
from seqkit.data.errors import DataError


@pytest.mark.parametrize(("text", "lines"), [
    ("Mr. Darcy's well-known pride; she said: \"No!\" Then 2 left.",
     ["mr", "darcy's well-known pride", "she said no", "then 2 left"]),
    ("It’s ÉTÉ — l'été.\n\n  ...  \nNext_line", ["it's été l'été", "next line"]),
    ("", []),
    ("-- ; !", []),
])
def test_sentences_lowercase_words_one_sentence_a_line(text, lines):
    assert list(english.sentences(text)) == lines


def test_decode_falls_back_to_cp1252_then_latin1():
    assert english.decode("café".encode()) == "café"
    assert english.decode(b"caf\xe9 \x93q\x94") == "café “q”"  # Windows-1252 quotes
    assert english.decode(b"\x81\xe9") == "\x81é"  # 0x81 is undefined in cp1252: Latin-1


def test_unknown_and_missing_sources_are_named_with_the_install_command(monkeypatch):
    with pytest.raises(DataError, match=r"unknown source 'wikipedia'.*wiki, austen"):
        english.check_sources(["wikipedia"])
    monkeypatch.setattr(english, "GCIDE", english.GCIDE.with_name("absent.dz"))
    with pytest.raises(DataError, match=r"gcide \(apt-get install dict-gcide\)"):
        english.check_sources(["gcide"])


def test_prepare_writes_the_sentences_in_a_fixed_random_order_and_is_left_alone_after(
        tmp_path, monkeypatch):
    texts = {"wiki": ["Anarchism is a philosophy. It advocates!"], "fortunes": ["Hello, World"]}
    monkeypatch.setattr(english, "READERS", {k: (lambda k=k: texts[k]) for k in texts})
    monkeypatch.setattr(english, "_available", lambda name: True)
    said: list[str] = []
    counts = english.prepare(tmp_path, ["wiki", "fortunes"], progress=said.append)
    assert counts == {"wiki": 6, "fortunes": 2}
    in_order = ["anarchism is a philosophy", "it advocates", "hello world"]
    random.Random(english.ORDER_SEED).shuffle(shuffled := list(in_order))
    assert shuffled != in_order  # this seed does move them
    assert (tmp_path / "train.txt").read_text().splitlines() == shuffled
    assert json.loads((tmp_path / ".done").read_text())["sources"] == ["wiki", "fortunes"]
    assert any("wiki: 6 words" in line for line in said)
    texts["wiki"] = ["changed"]
    assert english.prepare(tmp_path, ["wiki", "fortunes"]) == counts  # made: not rewritten
    assert english.prepare(tmp_path, ["wiki"]) == {"wiki": 1}  # other sources: rewritten


def test_fortunes_are_split_at_percent_lines(tmp_path, monkeypatch):
    (tmp_path / "wisdom").write_bytes(b"Be kind.\n%\nCaf\xe9 time.\n%\n")
    (tmp_path / "wisdom.dat").write_bytes(b"\x00\x01")
    monkeypatch.setattr(english, "FORTUNES", tmp_path)
    lines = [s for piece in english.fortunes_text() for s in english.sentences(piece)]
    assert lines == ["be kind", "café time"]


@pytest.mark.skipif(not english.WORDNET.exists(), reason="wordnet-base is not installed")
def test_wordnet_glosses_are_read():
    first = next(iter(english.wordnet_text()))
    assert "perceived or known" in first


def test_a_corpus_written_source_by_source_is_rebuilt(tmp_path, monkeypatch):
    """A train.txt from before the shuffled order (its marker has no order_seed) is stale."""
    monkeypatch.setattr(english, "READERS", {"wiki": lambda: ["One. Two. Three. Four."]})
    monkeypatch.setattr(english, "_available", lambda name: True)
    (tmp_path / "train.txt").write_text("old\n")
    (tmp_path / ".done").write_text(json.dumps({"sources": ["wiki"], "words": {"wiki": 1}}))
    assert english.prepare(tmp_path, ["wiki"]) == {"wiki": 4}
    assert sorted((tmp_path / "train.txt").read_text().split()) == ["four", "one", "three", "two"]
