"""The Bible as parallel text: Spanish (Reina-Valera 1909) → English (World English Bible), with
the King James Version as a second English reference, verse by verse.

Source: the SWORD modules of Debian's ``sword-text-sparv`` (``spaRV1909eb``), ``sword-text-web``
(``engWEB2015eb``) and ``sword-text-kjv`` (``engKJV2006eb``), dumped by ``mod2imp MODULE`` (package
``libsword-utils``): one ``$$$Book C:V`` key a line, then that verse's OSIS markup.

Markup (every kind found in the three dumps):

* dropped with their text: footnotes and cross references ``<note>`` (with their ``<reference>``,
  ``<rdg>``, ``<catchWord>``), headings ``<title>`` that are not canonical (section titles, the
  letters of Psalm 119), the WEB's speaker labels ``<speaker>`` (Song of Solomon), and everything
  after a chapter's end marker ``<chapter eID=…/>``: the KJV's colophons after Paul's letters and
  the WEB glossary appended to Revelation 22:21;
* kept as text: words ``<w lemma="strong:…">``, the KJV's italics ``<transChange>``,
  ``<divineName>``, quotations ``<q>``, list items, and canonical psalm titles ``<title
  canonical="true">`` (RV1909 has them as plain text in verse 1);
* a space: line, stanza, paragraph and other milestones (``<l/>``, ``<lb/>``, ``<div/>``, ...);
  RV1909 writes some words with no space between them (``enviada</transChange><w>por``), so one is
  put between adjacent word elements; KJV's paragraph sign ``¶`` is removed.

RV1909 writes its colophons ("Fué escrita de Corinto á los Romanos, …") as verse text at the end of
the 14 letters Romans–Hebrews; they are cut after the letter's last "Amén.".

Alignment. All three are keyed by KJV versification, but RV1909's text follows the Hebrew/Greek
verse division in 12 chapters (Num 13 and 30, Judg 14, 1 Sam 24, 1 Kgs 22, 1 Chr 21, 2 Chr 33,
Job 39–40, Hos 12, Jonah 2, 2 Cor 13): the text under key ``Jonah 2:1`` is the KJV's 1:17, Job
39:1 holds 38:39, and runs end in an empty key or in one key holding several verses (Job 39:30).
RV1909 and KJV tag words with Strong's numbers, so a pairing is checkable: with S_i the Strong's
numbers of RV1909's slot i and K_j those of the KJV's slot j (same book), the similarity is the
Jaccard index J(i, j) = |S_i ∩ K_j| / |S_i ∪ K_j| (≈ 0.75 for a true pair, ≈ 0.05 for a neighbour).
Each book is aligned by the monotone one-to-one pairing that maximises Σ (J(i, j) − τ) over its
pairs with |i − j| ≤ w (τ = 0.2, w = 6: a dynamic program like edit distance); a slot whose best
partner scores below τ is dropped. A pair next to a skipped KJV verse that the RV1909 verse also
covers (≥ 60 % of that verse's numbers) is dropped too: it is a merge, not a translation of one
verse. The WEB's text follows KJV numbering (its Strong's tags follow the Hebrew one and are not
used), so the English of RV1909 slot i is the WEB's (and the KJV's) verse j. The WEB's Apocrypha
have no Spanish and are never read; verses empty in any of the three are dropped.

Measured on Debian 12's packages: 31,058 verses aligned; 174 re-paired (11 of the chapters above
and 1 Chr 1:31); 26 dropped: 19 merges or splits at the ends of shifted runs (Judg 14:19–20 among
them, Num 13:33, Job 39:30, 1 Chr 1:30 and 1:32, Acts 19:40, ...) and 7 verses the WEB leaves
empty (Luke 17:36, Acts 8:37, 15:34, 24:7, Rom 16:25–27). About 7 s of CPU time.
Known limit: the KJV marks Psalm 119's letter names (ALEPH, BETH, …) as headings, RV1909 and the
WEB as text, so 22 KJV lines lack the word the other two have.

Split: aligned verse n (0-based, canonical order) goes to test when n % 100 == 0, to valid when
n % 100 == 1, else to train; files ``{train,valid,test}.{es,en,kjv}``, one verse a line.
"""

import html
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, NoReturn

