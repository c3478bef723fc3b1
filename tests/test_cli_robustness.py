"""The command line broken the way users break it: two runs into one folder, read-only and full
disks, stdout on /dev/full, Ctrl-C and SIGTERM, bad settings, checkpoints that do not fit their
recipe, odd inputs. Each break must end in one line naming the path or key, an exit code that
means something, and no lost work.

Read-only and full file systems are real: a small tmpfs mounted for the test (root ignores
permission bits, so ``chmod`` would prove nothing). Where ``mount`` is not allowed, those tests
are skipped. Signals and real stdout need a ``seqkit`` subprocess; the rest runs in process.
"""

import copy
import json
import os
import pty
import random
import select
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import click
import pytest
import torch
import yaml
from click.testing import CliRunner

from seqkit.cli import main
from seqkit.tasks import TASKS, register
from seqkit.train.checkpoint import resolve

WORDS = ["abc", "bad", "cab", "dab", "ace", "bed", "fed", "deaf", "face", "bead", "cafe", "dace"]
SEQKIT = [sys.executable, "-m", "seqkit.cli"]
SLOW = 120  # seconds a subprocess may take on a loaded 2-core machine
STEPS = 10  # of the run trained once for the module


def write_data(folder: Path, sizes=(300, 20, 20)) -> None:
    """Reversal task: "abc" -> "cba", char level."""
    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in zip(("train", "valid", "test"), sizes, strict=True):
        words = [rng.choice(WORDS) for _ in range(n)]
        (folder / f"{split}.src").write_text("".join(w + "\n" for w in words))
        (folder / f"{split}.tgt").write_text("".join(w[::-1] + "\n" for w in words))


def write_recipe(path: Path, data_dir: str | Path, **train) -> Path:
    recipe = {"task": "seq2seq", "seed": 1,
              "data": {"dir": str(data_dir), "tokenizer": "char", "max_tokens": 256},
              "model": {"embedding_dim": 8, "hidden_size": 12},
              "train": {"lr": 0.02, "epochs": 1000, "max_steps": STEPS, "valid_every": 5,
                        "log_every": 5, "metric": "exact_match", **train},
              "decode": {"beam": 2}}
    path.write_text(yaml.safe_dump(recipe))
    return path


def run(*args: str | Path, input: str | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def assert_one_line_error(result, *fragments: str, exit_code: int = 1) -> None:
    assert result.exit_code == exit_code, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    for fragment in fragments:
        assert fragment in message, message


def spawn(*args: str | Path, **options) -> subprocess.Popen:
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **options}
    return subprocess.Popen([*SEQKIT, *map(str, args)], **options)


