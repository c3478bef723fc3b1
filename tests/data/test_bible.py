"""seqkit.data.bible: markup of each kind is stripped as the three SWORD dumps write it, the
Strong's-number alignment equals brute force on toy books and re-pairs a shifted chapter (Jonah
1:17 ↔ 2:1, cut from the real dumps), the split rule, and preparation through a stand-in
``mod2imp`` (done once; a missing program or module names the Debian packages)."""

import itertools
import json
import os
import random
import stat
from pathlib import Path

import pytest

from seqkit.data import DataError, read_lines
from seqkit.data.bible import (
    MODULES,
    SPLITS,
    THRESHOLD,
    Key,
    align,
    align_bible,
    cut_colophons,
    decode,
    drop_merges,
    jaccard,
    prepare,
    read_imp,
    split_of,
    strip_markup,
    strongs,
)

FIXTURES = Path(__file__).parent / "fixtures" / "bible"
STAY = 0.01  # ε of align's docstring, spelled here to keep the oracle independent


@pytest.mark.parametrize("osis, text", [
    # Strong's-tagged words, RV1909
    ('<w lemma="strong:H7225">EN el principio</w> <w lemma="strong:H1254">crió</w> '
     '<w lemma="strong:H0430">Dios</w>.', "EN el principio crió Dios."),
    # KJV: preverse milestone, paragraph div, ¶, italics, divine name, footnote with its reference
    ('<div type="x-milestone" subType="x-preverse" sID="pv1"/><div sID="gen4" type="x-p"/> '
     '<div type="x-milestone" subType="x-preverse" eID="pv1"/>¶ And the <divineName>'
     '<w lemma="strong:H3068">LORD</w></divineName> <transChange type="added">was</transChange> '
     'good.<note placement="foot"><reference type="annotateRef">1.4 </reference>Heb. between'
     '</note>', "And the LORD was good."),
    # WEB: a cross reference, a footnote with an alternate reading and a catch word
    ('<w lemma="strong:H5971">each</w> man,<note type="crossReference"><reference subType='
     '"x-origin" type="annotateRef">12:4 </reference><reference>Exodus 30:12</reference></note> '
     'and <w lemma="strong:H0853">him</w><note placement="foot"><reference type="annotateRef">'
     '17:27 </reference>Hebrew: <catchWord>them</catchWord> <rdg type="alternate">x</rdg></note> '
     'go', "each man, and him go"),
    # a canonical psalm title is text; a heading (Ps 119's letters in the KJV) is not
    ('<title canonical="true" type="psalm">A Psalm of David.</title> <lg sID="g1"/> <l level="1" '
     'sID="g2"/>LORD, how<l eID="g2" level="1"/> <l level="2" sID="g3"/>many!<l eID="g3" '
     'level="2"/>', "A Psalm of David. LORD, how many!"),
    ('<title><foreign>ב BETH.</foreign></title> <lg sID="g1"/>Wherewithal shall',
     "Wherewithal shall"),
    # WEB: speaker labels, list items, a line break inside a verse, an entity
    ('<speaker>Beloved</speaker> <lg sID="g1"/>Let him kiss me', "Let him kiss me"),
    ('<list> <item type="x-indent-1">Of the sons of Phinehas, Gershom.</item> <item type='
     '"x-indent-1">Of Ithamar, Daniel.</item>',
     "Of the sons of Phinehas, Gershom. Of Ithamar, Daniel."),
    ('one<lb type="x-p"/>two &amp; three', "one two & three"),
    # RV1909 glues words and added words: a space between adjacent word elements
    ('<w lemma="strong:G1125">enviada</w><transChange type="added">por</transChange><w lemma='
     '"strong:G5402">Febe</w>, ¡<w lemma="strong:H1121">OH</w> <w lemma="strong:H3068">Jehová'
     '</w>!', "enviada por Febe, ¡OH Jehová!"),
    # what follows a chapter's end: KJV colophons, the WEB glossary
    ('Amen.  <div eID="gen9005" type="x-p"/> <chapter eID="Rom.16"/> <title>Written to the Romans'
     '</title> <div canonical="true" eID="gen8965" osisID="Rom" type="book"/>', "Amen."),
    ('saints. Amen.  <chapter eID="Rev.22"/> <div sID="gen35837" type="glossary"/> <title '
     'level="1" type="main">World English Bible Glossary</title> <list> <item><seg '
     'type="keyword">Abaddon</seg> Abaddon is Hebrew for destruction.</item></list>',
     "saints. Amen."),
])
def test_strip_markup(osis, text):
    assert strip_markup(osis) == text


