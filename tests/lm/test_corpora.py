"""Corpora: Faker's first names, Jane Austen's novels from the R data, deterministic splits."""

import pytest

from seqkit.data import DataError, read_lines
from seqkit.lm.corpora import (
    JANEAUSTENR_DATA,
    austen_paragraphs,
    faker_first_names,
    prepare_austen,
    prepare_names,
    read_rdata_package,
    shuffled_splits,
    tokenize_prose,
)

needs_austen = pytest.mark.skipif(not (JANEAUSTENR_DATA / "Rdata.rdx").exists(),
                                  reason="Debian package r-cran-janeaustenr not installed")


def test_shuffled_splits_partition_the_lines_the_same_way_every_time():
    lines = [f"line {i}" for i in range(50)]
    splits = shuffled_splits(lines, seed=3)
    assert [len(splits[s]) for s in ("train", "valid", "test")] == [40, 5, 5]
    assert sorted(line for split in splits.values() for line in split) == sorted(lines)
    assert shuffled_splits(lines, seed=3) == splits
    assert shuffled_splits(lines, seed=4) != splits


def test_tokenize_prose_separates_punctuation_and_keeps_titles():
    assert tokenize_prose('"My dear Mr. Bennet," said his _lady_--') == \
        '" my dear mr. bennet , " said his lady --'
    assert tokenize_prose("It isn't.") == "it isn't ."


def test_faker_first_names(tmp_path):
    pytest.importorskip("faker")
    names = faker_first_names(["en_US", "de_DE"])
    assert names == sorted(set(names)) and {"Aaron", "Jürgen"} <= set(names)
    with pytest.raises(DataError, match="no Faker person provider for locale 'xx_XX'"):
        faker_first_names(["xx_XX"])
    counts = prepare_names(tmp_path, seed=0)
    written = {s: read_lines(tmp_path / f"{s}.txt") for s in counts}
    assert {s: len(lines) for s, lines in written.items()} == counts
    assert sorted(name for split in written.values() for name in split) == faker_first_names()


@pytest.fixture(scope="module")
def novels() -> dict[str, list[str]]:
    pytest.importorskip("rdata")
    return austen_paragraphs()


@needs_austen
def test_austen_novels_from_the_r_data_without_r(novels):
    objects = read_rdata_package(JANEAUSTENR_DATA)
    assert set(objects) == {"emma", "mansfieldpark", "northangerabbey", "persuasion",
                            "prideprejudice", "sensesensibility"}
    assert list(objects["prideprejudice"][:3]) == ["PRIDE AND PREJUDICE", "", "By Jane Austen"]
    assert novels["prideprejudice"][0] == ("it is a truth universally acknowledged , that a "
                                               "single man in possession of a good fortune , must "
                                               "be in want of a wife .")
    assert all(not p.startswith("chapter ") for ps in novels.values() for p in ps)


@needs_austen
def test_prepare_austen_holds_out_the_end_of_each_novel(tmp_path, novels):
    counts = prepare_austen(tmp_path)
    lines = {s: read_lines(tmp_path / f"{s}.txt") for s in counts}
    assert sum(counts.values()) == sum(map(len, novels.values()))
    assert lines["test"][-1] == novels["persuasion"][-1]
    assert lines["valid"][0] == novels["sensesensibility"][round(0.9 * len(
        novels["sensesensibility"]))]
    assert 0.85 < counts["train"] / sum(counts.values()) < 0.95


def test_missing_r_package_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match=r"Rdata\.rdx not found; install the Debian package "
                                        r"r-cran-janeaustenr"):
        austen_paragraphs(tmp_path)