def wait_for(condition, what: str, timeout: float = SLOW) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def logged_steps(out: Path) -> int:
    log = out / "log.jsonl"
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run, trained from its own folder with a relative ``data.dir``."""
    root = tmp_path_factory.mktemp("robust")
    write_data(root / "data")
    here = Path.cwd()
    os.chdir(root)
    try:
        recipe = write_recipe(root / "tiny.yaml", "data")
        result = run("train", recipe, "--out", root / "run")
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return types.SimpleNamespace(root=root, data=root / "data", recipe=recipe, run=root / "run")


@pytest.fixture
def mount(tmp_path):
    """``mount(options)``: a fresh tmpfs folder mounted with ``options`` (e.g. "ro"), unmounted
    after the test; the test is skipped where mounting is not allowed."""
    mounted: list[Path] = []

    def make(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


# --- two runs, signals, overwrite, resume ---------------------------------------------------
def test_second_train_into_the_same_out_is_refused_and_the_first_finishes(trained, tmp_path):
    recipe = write_recipe(tmp_path / "r.yaml", trained.data, max_steps=8, log_every=1)
    out = tmp_path / "run"
    first = spawn("train", recipe, "--out", out)
    lock = out / ".lock"  # taken before the first step; the pid is written once it is held
    wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid),
             "the first run to lock its folder")
    second = run("train", recipe, "--out", out, "--overwrite")  # even --overwrite may not break in
    assert_one_line_error(second, str(out), "another seqkit train", f"pid {first.pid}")
    _, stderr = first.communicate(timeout=SLOW)
    assert first.returncode == 0, stderr
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if "loss" in r]
    assert steps == list(range(1, 9))  # one writer: every step once, in order
    assert torch.load(out / "last.pt", weights_only=True)["progress"]["position"]["step"] == 8


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_saves_last_and_resume_completes(trained, tmp_path, signum, exit_code):
    """Also: --overwrite clears the old run at its start, so an interrupted overwriting run is
    never evaluated with the old run's best.pt."""
    out = tmp_path / "run"
    out.mkdir()
    for name in ("best.pt", "last.pt", "curves.png"):
        (out / name).write_bytes((trained.run / name).read_bytes())
    old_curves = (out / "curves.png").read_bytes()
    recipe = write_recipe(tmp_path / "r.yaml", trained.data, max_steps=10_000, valid_every=5000,
                          log_every=1)
    process = spawn("train", recipe, "--out", out, "--overwrite")
    wait_for(lambda: logged_steps(out) >= 2, "two training steps")
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=SLOW)
    assert process.returncode == exit_code, stderr
    assert "continue with --resume" in stderr and "Traceback" not in stderr, stderr
    assert not (out / "best.pt").exists()  # the old model is gone: evaluate uses the new one
    assert resolve(out) == out / "last.pt"
    assert not (out / "curves.png").exists() or (out / "curves.png").read_bytes() != old_curves
    step = torch.load(out / "last.pt", weights_only=True)["progress"]["position"]["step"]
    assert 2 <= step < 10_000
    resumed = run("train", recipe, "--out", out, "--resume", "--set",
                  f"train.max_steps={step + 2}")
    assert resumed.exit_code == 0, resumed.output
    assert f"trained {step + 2} steps" in resumed.stdout


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_to_the_process_group_spares_the_data_workers(trained, tmp_path, signum,
                                                             exit_code):
    """A terminal's Ctrl-C and a scheduler's SIGTERM reach every process of the group: the
    DataLoader worker must not die mid-batch and fail the training process's next fetch."""
    recipe = write_recipe(tmp_path / "r.yaml", trained.data, max_steps=10_000, valid_every=5000,
                          log_every=1)
    out = tmp_path / "run"
    process = spawn("train", recipe, "--out", out, "--set", "data.workers=1",
                    start_new_session=True)
    wait_for(lambda: logged_steps(out) >= 2, "two training steps")
    os.killpg(process.pid, signum)
    _, stderr = process.communicate(timeout=SLOW)
    assert process.returncode == exit_code, stderr
    assert "continue with --resume" in stderr and "Traceback" not in stderr, stderr
    step = torch.load(out / "last.pt", weights_only=True)["progress"]["position"]["step"]
    assert 2 <= step < 10_000


def test_resume_and_overwrite_together_are_refused(trained, tmp_path):
    result = run("train", trained.recipe, "--out", tmp_path / "run", "--resume", "--overwrite")
    assert_one_line_error(result, "--resume and --overwrite")
    assert not (tmp_path / "run").exists()


def test_resume_of_a_finished_run_changes_nothing(trained):
    def snapshot():
        return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in trained.run.iterdir()}

    before = snapshot()
    result = run("train", trained.recipe, "--out", trained.run, "--resume")
    assert result.exit_code == 0, result.output
    assert f"already finished at step {STEPS}" in result.stdout
    assert "trained" not in result.stdout
    assert snapshot() == before


# --- file systems ---------------------------------------------------------------------------
def test_unwritable_out_is_one_line_naming_it(trained, tmp_path, mount):
    read_only = mount("ro,size=1m")
    (tmp_path / "file").write_text("x")
    for out, reason in [(read_only, "read-only file system"),  # --out itself read-only
                        (read_only / "run", "read-only file system"),  # its parent
                        (tmp_path / "file" / "run", "not a directory")]:  # below a file
        result = run("train", trained.recipe, "--out", out)
        assert_one_line_error(result, f"{out}: cannot write ({reason})")


def test_full_disk_while_saving_a_checkpoint(trained, tmp_path, mount):
    size = (trained.run / "last.pt").stat().st_size
    out = mount(f"size={size // 2}") / "run"  # room for recipe.yaml and logs, not a checkpoint
    result = run("train", write_recipe(tmp_path / "r.yaml", trained.data), "--out", out)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"Error: {out}/") and "cannot write (no space left on device)" in last
    assert not list(out.glob(".*.tmp"))  # no half-written checkpoint left behind