def test_strongs_reads_every_number_of_a_lemma_and_skips_notes():
    osis = ('<w lemma="strong:G2424 G5547">Jesucristo</w> <w lemma="strong:H0430">Dios</w>'
            '<note placement="foot"><w lemma="strong:H9999">x</w></note>')
    assert strongs(osis) == {"G2424", "G5547", "H430"}
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_cut_colophons_keeps_the_letter_up_to_its_last_amen():
    rom = Key("Romans", 16, 27)
    text = {Key("Romans", 16, 26): "Amén. y más", rom: "sea gloria. Amén. Fué escrita de Corinto.",
            Key("Romans", 16, 28): "", Key("James", 5, 20): "pecados. Amén. Otra cosa."}
    cut = cut_colophons(text)
    assert cut[rom] == "sea gloria. Amén."
    assert cut[Key("Romans", 16, 26)] == "Amén. y más"  # not the letter's last verse
    assert cut[Key("James", 5, 20)] == text[Key("James", 5, 20)]  # not one of Paul's letters
    assert text[rom].endswith("Corinto.")  # the caller's dict is not changed


def test_read_imp_skips_headings_and_introductions_and_decodes_defensively():
    dump = ("$$$[ Module Heading ]\n\n$$$Genesis 0:0\n<title>Génesis</title>\n$$$Genesis 1:0\n"
            "<chapter/>\n$$$Genesis 1:1\nEN el principio\n$$$Genesis 1:2\n").encode()
    dump += "$$$Genesis 1:3\nY dijo Dios: Sea la luz\r\n".encode("cp1252")
    verses = read_imp(dump)
    assert verses == {Key("Genesis", 1, 1): "EN el principio", Key("Genesis", 1, 2): "",
                      Key("Genesis", 1, 3): "Y dijo Dios: Sea la luz"}
    assert decode("¿Cuándo? “sí”".encode("cp1252")) == "¿Cuándo? “sí”"
    assert decode(b"\x81\xe9") == "\x81é"  # no cp1252 character for 0x81: Latin-1


def brute_force_gain(source, target, window):
    """The largest total gain over all monotone one-to-one pairings, by enumeration."""
    def gain(i, j):
        if source[i] is None or target[j] is None:
            return 0.0
        return jaccard(source[i], target[j]) + (STAY if i == j else -THRESHOLD)

    best = 0.0
    for k in range(1, min(len(source), len(target)) + 1):
        for i in itertools.combinations(range(len(source)), k):
            for j in itertools.combinations(range(len(target)), k):
                pairs = list(zip(i, j, strict=True))
                if all(abs(a - b) <= window and gain(a, b) > 0 for a, b in pairs):
                    best = max(best, sum(gain(a, b) for a, b in pairs))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_align_equals_brute_force_on_toy_books(seed):
    rng = random.Random(seed)
    n, window = rng.randint(1, 5), rng.randint(1, 3)
    m = n + rng.randint(-min(window, n - 1), window)
    words = "abcdefgh"

    def verse():
        return None if rng.random() < 0.15 else frozenset(rng.sample(words, rng.randint(1, 3)))

    source, target = [verse() for _ in range(n)], [verse() for _ in range(m)]
    pairs = align(source, target, window=window)
    got = sum(p.similarity + (STAY if p.source == p.target else -THRESHOLD) for p in pairs)
    assert got == pytest.approx(brute_force_gain(source, target, window))
    assert all(a.source < b.source and a.target < b.target for a, b in itertools.pairwise(pairs))


def test_align_repairs_a_shifted_run_and_stays_on_the_diagonal_otherwise():
    a, b, c, d = (frozenset({w}) for w in "abcd")
    # Jonah in small: the source's text sits one key later than the target's (1:17 under 2:1)
    pairs = align([None, a, b, c], [a, b, c, d])
    assert [(p.source, p.target) for p in pairs] == [(1, 0), (2, 1), (3, 2)]
    # tagging that matches nothing stays paired with its own key
    assert [(p.source, p.target) for p in align([a, b], [c, d])] == [(0, 0), (1, 1)]
    with pytest.raises(DataError, match=r"bible\.align: 9 and 1 verses differ by more than"):
        align([a] * 9, [a])


def test_drop_merges_drops_a_verse_that_holds_a_skipped_neighbour():
    ab, a, b = frozenset("ab"), frozenset("a"), frozenset("b")
    pairs = align([ab, None], [a, b])  # source 0 holds target 0 and 1
    assert [(p.source, p.target) for p in pairs] == [(0, 0)]
    assert drop_merges(pairs, [ab, None], [a, b]) == []
    assert drop_merges(pairs, [a, None], [a, b]) == pairs  # holds none of target 1


@pytest.fixture(scope="module")
def dumps():
    return {side: (FIXTURES / f"{module}.imp").read_bytes() for side, module in MODULES.items()}