from seqkit.data.errors import DataError
from seqkit.data.parallel import write_lines
from seqkit.files import write_text_atomic

MODULES = {"es": "spaRV1909eb", "en": "engWEB2015eb", "kjv": "engKJV2006eb"}  # side → module
PACKAGES = {"spaRV1909eb": "sword-text-sparv", "engWEB2015eb": "sword-text-web",
            "engKJV2006eb": "sword-text-kjv", "mod2imp": "libsword-utils"}
SPLITS = ("train", "valid", "test")
MARKER = ".done"  # written last by prepare: the nine files are complete
THRESHOLD = 0.2  # τ: least Jaccard index of Strong's numbers for a pair
WINDOW = 6  # w: farthest a verse's text sits from its key, in verses (Job 40:1 holds 40:6)
STAY = 0.01  # ε: the gain of pairing a verse with its own key beyond J
MERGE_COVER = 0.6  # share of a skipped KJV verse's numbers that makes its neighbour's pair a merge
PAULINE = ("Romans", "I Corinthians", "II Corinthians", "Galatians", "Ephesians", "Philippians",
           "Colossians", "I Thessalonians", "II Thessalonians", "I Timothy", "II Timothy", "Titus",
           "Philemon", "Hebrews")  # the letters whose last verse carries a colophon in RV1909


class Key(NamedTuple):
    book: str  # as mod2imp spells it: "Genesis", "I Samuel", "Revelation of John"
    chapter: int
    verse: int


class Pair(NamedTuple):
    source: int  # index of the RV1909 slot in its book
    target: int  # index of the KJV slot whose text it holds
    similarity: float  # J(source, target)


KEY = re.compile(r"\$\$\$(.+) (\d+):(\d+)")
CUT_AFTER = re.compile(r"<chapter eID=[^>]*/>.*", re.S)
DROPPED = re.compile(r"<(note|speaker)\b[^>]*>.*?</\1>"
                     r"|<title\b(?![^>]*canonical=\"true\")[^>]*>.*?</title>", re.S)
GLUED = re.compile(r"(</w>|</transChange>)(?=<w\b|<transChange\b)")
SPACE = re.compile(r"</?(?:l|lb|lg|div|milestone|chapter|list|item)\b[^>]*>")
TAG = re.compile(r"<[^>]*>")
STRONG = re.compile(r'lemma="strong:([^"]*)"')
NUMBER = re.compile(r"\b([HG])0*(\d+)\b")  # H0430 → ("H", "430")


def decode(line: bytes) -> str:
    """A dump line as text: UTF-8, else Windows-1252, else Latin-1 (SWORD modules are not all
    UTF-8, and one bad byte must not lose the verse)."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            pass
    return line.decode("latin-1")


def read_imp(data: bytes) -> dict[Key, str]:
    """The verses of a ``mod2imp`` dump: OSIS markup by key, in the dump's (canonical) order.

    Module and testament headings (``$$$[ Module Heading ]``) and the book and chapter
    introductions (verse 0) are skipped.
    """
    verses: dict[Key, str] = {}
    key: Key | None = None
    for line in data.splitlines():  # bytes split at "\n", "\r\n" and "\r" only
        text = decode(line)
        if text.startswith("$$$"):
            m = KEY.fullmatch(text)
            key = Key(m[1], int(m[2]), int(m[3])) if m and int(m[3]) > 0 else None
            if key is not None:
                verses[key] = ""
        elif key is not None:
            verses[key] += ("\n" if verses[key] else "") + text
    return verses


def _body(osis: str) -> str:
    """The verse's markup without the parts that are not its text (notes, headings, ...)."""
    return DROPPED.sub("", CUT_AFTER.sub("", osis))


def strip_markup(osis: str) -> str:
    """The plain text of one verse's OSIS markup, on one line (see the module docstring)."""
    text = SPACE.sub(" ", GLUED.sub(r"\1 ", _body(osis)))
    text = html.unescape(TAG.sub("", text)).replace("¶", "")
    return " ".join(text.split())


def strongs(osis: str) -> frozenset[str]:
    """The Strong's numbers tagged in a verse's text: ``strong:H0430`` → ``H430``."""
    return frozenset(letter + digits for lemma in STRONG.findall(_body(osis))
                     for letter, digits in NUMBER.findall(lemma))


