"""An English corpus for word embeddings, built from text that ships in packages.

``prepare(directory)`` writes ``directory/train.txt``: one sentence a line, lower-cased, words
only (punctuation dropped, inner apostrophes and hyphens kept: "don't", "well-known"), and a
marker ``.done`` with the word count of each source. The sources (8.48M words together):

=========  ===========================================  ==================================
name       text (words in train.txt)                    install
=========  ===========================================  ==================================
wiki       gensim's bundled Wikipedia excerpt (0.48M)   pip install gensim
austen     Jane Austen's six novels (0.72M)             apt-get install r-cran-janeaustenr
wordnet    WordNet's glosses and examples (1.46M)       apt-get install wordnet-base
gcide      the GCIDE dictionary, Webster's 1913 (4.47M) apt-get install dict-gcide
bible      the World English Bible (0.91M)              apt-get install sword-text-web
fortunes   the fortune cookies (0.43M)                  apt-get install fortunes
=========  ===========================================  ==================================

The sentences are written in one fixed random order (``ORDER_SEED``), not source by source: SGD
with a decaying rate over a file that is Wikipedia first and fortunes last would end every epoch
on one kind of text, and any prefix of the file (``--max-words`` of the benchmark) would be one
or two sources. Windows and co-occurrences stay within a sentence, so nothing else changes.

A missing source is one error naming every missing package and the command that installs them.
Files are decoded defensively (UTF-8, else Windows-1252, else Latin-1): not all of them are UTF-8.
"""

import bz2
import gzip
import json
import random
import re
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from seqkit.data.errors import DataError

MARKER = ".done"
ORDER_SEED = 0  # the sentences' order in train.txt: random.Random(ORDER_SEED).shuffle
SOURCES = ("wiki", "austen", "wordnet", "gcide", "bible", "fortunes")
WORDNET = Path("/usr/share/wordnet")
GCIDE = Path("/usr/share/dictd/gcide.dict.dz")
FORTUNES = Path("/usr/share/games/fortunes")
WIKI = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
INSTALL = {"wiki": "pip install gensim", "austen": "apt-get install r-cran-janeaustenr (and pip "
           "install rdata)", "wordnet": "apt-get install wordnet-base", "gcide": "apt-get install "
           "dict-gcide", "bible": "apt-get install sword-text-web libsword-utils",
           "fortunes": "apt-get install fortunes"}

WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")  # letters/digits, inner ' or - kept
SENTENCE_END = re.compile(r"[.!?;][\"'”’)\]]*\s+|\n")  # an end mark, closing quotes, space
BRACKETS = re.compile(r"\[[^\]]*\]|\{[^}]*\}|<[^>]*>")  # etymologies, markup


def decode(raw: bytes) -> str:
    """UTF-8, else Windows-1252, else Latin-1 (which never fails)."""
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def sentences(text: str) -> Iterator[str]:
    """The sentences of ``text`` as lines of lower-cased words (sentences without words skipped).

    >>> list(sentences("Mr. Darcy's well-known pride; she said: \\"No!\\" Then 2 left."))
    ['mr', "darcy's well-known pride", 'she said no', 'then 2 left']
    """
    for piece in SENTENCE_END.split(text):
        words = WORD.findall(piece.lower().replace("’", "'"))
        if words:
            yield " ".join(words)


# --- the sources: each yields raw text pieces -------------------------------------------------
def wiki_text() -> Iterator[str]:
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki
    from gensim.test.utils import datapath

    with bz2.open(datapath(WIKI), "rb") as file:
        for _title, markup, _id in extract_pages(file):
            yield filter_wiki(markup)


def austen_text() -> Iterator[str]:
    from seqkit.lm.corpora import austen_paragraphs

    for paragraphs in austen_paragraphs().values():
        yield from paragraphs


def wordnet_text() -> Iterator[str]:
    """Each synset's gloss and its quoted examples (after " | " in data.noun, .verb, ...)."""
    for part in ("noun", "verb", "adj", "adv"):
        for raw in (WORDNET / f"data.{part}").read_bytes().splitlines():
            line = decode(raw)
            if not line.startswith("  ") and " | " in line:
                yield line.split(" | ", 1)[1].replace("; ", "\n").replace('"', "")