def test_align_bible_repairs_jonah_and_drops_merges_apocrypha_and_empty_slots(dumps):
    alignment = align_bible(dumps)
    pairs = dict(alignment.keys)
    # RV1909's Jonah 2:1..2:9 hold KJV 1:17..2:8; 2:10 holds KJV 2:9–10 (a merge); 1:17 is empty
    for verse in range(1, 10):
        assert pairs[Key("Jonah", 2, verse)] == Key("Jonah", *((1, 17) if verse == 1 else
                                                               (2, verse - 1)))
    assert Key("Jonah", 2, 10) not in pairs and Key("Jonah", 1, 17) not in pairs
    assert pairs[Key("Jonah", 3, 1)] == Key("Jonah", 3, 1)
    es, en, kjv = alignment.verses[list(pairs).index(Key("Jonah", 2, 1))]
    assert es.startswith("MAS Jehová había prevenido un gran pez")
    assert en.startswith("Yahweh prepared a huge fish") and "great fish" in kjv
    assert alignment.repaired == 9
    # the WEB moves Romans 16:25–27 elsewhere: empty there, so dropped; no Apocrypha
    assert not any(k.book in ("Tobit", "Romans") and k.verse > 24 for k in pairs)
    assert alignment.dropped == 4  # Jonah 2:10, Romans 16:25–27
    assert len(alignment.verses) == 24
    glossary = alignment.verses[list(pairs).index(Key("Revelation of John", 22, 21))][1]
    assert glossary == "The grace of the Lord Jesus Christ be with all the saints. Amen."


def test_split_rule():
    assert [split_of(n) for n in (0, 1, 2, 99, 100, 101, 102, 31_000)] == [
        "test", "valid", "train", "train", "test", "valid", "train", "test"]
    counts = {split: sum(split_of(n) == split for n in range(31_045)) for split in SPLITS}
    assert counts == {"train": 30_423, "valid": 311, "test": 311}


@pytest.fixture
def mod2imp(tmp_path, monkeypatch):
    """A stand-in ``mod2imp`` on PATH that prints the fixture dump of a module (logging each call)
    and fails as the real one does for a module it does not have."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "mod2imp"
    script.write_text(f'#!/bin/sh\necho "$1" >> {folder}/calls\n'
                      f'[ -f "{FIXTURES}/$1.imp" ] || {{ echo "Couldn\'t find module: $1" >&2; '
                      f'exit 255; }}\ncat "{FIXTURES}/$1.imp"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return folder


def test_prepare_writes_aligned_splits_once(tmp_path, mod2imp):
    out, messages = tmp_path / "bible", []
    counts = prepare(out, progress=messages.append)
    assert counts == {"train": 22, "valid": 1, "test": 1}
    assert messages[:3] == [f"bible: reading {module}" for module in MODULES.values()]
    lines = {side: read_lines(out / f"test.{side}") for side in MODULES}
    assert lines["es"] == ["EN el principio crió Dios los cielos y la tierra."]  # verse 0
    assert lines["kjv"] == ["In the beginning God created the heaven and the earth."]
    for split in SPLITS:
        assert len({len(read_lines(out / f"{split}.{side}")) for side in MODULES}) == 1
    made = json.loads((out / ".done").read_text(encoding="utf-8"))
    assert made["counts"] == counts and made["repaired"] == 9 and made["dropped"] == 4
    calls = (mod2imp / "calls").read_text()
    (out / "train.en").write_text("left alone\n", encoding="utf-8")
    assert prepare(out) == counts  # complete: not rebuilt, mod2imp not run again
    assert (out / "train.en").read_text(encoding="utf-8") == "left alone\n"
    assert (mod2imp / "calls").read_text() == calls
    (out / ".done").unlink()  # incomplete: rebuilt
    assert prepare(out) == counts and len(read_lines(out / "train.en")) == 22


def test_prepare_without_mod2imp_names_the_packages(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no mod2imp on it
    with pytest.raises(DataError, match=r"needs the Debian packages libsword-utils .*apt-get "
                       r"install sword-text-sparv sword-text-web sword-text-kjv libsword-utils$"):
        prepare(tmp_path / "bible")
    assert not (tmp_path / "bible").exists()


def test_prepare_without_a_module_names_its_package(tmp_path, mod2imp):
    (mod2imp / "mod2imp").write_text((mod2imp / "mod2imp").read_text().replace(
        FIXTURES.as_posix() + '/$1.imp" ]', FIXTURES.as_posix() + '/$1.imp" ] && [ "$1" != '
        'engWEB2015eb ]'))
    with pytest.raises(DataError, match=r"^bible: needs the Debian packages sword-text-web "
                       r"\(for engWEB2015eb\); install them with: apt-get install") as error:
        prepare(tmp_path / "bible")
    assert "\n" not in str(error.value)
