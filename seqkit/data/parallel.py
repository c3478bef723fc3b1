"""Line-aligned text files: line i of the source file and line i of the target file are a pair.

A line ends at "\\n" (a "\\r\\n" ending counts as one newline), as ``wc -l`` and sacrebleu count
lines. Other Unicode line boundaries (form feed, U+2028, ...) stay inside their line: splitting on
them, as :meth:`str.splitlines` does, would shift every later pair out of alignment.
"""

import sys
from collections.abc import Iterable
from pathlib import Path

from seqkit.data.errors import DataError
from seqkit.files import atomic_path


def read_lines(path: str | Path) -> list[str]:
    """The lines of the UTF-8 file at ``path`` (``-``: standard input), each without its
    trailing newline. Lines end at "\n" only (a "\r" before it is dropped), as ``wc -l`` counts.

    A missing or undecodable file raises :class:`DataError` naming the file (and the line).
    """
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read ({error.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataError(f"{path}, line {line}: not UTF-8 (byte {data[error.start]:#04x})") from None
    lines = text.split("\n")
    if lines[-1] == "":  # the newline that ends the last line starts no new one
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def read_parallel(src_path: str | Path, tgt_path: str | Path) -> list[tuple[str, str]]:
    """The (source, target) pairs of two line-aligned files; their line counts must agree."""
    src, tgt = read_lines(src_path), read_lines(tgt_path)
    if len(src) != len(tgt):
        raise DataError(f"{src_path} has {len(src)} lines but {tgt_path} has {len(tgt)}")
    return list(zip(src, tgt, strict=True))


def write_lines(path: str | Path, lines: Iterable[str]) -> None:
    """Write ``lines`` to ``path`` in UTF-8, each ended by "\\n", atomically: a reader sees the old
    file or the whole new one. A line containing a newline would break the alignment: DataError.
    """
    lines = list(lines)
    for i, line in enumerate(lines, 1):
        if not isinstance(line, str):
            raise TypeError(f"write_lines: {path}: line {i} is {type(line).__name__}, not str")
        if "\n" in line or line.endswith("\r"):
            raise DataError(f"write_lines: {path}: line {i} contains a newline: {line[:40]!r}")
    with atomic_path(path) as tmp:
        tmp.write_bytes("".join(f"{line}\n" for line in lines).encode("utf-8"))