def test_read_only_plot_attention_folder(trained, mount):
    read_only = mount("ro,size=1m")
    for folder in (read_only, read_only / "maps"):
        result = run("translate", trained.run, "--plot-attention", folder, input="abc\n")
        assert_one_line_error(result, f"{folder}: cannot write (read-only file system)")
        assert result.stdout == ""  # refused before translating


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_stdout_on_a_full_device(trained, tmp_path):
    (tmp_path / "in.txt").write_text("abc\nbed\n")
    message = "Error: standard output: cannot write (no space left on device)\n"
    for args in (["translate", trained.run, tmp_path / "in.txt"],
                 ["bleu", tmp_path / "in.txt", "-r", tmp_path / "in.txt"]):
        with open("/dev/full", "w") as full:
            done = subprocess.run([*SEQKIT, *map(str, args)], stdout=full, capture_output=False,
                                  stderr=subprocess.PIPE, text=True, timeout=SLOW)
        assert (done.returncode, done.stderr) == (1, message)


# --- settings and recipes -------------------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_non_finite_learning_rate_is_refused_before_training(trained, tmp_path, value):
    result = run("train", trained.recipe, "--out", tmp_path / "run", "--set", f"train.lr={value}")
    assert_one_line_error(result, "train.lr: expected a finite number > 0", value)
    assert not (tmp_path / "run").exists()


def test_duplicate_recipe_key_is_refused_naming_key_and_line(trained, tmp_path):
    lines = trained.recipe.read_text().splitlines()
    lr = next(i for i, line in enumerate(lines) if line.strip().startswith("lr:"))
    lines.insert(lr + 1, lines[lr].replace("0.02", "0.5"))
    (tmp_path / "dup.yaml").write_text("\n".join(lines) + "\n")
    result = run("train", tmp_path / "dup.yaml", "--out", tmp_path / "run")
    assert_one_line_error(result, "dup.yaml", f"line {lr + 2}", "duplicate key 'train.lr'",
                          f"line {lr + 1}")


def test_dict_setting_takes_a_new_key(trained, tmp_path):
    out = tmp_path / "run"
    recipe = write_recipe(tmp_path / "r.yaml", trained.data, max_steps=1)
    result = run("train", recipe, "--out", out,
                 "--set", "train.optimizer_options.beta2=0.98")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((out / "recipe.yaml").read_text())["train"]["optimizer_options"] == \
        {"beta2": 0.98}
    group = torch.load(out / "last.pt", weights_only=True)["optimizers"]["model"]["param_groups"][0]
    assert 0.98 in (group.get("beta2"), *group.get("betas", ()))


# --- checkpoints that do not fit their recipe -----------------------------------------------
def _edit_hidden(c):
    c["recipe"]["model"]["hidden_size"] = 16


def _edit_cell(c):
    c["recipe"]["model"]["cell"] = "lstm"


def _drop_parameter(c):
    del c["model"]["encoder.weight_ih_l0"]


def _drop_task_state(c):
    c["task"] = {}


@pytest.mark.parametrize(("edit", "fragments"), [
    (_edit_hidden, ("does not match the checkpoint's recipe", "size mismatch")),
    (_edit_cell, ("does not match the checkpoint's recipe", "size mismatch")),
    (_drop_parameter, ("does not match the checkpoint's recipe", "encoder.weight_ih_l0")),
    (_drop_task_state, ("task state does not fit a seq2seq task", "tokenizers")),
])
def test_checkpoint_not_matching_its_recipe(trained, tmp_path, edit, fragments):
    checkpoint = copy.deepcopy(torch.load(trained.run / "best.pt", weights_only=True))
    edit(checkpoint)
    file = tmp_path / "edited.pt"
    torch.save(checkpoint, file)
    assert_one_line_error(run("evaluate", file), str(file), *fragments)
    assert_one_line_error(run("translate", file, input="abc\n"), str(file), *fragments)


