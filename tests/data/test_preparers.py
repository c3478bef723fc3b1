"""seqkit.data.preparers: preparers by name, unknown names with the closest valid one."""

import pytest

from seqkit.data import PREPARERS, DataError, prepare, read_parallel
from seqkit.data import dates as dates_module


def test_dates_is_registered_and_prepares(tmp_path, monkeypatch):
    assert PREPARERS["dates"] is dates_module.prepare
    calls = []
    monkeypatch.setitem(PREPARERS, "dates", lambda directory, seed: calls.append((directory, seed)))
    prepare("dates", str(tmp_path / "d"), seed=7)
    assert calls == [(tmp_path / "d", 7)]


def test_prepare_writes_the_corpus(tmp_path, monkeypatch):
    monkeypatch.setitem(PREPARERS, "dates",
                        lambda directory, seed: dates_module.prepare(directory, seed, (20, 4, 4)))
    prepare("dates", tmp_path, 0)
    assert len(read_parallel(tmp_path / "train.src", tmp_path / "train.tgt")) == 20


@pytest.mark.parametrize(("name", "match"), [
    ("datse", r"unknown data preparer 'datse'; did you mean 'dates'\?"),
    ("wmt14", "unknown data preparer 'wmt14'; expected one of dates"),
    (None, "unknown data preparer None; expected one of dates"),
])
def test_unknown_names(tmp_path, name, match):
    with pytest.raises(DataError, match=match):
        prepare(name, tmp_path)
    assert not any(tmp_path.iterdir())
