"""seqkit.data.preparers: preparers by name receive the recipe's data section; unknown names get
the closest valid one."""

import importlib
from types import SimpleNamespace

import pytest

from seqkit.data import PREPARERS, DataError, prepare, read_parallel
from seqkit.data import dates as dates_module


def test_a_preparer_receives_the_data_section_and_the_seed(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setitem(PREPARERS, "dates", lambda data, seed: calls.append((data, seed)))
    section = SimpleNamespace(dir=str(tmp_path / "d"), vocab_size=100)
    prepare("dates", section, seed=7)
    assert calls == [(section, 7)]


def test_dates_writes_the_corpus_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dates_module, "SIZES", (20, 4, 4))
    prepare("dates", SimpleNamespace(dir=str(tmp_path)), 0)
    assert len(read_parallel(tmp_path / "train.src", tmp_path / "train.tgt")) == 20
    assert f"dates: generating 28 examples (train, valid, test: 20, 4, 4) into {tmp_path}" in (
        capsys.readouterr().err)


@pytest.mark.parametrize(("name", "match"), [
    ("datse", r"data\.prepare: unknown data preparer 'datse'; did you mean 'dates'\?"),
    ("wmt14", "unknown data preparer 'wmt14'; expected one of bible, dates"),
    (None, "unknown data preparer None; expected one of bible, dates"),
])
def test_unknown_names(tmp_path, name, match):
    with pytest.raises(DataError, match=match):
        prepare(name, SimpleNamespace(dir=str(tmp_path)))
    assert not any(tmp_path.iterdir())


def test_bible_is_registered_and_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no mod2imp on the PATH
    with pytest.raises(DataError, match=r"apt-get install .*libsword-utils"):
        prepare("bible", SimpleNamespace(dir=str(tmp_path / "bible")), 0)


@pytest.mark.parametrize("name", sorted(PREPARERS))
def test_every_registered_preparer_can_be_imported(name):
    entry = PREPARERS[name]
    if isinstance(entry, str):
        module, _, function = entry.partition(":")
        entry = getattr(importlib.import_module(module), function)
    assert callable(entry)