# --- evaluate and the verbs of other tasks --------------------------------------------------
@pytest.fixture
def fake_task(monkeypatch):
    """A task "fake" with a verb `dream` and an evaluation option --temperature."""
    verbs = types.ModuleType("fake_task_verbs")
    verbs.VERBS = [click.Command("dream", callback=lambda: None)]
    verbs.EVALUATE_OPTIONS = (click.Option(["--temperature"], type=float),)
    monkeypatch.setitem(sys.modules, "fake_task_verbs", verbs)
    register("fake", "fake_task_verbs:FakeTask", "fake_task_verbs")
    yield
    TASKS.pop("fake")


def test_evaluate_from_another_folder_as_json(trained, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the recipe's data.dir "data" is relative to the training folder
    result = run("evaluate", trained.run, "--json", "--beam", "1")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["metrics"]) == {"bleu", "exact_match"}
    assert report["settings"]["split"] == "test" and report["settings"]["sentences"] == 20
    assert report["settings"]["beam"] == 1


def test_option_and_verb_of_another_task_are_refused(trained, tmp_path, fake_task):
    assert_one_line_error(run("evaluate", trained.run, "--temperature", "0.5"),
                          "a seq2seq model", "--temperature is not an option of its evaluation")
    checkpoint = torch.load(trained.run / "best.pt", weights_only=True)
    checkpoint["recipe"]["task"] = "fake"
    torch.save(checkpoint, tmp_path / "fake.pt")
    assert_one_line_error(run("translate", tmp_path / "fake.pt", input="abc\n"),
                          "a fake model", "`translate` needs a seq2seq model",
                          "fake models answer: dream, evaluate")


# --- inputs ---------------------------------------------------------------------------------
def test_translate_warns_once_about_long_and_unknown_lines(trained):
    result = run("translate", trained.run, input="a" * 5000 + "\nxyz\nxyz\nabc\n")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 4
    warning = result.stderr.strip()
    assert len(warning.splitlines()) == 1, warning
    assert warning.startswith("warning: 1 longer than the 200 tokens of training and "
                              "2 made only of unknown tokens (of 4 lines)"), warning


def test_translate_from_a_terminal_answers_each_line_at_once(trained):
    leader, follower = pty.openpty()
    process = spawn("translate", trained.run, stdin=follower)
    os.close(follower)

    def next_output() -> str:
        ready, _, _ = select.select([process.stdout], [], [], SLOW)
        assert ready, "no output for a line typed at the terminal"
        return process.stdout.readline()

    try:
        os.write(leader, b"abc\n")
        first = next_output()  # read before the second line is typed
        os.write(leader, b"bed\n")
        second = next_output()
        os.write(leader, b"\x04")  # Ctrl-D: end of input
        process.wait(timeout=SLOW)
    finally:
        os.close(leader)
        process.kill()
    assert first.strip() and second.strip()
    assert process.returncode == 0, process.stderr.read()


def test_trailing_blank_line_in_train_and_valid_trains(trained, tmp_path):
    data = tmp_path / "data"
    write_data(data)
    for name in ("train.src", "train.tgt", "valid.src", "valid.tgt"):
        with open(data / name, "a") as f:
            f.write("\n")
    recipe = write_recipe(tmp_path / "r.yaml", data, max_steps=1)
    result = run("train", recipe, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert f"left out 1 blank line of {data / 'valid.src'}" in result.stderr
    assert "left out 1 of 301 training pairs" in result.stderr


def test_empty_valid_source_is_refused_before_training(trained, tmp_path):
    data = tmp_path / "data"
    write_data(data)
    lines = (data / "valid.src").read_text().splitlines()
    lines[1] = ""
    (data / "valid.src").write_text("\n".join(lines) + "\n")
    recipe = write_recipe(tmp_path / "r.yaml", data)
    result = run("train", recipe, "--out", tmp_path / "run")
    assert_one_line_error(result, f"{data / 'valid.src'}, line 2: empty source sentence")
    assert not (tmp_path / "run").exists()


def test_bleu_reading_stdin_twice_is_refused(tmp_path):
    assert_one_line_error(run("bleu", "-", "-r", "-", input="a b\n"), "stdin", "only once")


def test_non_finite_alpha_is_refused(trained):
    message = "decode.alpha: expected a finite number ≥ 0, got inf"
    assert_one_line_error(run("translate", trained.run, "--alpha", "inf", input="abc\n"), message)
    assert_one_line_error(run("evaluate", trained.run, "--alpha", "inf"), message)