def cut_colophons(text: dict[Key, str]) -> dict[Key, str]:
    """RV1909's plain text without the colophon after the last "Amén." of each Pauline letter."""
    text = dict(text)
    for book in PAULINE:
        last = next((key for key in reversed(text) if key.book == book and text[key]), None)
        if last is not None and (end := text[last].rfind("Amén.")) >= 0:
            text[last] = text[last][:end + len("Amén.")]
    return text


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """J(a, b) = |a ∩ b| / |a ∪ b|, and 0 when both are empty."""
    return len(a & b) / len(a | b) if a or b else 0.0


def align(source: Sequence[frozenset[str] | None], target: Sequence[frozenset[str] | None],
          threshold: float = THRESHOLD, window: int = WINDOW) -> list[Pair]:
    """The monotone one-to-one pairs (i, j), |i − j| ≤ w, of slots with text (not ``None``) that
    maximise the total gain, where

        gain(i, j) = J(S_i, K_j) − τ   if i ≠ j   (re-pairing needs evidence: J > τ)
        gain(i, i) = J(S_i, K_i) + ε            (a verse stays at its own key unless that loses)

    with ε = 0.01. ``source`` are the Strong's sets S_i of one book's RV1909 slots, ``target``
    the KJV's K_j. A dynamic program over prefixes, as for edit distance: ``best[i, j]`` is the
    best total over ``source[:i]`` and ``target[:j]``; a step skips S_i, skips K_j, or pairs them
    (only when the gain is > 0). E.g. S = ({a}, {b}, {c}) and K = ({x}, {a}, {b}), Jonah 1:17 ↔
    2:1 in small: the pairs are (0, 1) and (1, 2), gain 2 × 0.8 against 3 × 0.01 on the diagonal.
    """
    n, m = len(source), len(target)
    if abs(n - m) > window:
        raise DataError(f"bible.align: {n} and {m} verses differ by more than the window {window}")
    best, step = {(0, 0): 0.0}, {}
    for i in range(n + 1):
        for j in range(max(0, i - window), min(m, i + window) + 1):
            options = []  # (total, previous cell), pairing first: it wins ties
            if i and j and (i - 1, j - 1) in best:
                gain = _gain(source[i - 1], target[j - 1], i == j, threshold)
                if gain > 0:
                    options.append((best[i - 1, j - 1] + gain, (i - 1, j - 1)))
            options += [(best[cell], cell) for cell in ((i - 1, j), (i, j - 1)) if cell in best]
            if options:
                best[i, j], step[i, j] = max(options, key=lambda option: option[0])
    pairs, cell = [], (n, m)
    while cell != (0, 0):
        i, j = step[cell]
        if (i, j) == (cell[0] - 1, cell[1] - 1):
            pairs.append(Pair(i, j, jaccard(source[i] or frozenset(), target[j] or frozenset())))
        cell = (i, j)
    return pairs[::-1]


def _gain(s: frozenset[str] | None, k: frozenset[str] | None, same_key: bool,
          threshold: float) -> float:
    if s is None or k is None:
        return 0.0
    return jaccard(s, k) + (STAY if same_key else -threshold)


def drop_merges(pairs: Sequence[Pair], source: Sequence[frozenset[str] | None],
                target: Sequence[frozenset[str] | None], cover: float = MERGE_COVER
                ) -> list[Pair]:
    """``pairs`` without merges: a pair (i, j) is dropped when a KJV neighbour j ± 1 is left
    unpaired and S_i holds ≥ ``cover`` of its numbers (RV1909's Num 13:33 holds KJV 13:32–33)."""
    paired = {p.target for p in pairs}

    def merged(pair: Pair) -> bool:
        s = source[pair.source] or frozenset()
        return any(0 <= j < len(target) and j not in paired and (k := target[j])
                   and len(s & k) >= cover * len(k) for j in (pair.target - 1, pair.target + 1))

    return [pair for pair in pairs if not merged(pair)]


class Alignment(NamedTuple):
    verses: list[tuple[str, str, str]]  # (es, en, kjv) plain text, in canonical order
    keys: list[tuple[Key, Key]]  # (RV1909 key, KJV/WEB key) of each verse
    repaired: int  # verses whose RV1909 key differs from the KJV key they were paired with
    dropped: int  # RV1909 verses with text that are not in ``verses``