def gcide_text() -> Iterator[str]:
    """The dictionary's entries (dictd's text, blank-line separated), bracketed parts removed."""
    with gzip.open(GCIDE, "rb") as file:  # dictzip is gzip with an index
        block: list[str] = []
        for raw in file:
            line = decode(raw).strip()
            if line:
                block.append(line)
            elif block:
                yield BRACKETS.sub(" ", " ".join(block))
                block = []


def bible_text() -> Iterator[str]:
    from seqkit.data.bible import read_imp, strip_markup

    run = subprocess.run(["mod2imp", "engWEB2015eb"], capture_output=True, check=False)
    if run.returncode != 0 or not run.stdout.strip():
        raise DataError(f"english: the WEB Bible is missing; {INSTALL['bible']}")
    for osis in read_imp(run.stdout).values():
        yield strip_markup(osis)


def fortunes_text() -> Iterator[str]:
    """Every cookie of the fortune files (``%`` lines separate them)."""
    for path in sorted(FORTUNES.iterdir()):
        if path.is_file() and not path.suffix and not path.is_symlink():
            yield from re.split(r"^%$", decode(path.read_bytes()), flags=re.M)


READERS: dict[str, Callable[[], Iterable[str]]] = {
    "wiki": wiki_text, "austen": austen_text, "wordnet": wordnet_text, "gcide": gcide_text,
    "bible": bible_text, "fortunes": fortunes_text}


def _available(name: str) -> bool:
    import importlib.util
    import shutil

    if name == "wiki":
        return importlib.util.find_spec("gensim") is not None
    if name == "austen":
        from seqkit.lm.corpora import JANEAUSTENR_DATA

        return (JANEAUSTENR_DATA / "Rdata.rdx").exists() and bool(importlib.util.find_spec("rdata"))
    if name == "bible":
        return shutil.which("mod2imp") is not None
    return {"wordnet": WORDNET / "data.noun", "gcide": GCIDE, "fortunes": FORTUNES}[name].exists()


def check_sources(names: Sequence[str]) -> None:
    """Every source in ``names`` is known and installed, or one DataError naming what to do."""
    unknown = [n for n in names if n not in READERS]
    if unknown:
        raise DataError(f"data.sources: unknown source {unknown[0]!r}; expected some of "
                        f"{', '.join(SOURCES)}")
    missing = [n for n in names if not _available(n)]
    if missing:
        raise DataError("english: missing source(s) " + "; ".join(
            f"{n} ({INSTALL[n]})" for n in missing) + "; or leave them out of data.sources")


def prepare(directory: str | Path, names: Sequence[str] = SOURCES,
            progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write ``directory/train.txt`` from the sentences of the sources ``names`` in a fixed random
    order (module docstring); return the words of each. A directory whose marker records the same
    sources and order is left alone."""
    directory = Path(directory)
    marker, corpus = directory / MARKER, directory / "train.txt"
    made_as = {"sources": list(names), "order_seed": ORDER_SEED}
    if marker.exists() and corpus.exists():
        made = json.loads(marker.read_text(encoding="utf-8"))
        if {key: made.get(key) for key in made_as} == made_as:
            return made["words"]
    check_sources(names)
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    lines: list[str] = []
    for name in names:
        if progress:
            progress(f"english: reading {name}")
        before = len(lines)
        for piece in READERS[name]():
            lines += sentences(piece)
        counts[name] = sum(line.count(" ") + 1 for line in lines[before:])
        if progress:
            progress(f"english: {name}: {counts[name]:,} words")
    random.Random(ORDER_SEED).shuffle(lines)
    partial = corpus.with_suffix(".txt.partial")
    with partial.open("w", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in lines)
    partial.replace(corpus)
    marker.write_text(json.dumps({**made_as, "words": counts}), encoding="utf-8")
    if progress:
        progress(f"english: wrote {corpus} ({sum(counts.values()):,} words)")
    return counts
