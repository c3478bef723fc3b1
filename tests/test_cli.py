"""The command line end to end on a tiny task: train, resume, translate, evaluate, and every
user error as one line naming the file or key, with a non-zero exit and nothing lost."""

import random

import pytest
import torch
import yaml
from click.testing import CliRunner

import seqkit
from seqkit.cli import main

WORDS = ["abc", "bad", "cab", "dab", "ace", "bed", "fed", "deaf", "face", "bead", "cafe", "dace"]


def write_data(folder, sizes=(300, 20, 20)) -> None:
    """Reversal task: "abc" -> "cba", char level; small enough to learn in a few seconds."""
    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in zip(("train", "valid", "test"), sizes, strict=True):
        words = [rng.choice(WORDS) for _ in range(n)]
        (folder / f"{split}.src").write_text("".join(w + "\n" for w in words))
        (folder / f"{split}.tgt").write_text("".join(w[::-1] + "\n" for w in words))


def write_recipe(path, data_dir, **train) -> None:
    recipe = {"task": "seq2seq", "seed": 1,
              "data": {"dir": str(data_dir), "tokenizer": "char", "max_tokens": 256},
              "model": {"embedding_dim": 16, "hidden_size": 24},
              "train": {"lr": 0.01, "epochs": 30, "valid_every": 20, "log_every": 10,
                        "metric": "exact_match", **train},
              "decode": {"beam": 2}}
    path.write_text(yaml.safe_dump(recipe))


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for fragment in fragments:
        assert fragment in message, message


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run trained once for the whole module: (recipe path, run directory)."""
    root = tmp_path_factory.mktemp("cli")
    write_data(root / "data")
    write_recipe(root / "tiny.yaml", root / "data", max_steps=120)
    result = run("train", str(root / "tiny.yaml"), "--out", str(root / "run"))
    assert result.exit_code == 0, result.output
    return root / "tiny.yaml", root / "run"


def test_version_and_help() -> None:
    assert run("--version").output.strip() == f"seqkit, version {seqkit.__version__}"
    assert all(verb in run("--help").output for verb in ("train", "translate", "evaluate", "bleu"))


def test_train_writes_a_run_and_progress(trained) -> None:
    _, run_dir = trained
    for name in ("best.pt", "last.pt", "recipe.yaml", "log.jsonl", "curves.png"):
        assert (run_dir / name).exists(), name


def test_translate_keeps_one_line_per_input_line(trained) -> None:
    _, run_dir = trained
    result = run("translate", str(run_dir), "--beam", "3", input="abc\n\nface\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == ""  # empty line in, empty line out
    assert lines[0] == "cba"  # the tiny model has learnt to reverse training words


def test_translate_n_best_and_attention_plots(trained, tmp_path) -> None:
    _, run_dir = trained
    result = run("translate", str(run_dir), "--n-best", "2", "--beam", "3",
                 "--plot-attention", str(tmp_path / "maps"), input="abc\nbed\n")
    assert result.exit_code == 0, result.output
    rows = [line.split(" ||| ") for line in result.stdout.splitlines()]
    assert [r[0] for r in rows] == ["0", "0", "1", "1"]
    assert float(rows[0][2]) >= float(rows[1][2])
    pngs = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert len(pngs) == 2
    assert (tmp_path / "maps" / pngs[0]).read_bytes()[:4] == b"\x89PNG"


def test_evaluate_prints_settings_bleu_signature_and_exact_match(trained) -> None:
    _, run_dir = trained
    result = run("evaluate", str(run_dir), "--beam", "2")
    assert result.exit_code == 0, result.output
    settings, bleu, exact = result.stdout.splitlines()[:3]
    assert settings == f"{run_dir} on test: beam=2 alpha=0.7 length_penalty=notes (20 sentences)"
    assert bleu.startswith("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert exact.startswith("exact match = ")


def test_evaluate_options_and_error_analysis(trained) -> None:
    _, run_dir = trained
    result = run("evaluate", str(run_dir), "--split", "valid", "--beam", "3", "--alpha", "1.0",
                 "--length-penalty", "gnmt", "--batch-size", "4", "--error-analysis")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{run_dir} on valid: beam=3 alpha=1.0 length_penalty=gnmt (20 sentences)"
    assert lines[-1].startswith("error analysis: ") and "lp=gnmt, alpha=1]" in lines[-1]
    # batching does not change the outputs
    same = run("evaluate", str(run_dir), "--split", "valid", "--beam", "3", "--alpha", "1.0",
               "--length-penalty", "gnmt", "--batch-size", "64")
    assert same.stdout.splitlines()[1:3] == lines[1:3]
    assert_one_line_error(run("evaluate", str(run_dir), "--split", "dev"), "dev.src")


def test_python_api_translates(trained) -> None:
    _, run_dir = trained
    assert seqkit.load(run_dir).translate(["abc", "", "face"], beam=2) == \
        run("translate", str(run_dir), "--beam", "2", input="abc\n\nface\n").stdout.splitlines()


def test_resume_equals_uninterrupted(tmp_path) -> None:
    write_data(tmp_path / "data", sizes=(60, 5, 5))
    write_recipe(tmp_path / "r.yaml", tmp_path / "data", valid_every=7)
    assert run("train", str(tmp_path / "r.yaml"), "--out", str(tmp_path / "a"),
               "--set", "train.max_steps=9").exit_code == 0
    assert run("train", str(tmp_path / "r.yaml"), "--out", str(tmp_path / "a"), "--resume",
               "--set", "train.max_steps=18").exit_code == 0
    assert run("train", str(tmp_path / "r.yaml"), "--out", str(tmp_path / "b"),
               "--set", "train.max_steps=18").exit_code == 0
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model"]
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_recipe_errors_name_file_and_key(tmp_path) -> None:
    write_data(tmp_path / "data", sizes=(10, 2, 2))
    write_recipe(tmp_path / "r.yaml", tmp_path / "data")
    assert_one_line_error(run("train", str(tmp_path / "missing.yaml")), "missing.yaml")
    assert_one_line_error(run("train", str(tmp_path / "r.yaml"), "--set", "train.lr=fast"),
                          "--set train.lr=fast", "expected float")
    assert_one_line_error(run("train", str(tmp_path / "r.yaml"), "--set", "model.hiden_size=3"),
                          "unknown key 'hiden_size'", "hidden_size")
    recipe = yaml.safe_load((tmp_path / "r.yaml").read_text())
    recipe["train"]["learning_rate"] = 0.1
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(recipe))
    assert_one_line_error(run("train", str(tmp_path / "bad.yaml")),
                          "bad.yaml", "train.learning_rate", "unknown key")


def test_mismatched_data_is_one_line_error(tmp_path) -> None:
    write_data(tmp_path / "data", sizes=(10, 2, 2))
    with open(tmp_path / "data" / "train.tgt", "a") as f:
        f.write("extra\n")
    write_recipe(tmp_path / "r.yaml", tmp_path / "data")
    assert_one_line_error(run("train", str(tmp_path / "r.yaml"), "--out", str(tmp_path / "run")),
                          "train.src", "train.tgt", "10", "11")


def test_missing_data_file_is_one_line_error(tmp_path) -> None:
    write_data(tmp_path / "data", sizes=(10, 2, 2))
    (tmp_path / "data" / "train.tgt").unlink()
    write_recipe(tmp_path / "r.yaml", tmp_path / "data")
    assert_one_line_error(run("train", str(tmp_path / "r.yaml"), "--out", str(tmp_path / "run")),
                          "train.tgt")
    assert not (tmp_path / "run").exists()


def test_existing_run_is_not_overwritten_unless_asked(trained, tmp_path) -> None:
    recipe, run_dir = trained
    before = (run_dir / "best.pt").read_bytes()
    assert_one_line_error(run("train", str(recipe), "--out", str(run_dir)), "--resume")
    assert (run_dir / "best.pt").read_bytes() == before
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "last.pt").write_bytes((run_dir / "last.pt").read_bytes())
    assert run("train", str(recipe), "--out", str(copy), "--overwrite",
               "--set", "train.max_steps=2").exit_code == 0
    assert torch.load(copy / "last.pt", weights_only=True)["progress"]["position"]["step"] == 2


def test_truncated_checkpoint_is_one_line_error(trained, tmp_path) -> None:
    _, run_dir = trained
    data = (run_dir / "best.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 3])
    assert_one_line_error(run("translate", str(tmp_path / "cut.pt"), input="abc\n"),
                          "cut.pt", "truncated, corrupt")
    assert_one_line_error(run("evaluate", str(tmp_path / "none")), "none")


def test_resume_refuses_a_changed_model_but_extends_training(tmp_path) -> None:
    write_data(tmp_path / "data", sizes=(30, 3, 3))
    write_recipe(tmp_path / "r.yaml", tmp_path / "data", valid_every=5)
    out = str(tmp_path / "run")
    assert run("train", str(tmp_path / "r.yaml"), "--out", out,
               "--set", "train.max_steps=5").exit_code == 0
    last = (tmp_path / "run" / "last.pt").read_bytes()
    assert_one_line_error(run("train", str(tmp_path / "r.yaml"), "--out", out, "--resume",
                              "--set", "model.hidden_size=16", "--set", "train.lr=0.5"),
                          "cannot resume with a changed recipe", "model.hidden_size (24 → 16)",
                          "train.lr (0.01 → 0.5)")
    assert (tmp_path / "run" / "last.pt").read_bytes() == last  # nothing touched
    assert run("train", str(tmp_path / "r.yaml"), "--out", out, "--resume",
               "--set", "train.max_steps=7").exit_code == 0
    assert yaml.safe_load((tmp_path / "run" / "recipe.yaml").read_text())["train"]["max_steps"] == 7


def test_translate_input_errors_and_line_semantics(trained, tmp_path) -> None:
    _, run_dir = trained
    (tmp_path / "cr.txt").write_bytes(b"abc\rbad\nface\n")  # a lone \r ends no line (wc -l: 2)
    assert len(run("translate", str(run_dir), str(tmp_path / "cr.txt")).stdout.splitlines()) == 2
    assert_one_line_error(run("translate", str(run_dir), str(tmp_path / "none.txt")),
                          "none.txt", "no such file")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\n")
    assert_one_line_error(run("translate", str(run_dir), str(tmp_path / "latin1.txt")),
                          "latin1.txt, line 1: not UTF-8")
    rows = run("translate", str(run_dir), "--n-best", "2", input="abc\n\n").stdout.splitlines()
    assert rows[-1] == "1 |||  ||| 0.000000"  # an empty line still has its row
    with pytest.raises(TypeError, match="expected a sequence of lines, got one str"):
        seqkit.load(run_dir).translate("abc")


def test_threads_option_sets_torchs_threads_for_the_command(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    result = CliRunner().invoke(main, ["--threads", "1", "bleu", "--help"])
    assert result.exit_code == 0 and calls == [1]
    assert CliRunner().invoke(main, ["--threads", "0", "bleu", "--help"]).exit_code == 2