def align_bible(dumps: dict[str, bytes]) -> Alignment:
    """Pair the verses of the three dumps (``MODULES`` side → ``mod2imp`` output)."""
    osis = {side: read_imp(dumps[side]) for side in MODULES}
    text = {side: {key: strip_markup(markup) for key, markup in verses.items()}
            for side, verses in osis.items()}
    text["es"] = cut_colophons(text["es"])
    books: dict[str, list[Key]] = {}
    for key in osis["kjv"]:
        books.setdefault(key.book, []).append(key)
    verses, keys = [], []
    for slots in books.values():
        source = [strongs(osis["es"][key]) if text["es"].get(key) else None for key in slots]
        target = [strongs(osis["kjv"][key]) if text["kjv"][key] else None for key in slots]
        for pair in drop_merges(align(source, target), source, target):
            es_key, en_key = slots[pair.source], slots[pair.target]
            triple = (text["es"][es_key], text["en"].get(en_key, ""), text["kjv"][en_key])
            if all(triple):
                verses.append(triple)
                keys.append((es_key, en_key))
    with_text = sum(1 for line in text["es"].values() if line)
    return Alignment(verses, keys, sum(a != b for a, b in keys), with_text - len(verses))


def split_of(n: int) -> str:
    """The split of aligned verse n (0-based): test when n % 100 == 0, valid when 1, else train."""
    return "test" if n % 100 == 0 else "valid" if n % 100 == 1 else "train"


def dump_modules(progress: Callable[[str], None] | None = None) -> dict[str, bytes]:
    """``mod2imp``'s dump of each module of ``MODULES``, by side; a missing program or module is
    a one-line DataError naming the Debian packages to install."""
    if shutil.which("mod2imp") is None:
        _missing(["mod2imp"])
    dumps, missing = {}, []
    for side, module in MODULES.items():
        if progress:
            progress(f"bible: reading {module}")
        run = subprocess.run(["mod2imp", module], capture_output=True, check=False)
        if run.returncode != 0 or not run.stdout.strip():  # "Couldn't find module", exit 255
            missing.append(module)
        dumps[side] = run.stdout
    if missing:
        _missing(missing)
    return dumps


def _missing(names: list[str]) -> NoReturn:
    packages = " ".join(PACKAGES[name] for name in names)
    raise DataError(f"bible: needs the Debian packages {packages} (for {', '.join(names)}); "
                    f"install them with: apt-get install {' '.join(PACKAGES.values())}")


def prepare(directory: str | Path, progress: Callable[[str], None] | None = None
            ) -> dict[str, int]:
    """Write ``{train,valid,test}.{es,en,kjv}`` into ``directory`` and return the verse count of
    each split.

    Each file is written atomically and the marker ``.done`` last, recording the counts (and how
    many verses were re-paired and dropped); a directory with the marker and all nine files is
    left alone. The output depends only on the installed modules, so reruns write the same.
    """
    directory = Path(directory)
    files = [directory / f"{split}.{side}" for split in SPLITS for side in MODULES]
    if (directory / MARKER).exists() and all(f.exists() for f in files):
        made = json.loads((directory / MARKER).read_text(encoding="utf-8"))
        return {split: made["counts"][split] for split in SPLITS}
    alignment = align_bible(dump_modules(progress))
    if progress:
        progress(f"bible: {len(alignment.verses)} verses aligned, {alignment.repaired} re-paired, "
                 f"{alignment.dropped} dropped")
    splits: dict[str, list[tuple[str, str, str]]] = {split: [] for split in SPLITS}
    for n, triple in enumerate(alignment.verses):
        splits[split_of(n)].append(triple)
    directory.mkdir(parents=True, exist_ok=True)
    for split, triples in splits.items():
        for k, side in enumerate(MODULES):
            write_lines(directory / f"{split}.{side}", (triple[k] for triple in triples))
    counts = {split: len(triples) for split, triples in splits.items()}
    made = {"preparer": "seqkit.data.bible", "counts": counts, "repaired": alignment.repaired,
            "dropped": alignment.dropped}
    write_text_atomic(directory / MARKER, json.dumps(made) + "\n")
    return counts
