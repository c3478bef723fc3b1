"""``seqkit bleu`` prints what the real sacrebleu command line prints for the same files (run here
as the oracle), reads lines as sacrebleu does, and reports file errors as one line."""

import json
import subprocess
import sys

import click
import pytest
import sacrebleu
from click.testing import CliRunner

from seqkit.cli import bleu, main
from seqkit.metrics.bleu import BLEU, TOKENIZERS

HYP = "The cat sat on the mat.\nHello world\nIt is raining today!\n"
REF_A = "The cat is on the mat.\nhello there world\nIt rains today.\n"
REF_B = "A cat sat on the mat.\nHello world !\nToday it is raining!\n"


def seqkit(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, ["bleu", *args], input=input, catch_exceptions=False)


def real_sacrebleu(refs: list[str], hyp: str | None, options: list[str], cwd,
                   input: bytes | None = None) -> str:
    """The line ``sacrebleu REF... -i HYP -f text`` prints (HYP None: stdin)."""
    command = [sys.executable, "-m", "sacrebleu", *refs, "-f", "text", *options]
    command += ["-i", hyp] if hyp else []
    done = subprocess.run(command, cwd=cwd, input=input, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


@pytest.mark.parametrize(("hyp", "refs", "options"), [
    (HYP, [REF_A], []),
    (HYP, [REF_A, REF_B], []),
    ("Über die Brücke\n我爱北京天安门\n", ["über die brücke geht\n我爱北京\n"],
     ["--lowercase", "--tokenize", "char"]),
    ("«Bonjour», dit-il — ¿qué tal? 1,000.5 €\n", ["« Bonjour », dit-il, ¿qué tal ? 1,000.5€\n"],
     ["--tokenize", "intl"]),
    ("Hello, world! It's me.\n", ["Hello , world ! It 's me .\n"], ["--tokenize", "none"]),
    # CRLF, blank lines, trailing blanks, a lone \r and a \u2028 inside a line, no final newline
    ("the cat\r\n\n  a dog  \t\nx\ry z\nu\u2028v w",
     ["the cat sat\r\n\nthe dog\nx y z\r\nu v w"], []),
], ids=["one-ref", "two-refs", "char-lowercase-unicode", "intl", "none", "line-semantics"])
def test_line_equals_the_sacrebleu_command_line(tmp_path, monkeypatch, hyp, refs, options) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hyp.txt").write_bytes(hyp.encode("utf-8"))
    ref_files = []
    for number, ref in enumerate(refs):
        ref_files.append(f"ref{number}.txt")
        (tmp_path / ref_files[-1]).write_bytes(ref.encode("utf-8"))
    result = seqkit("hyp.txt", *[arg for ref in ref_files for arg in ("-r", ref)], *options)
    assert result.exit_code == 0, result.output
    sacrebleu_options = [{"--lowercase": "-lc", "--tokenize": "-tok"}.get(o, o) for o in options]
    assert result.stdout == real_sacrebleu(ref_files, "hyp.txt", sacrebleu_options, tmp_path)
    assert result.stdout.startswith(f"BLEU|nrefs:{len(refs)}|")


def test_hyp_from_stdin_equals_sacrebleu_reading_stdin(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ref.txt").write_text(REF_A, encoding="utf-8")
    hyp = HYP.replace("\n", "\r\n").encode("utf-8")
    result = seqkit("-", "-r", "ref.txt", input=hyp)
    assert result.exit_code == 0, result.output
    assert result.stdout == real_sacrebleu(["ref.txt"], None, [], tmp_path, input=hyp)


def test_json_has_the_statistics_of_sacrebleu(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hyp.txt").write_text(HYP, encoding="utf-8")
    (tmp_path / "a.txt").write_text(REF_A, encoding="utf-8")
    (tmp_path / "b.txt").write_text(REF_B, encoding="utf-8")
    result = seqkit("hyp.txt", "-r", "a.txt", "-r", "b.txt", "--lowercase", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    metric = sacrebleu.BLEU(lowercase=True)
    theirs = metric.corpus_score(HYP.splitlines(), [REF_A.splitlines(), REF_B.splitlines()])
    assert data["signature"] == metric.get_signature().format()
    for key in ("score", "precisions", "bp", "sys_len", "ref_len"):
        assert data[key] == pytest.approx(getattr(theirs, key), abs=1e-9, rel=0), key
    assert len(data["precisions"]) == 4


@pytest.mark.parametrize(("files", "args", "message"), [
    ({"hyp.txt": "a\nb\nc\n", "ref.txt": "a\nb\n"}, ["hyp.txt", "-r", "ref.txt"],
     "Error: line counts differ: hyp.txt has 3 lines, ref.txt has 2"),
    ({"hyp.txt": "a\nb\n", "r1.txt": "a\nb\n", "r2.txt": "a\nb\nc"},
     ["hyp.txt", "-r", "r1.txt", "-r", "r2.txt"],
     "Error: line counts differ: hyp.txt has 2 lines, r2.txt has 3"),
    ({"ref.txt": "a\n"}, ["missing.txt", "-r", "ref.txt"],
     "Error: missing.txt: No such file or directory"),
    ({"hyp.txt": "a\n"}, ["hyp.txt", "-r", "missing.txt"],
     "Error: missing.txt: No such file or directory"),
    ({"hyp.txt": "", "ref.txt": ""}, ["hyp.txt", "-r", "ref.txt"],
     "Error: hyp.txt: no lines to score"),
    ({"hyp.txt": b"caf\xe9\n", "ref.txt": "a\n"}, ["hyp.txt", "-r", "ref.txt"],
     "Error: hyp.txt: not UTF-8 text (invalid continuation byte)"),
], ids=["line-counts", "second-ref-line-counts", "missing-hyp", "missing-ref", "empty-hyp",
        "not-utf8"])
def test_file_errors_are_one_line_naming_the_file(tmp_path, monkeypatch, files, args,
                                                   message) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (tmp_path / name).write_bytes(data)
    result = seqkit(*args)
    assert result.exit_code == 1
    assert (result.stdout, result.stderr) == ("", message + "\n")


def test_stdin_named_twice_is_one_line_and_exit_1(tmp_path, monkeypatch) -> None:
    # before: "line counts differ: stdin has 2 lines, - has 0", the second read finding it empty
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hyp.txt").write_text("a b\nc d\n", encoding="utf-8")
    for args in (["-", "-r", "-"], ["hyp.txt", "-r", "-", "-r", "-"]):
        result = seqkit(*args, input=b"a b\nc d\n")
        assert result.exit_code == 1
        assert (result.stdout, result.stderr) == ("", "Error: stdin ('-') is named 2 times among "
                                                  "the hypothesis and the references; it can be "
                                                  "read only once\n")


def test_tokenize_choices_and_default_are_the_librarys() -> None:
    option = next(p for p in bleu.params if p.name == "tokenize")
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == list(TOKENIZERS)
    assert option.default == BLEU().tokenize
