"""benchmarks/nmt_vs_joey/joey_config.py: the Joey NMT config has the sizes asked for, and the
batch-size conversion gives Joey seqkit's target tokens per update (no Joey needed)."""

import importlib.util
import random
from pathlib import Path

import pytest
import torch

from seqkit.core.schedules import schedule
from seqkit.data import token_batches
from seqkit.tasks import load_recipe

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "bible-es-en.yaml"
JOEY_SIZES = ["model.readout_dim=512", "model.tie_embeddings=false", "model.attend=after"]


def _module():
    path = ROOT / "benchmarks" / "nmt_vs_joey" / "joey_config.py"
    spec = importlib.util.spec_from_file_location("joey_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


joey = _module()


def _lengths(n: int = 400, seed: int = 0) -> tuple[list[int], list[int]]:
    rng = random.Random(seed)
    src = [rng.randint(1, 60) for _ in range(n)]
    return src, [max(1, s + rng.randint(-8, 8)) for s in src]


def test_joey_batches_worked_example():
    # the docstring's example: counts 4, then 7 (7 × 2 ≥ 10 cuts), then 5 alone
    assert joey.joey_batches([3, 1, 4], [2, 6, 4], 10, [0, 1, 2]) == [[0, 1], [2]]


def test_joey_batches_cut_once_the_padded_size_reaches_the_budget():
    src, tgt = _lengths()
    order = list(range(len(src)))
    random.Random(1).shuffle(order)
    batches = joey.joey_batches(src, tgt, 500, order)
    assert [i for b in batches for i in b] == order
    for batch in batches[:-1]:
        padded = [max(src[i], tgt[i]) + 1 for i in batch]
        assert max(padded) * len(batch) >= 500 > max(padded[:-1]) * (len(batch) - 1)


def test_seqkit_targets_per_update_counts_t_plus_one_per_sentence():
    src, tgt = _lengths()
    batches = token_batches([max(s, t + 2) for s, t in zip(src, tgt, strict=True)], 1000,
                            generator=torch.Generator().manual_seed(0))
    expected = sum(t + 1 for t in tgt) / len(batches)
    assert joey.seqkit_targets_per_update(src, tgt, 1000) == pytest.approx(expected)


def test_joey_batch_size_is_the_smallest_budget_reaching_the_target():
    src, tgt = _lengths()
    target = joey.seqkit_targets_per_update(src, tgt, 1000)
    budget = joey.joey_batch_size(src, tgt, target)
    assert joey.joey_targets_per_update(src, tgt, budget) >= target
    assert joey.joey_targets_per_update(src, tgt, budget - 1) < target
    assert budget > 1000  # random batches pad more: Joey needs a larger budget for as many


def test_joey_config_has_the_recipe_sizes():
    recipe = load_recipe(RECIPE, JOEY_SIZES)
    config = joey.joey_config(recipe, model_dir="m", data_prefix={"train": "d/train"},
                              spm_model="spm.model", vocab_file="vocab.txt", batch_size=4190,
                              log_every=50, valid_every=300)
    model, training = config["model"], config["training"]
    E, H = recipe.model.embedding_dim, recipe.model.hidden_size
    assert model["encoder"] | {"embeddings": None} == {
        "type": "recurrent", "rnn_type": "gru", "hidden_size": H, "bidirectional": True,
        "num_layers": 1, "dropout": 0.2, "freeze": False, "embeddings": None}
    decoder = model["decoder"]
    assert (decoder["type"], decoder["hidden_size"], decoder["attention"]) == (
        "recurrent", 2 * H, "bahdanau")
    assert decoder["input_feeding"] and decoder["activation"] == "tanh"
    assert model["encoder"]["embeddings"] == decoder["embeddings"] == {"embedding_dim": E,
                                                                       "dropout": 0.2}
    assert (training["batch_size"], training["batch_type"]) == (4190, "token")
    assert training["label_smoothing"] == recipe.label_smoothing
    assert training["scheduling"] == "warmupexponentialdecay"
    for side in ("src", "trg"):
        assert config["data"][side]["tokenizer_cfg"] == {"model_file": "spm.model"}
        assert config["data"][side]["max_length"] == recipe.data.max_length
    assert config["testing"]["beam_size"] == 5


def joey_rate(training: dict, t: int) -> float:
    """Joey 2.3.0's rate at step t ≥ W (builders.py, its two warm-up schedulers)."""
    W, peak = training["learning_rate_warmup"], training["learning_rate_peak"]
    if training["scheduling"] == "warmupinversesquareroot":
        return peak * W ** 0.5 * t ** -0.5
    assert training["scheduling"] == "warmupexponentialdecay"
    return peak * training["learning_rate_decay"] ** (
        (t - W) / training["learning_rate_decay_length"])


@pytest.mark.parametrize("overrides", [
    [],  # the recipe's exponential decay
    ["train.schedule=inverse_sqrt", "train.warmup_steps=400", "train.schedule_options={k: 20}"],
])
def test_joey_rate_equals_seqkit_schedule_after_warm_up(overrides):
    recipe = load_recipe(RECIPE, [*JOEY_SIZES, *overrides])
    training = joey.joey_config(recipe, model_dir="m", data_prefix={}, spm_model="s",
                                vocab_file="v", batch_size=1, log_every=50,
                                valid_every=300)["training"]
    ours = schedule(recipe.train.schedule, warmup_steps=recipe.train.warmup_steps,
                    **recipe.train.schedule_options)
    W = training["learning_rate_warmup"]
    for t in (W, 2 * W, 5_000):
        assert recipe.train.lr * ours(t) == pytest.approx(joey_rate(training, t))


def test_a_constant_rate_is_joeys_unscheduled_learning_rate():
    constant = ["train.schedule=constant", "train.warmup_steps=0", "train.schedule_options={}",
                "train.lr=1e-3"]
    recipe = load_recipe(RECIPE, [*JOEY_SIZES, *constant])
    training = joey.joey_config(recipe, model_dir="m", data_prefix={}, spm_model="s",
                                vocab_file="v", batch_size=1, log_every=50,
                                valid_every=300)["training"]
    assert training["scheduling"] is None and training["learning_rate"] == 1e-3


@pytest.mark.parametrize("overrides, key", [
    (["model.readout_dim=256", "model.tie_embeddings=true"],
     "model.readout_dim"),  # D = 256: Joey's h̃ is as wide as s<t>
    ([*JOEY_SIZES, "model.readout=concat", "model.input_feeding=false"], "model.readout"),
    ([*JOEY_SIZES, "train.schedule=inverse_sqrt", "train.schedule_options={k: 20}"],
     "train.schedule"),  # k = 20 ≠ √W = √100
    ([*JOEY_SIZES, "train.schedule=staircase", "train.schedule_options={}"], "train.schedule"),
    ([*JOEY_SIZES, "model.attend=before"], "model.attend"),  # Joey attends from s<t>
    ([*JOEY_SIZES, "train.schedule=constant", "train.schedule_options={}"],
     "train.schedule"),  # Joey's constant rate has no warm-up
])
def test_joey_config_refuses_what_joey_cannot_express(overrides, key):
    recipe = load_recipe(RECIPE, overrides)
    with pytest.raises(ValueError, match=f"joey_config: {key}: expected"):
        joey.joey_config(recipe, model_dir="m", data_prefix={}, spm_model="s", vocab_file="v",
                         batch_size=1, log_every=50, valid_every=300)


FAKE_JOEY = """
import sys, time
from pathlib import Path
log = Path(sys.argv[2]).parent / "joey" / "train.log"
log.parent.mkdir(parents=True, exist_ok=True)
log.write_text("EPOCH 1\\nEpoch 1, Step: 2, Batch Loss: 1.0, Tokens per Sec: 700, Lr: 0.001\\n")
try:
    time.sleep(60)
except KeyboardInterrupt:  # Joey saves latest.ckpt and exits 0
    sys.exit(0)
sys.exit(3)
"""

STOP_FROM_THE_BACKGROUND = """
import importlib.util, signal, sys
from pathlib import Path
signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell's background job starts
sys.path.insert(0, sys.argv[1])
spec = importlib.util.spec_from_file_location("run", Path(sys.argv[1]) / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)
run.JOEY_PYTHON = sys.executable
work = Path(sys.argv[2])
print(run.train_joey(work / "joey.yaml", work / "joey" / "train.log", 0.01, 1)["windows"])
"""


def test_joey_gets_its_ctrl_c_even_when_the_benchmark_runs_in_the_background(tmp_path):
    """A background job starts with SIGINT ignored, and children inherit that: Joey would train
    past its budget. train_joey gives it SIGINT's default action, so the budget's SIGINT stops it
    (a stand-in joeynmt that exits 0 on KeyboardInterrupt and 3 if it sleeps a minute)."""
    import subprocess
    import sys

    (tmp_path / "fake" / "joeynmt").mkdir(parents=True)
    (tmp_path / "fake" / "joeynmt" / "__main__.py").write_text(FAKE_JOEY)
    (tmp_path / "joey.yaml").write_text("{}\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path / "fake")}
    done = subprocess.run([sys.executable, "-c", STOP_FROM_THE_BACKGROUND,
                           str(ROOT / "benchmarks" / "nmt_vs_joey"), str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=50)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[(2, 700.0)]"
