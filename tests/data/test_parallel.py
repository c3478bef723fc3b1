"""seqkit.data.parallel: line semantics (as wc -l), alignment errors naming files, atomic writes."""

import pytest

from seqkit.data import DataError, read_lines, read_parallel, write_lines
from seqkit.errors import SeqkitError


@pytest.mark.parametrize(("data", "expected"), [
    (b"", []),
    (b"one\n", ["one"]),
    (b"one", ["one"]),
    (b"one\ntwo", ["one", "two"]),
    (b"\n\n", ["", ""]),
    (b" padded \t\n", [" padded \t"]),
    (b"dos\r\nline\r\n", ["dos", "line"]),
    ("form\x0cfeed\u2028sep\x85nel\x1cfs\n".encode(), ["form\x0cfeed\u2028sep\x85nel\x1cfs"]),
    ("mär 3 ⁇\n".encode(), ["mär 3 ⁇"]),
])
def test_read_lines_strips_only_the_newline(tmp_path, data, expected):
    path = tmp_path / "x.txt"
    path.write_bytes(data)
    assert read_lines(path) == expected
    assert len(expected) == data.count(b"\n") + (not data.endswith(b"\n") and data != b"")


def test_read_parallel_pairs_lines(tmp_path):
    (tmp_path / "a.src").write_text("3/3/98\n\nMarch 3rd, 1998\n", encoding="utf-8")
    (tmp_path / "a.tgt").write_text("1998-03-03\n\n1998-03-03\n", encoding="utf-8")
    assert read_parallel(tmp_path / "a.src", str(tmp_path / "a.tgt")) == [
        ("3/3/98", "1998-03-03"), ("", ""), ("March 3rd, 1998", "1998-03-03")]


def test_write_lines_round_trips_and_leaves_no_temporary_file(tmp_path):
    lines = ["a", "", " b ", "mär\x0c\u2028"]
    write_lines(tmp_path / "out.txt", lines)
    assert read_lines(tmp_path / "out.txt") == lines
    assert (tmp_path / "out.txt").read_bytes() == "a\n\n b \nmär\x0c\u2028\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    write_lines(tmp_path / "empty.txt", [])
    assert (tmp_path / "empty.txt").read_bytes() == b""


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "out.txt"
    write_lines(path, ["old"])
    with pytest.raises(DataError, match=r"line 2 contains a newline: 'b\\nc'"):
        write_lines(path, ["a", "b\nc"])
    assert read_lines(path) == ["old"]


def test_data_error_is_a_user_facing_value_error():
    assert issubclass(DataError, ValueError) and issubclass(DataError, SeqkitError)


def test_errors_name_the_files(tmp_path):
    src, tgt = tmp_path / "train.src", tmp_path / "train.tgt"
    src.write_text("a\nb\nc\n", encoding="utf-8")
    tgt.write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"^{src} has 3 lines but {tgt} has 2$"):
        read_parallel(src, tgt)
    with pytest.raises(DataError, match=f"^{tmp_path / 'nope.src'}: no such file$"):
        read_parallel(tmp_path / "nope.src", tgt)
    with pytest.raises(DataError, match=f"^{tmp_path}: cannot read"):
        read_lines(tmp_path)
    (tmp_path / "latin1.txt").write_bytes("ok\nfiancé\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.txt, line 2: not UTF-8 \(byte 0xe9\)"):
        read_lines(tmp_path / "latin1.txt")
    with pytest.raises(DataError, match=r"line 1 contains a newline: 'cr\\r'"):
        write_lines(tmp_path / "out.txt", ["cr\r"])
    with pytest.raises(TypeError, match="line 2 is int, not str"):
        write_lines(tmp_path / "out.txt", ["a", 3])
