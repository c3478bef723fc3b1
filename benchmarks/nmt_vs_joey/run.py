"""seqkit beside Joey NMT 2.3.0 on the Bible (Spanish → English), trained one after the other with
one sentencepiece model, the same sizes, target tokens per update and wall-clock budget.

    benchmarks/nmt_vs_joey/setup.sh                                  # Joey's own venv, once
    python benchmarks/nmt_vs_joey/run.py --threads 2                 # 2 × 60 minutes of training
    python benchmarks/nmt_vs_joey/run.py --quick --threads 1         # ~7-8 minutes: throughput only

Reported per toolkit (a table on stdout, JSON in benchmarks/results/): training target tokens/s
(median over the logged windows, the first and those holding a validation left out), updates in
the budget, peak RSS of the training process, beam-5 decoding sentences/s (batch 64, model
loading excluded) and test BLEU against the WEB, both scored here by one scorer (seqkit's
sacrebleu-equivalent BLEU, 13a tokenisation). Both decode the weights they had when the budget ran
out (last.pt, Joey's latest.ckpt). ``--quick`` trains 2 minutes each and decodes the first 128
test verses: BLEU is n/a there.

seqkit trains the recipe with Joey's decoder pinned (``JOEY_SIZES``: ``readout_dim`` 2H = 512,
untied output embeddings, ``attend: after``; the recipe has them too), so that a later change of
the recipe cannot make the two models differ. See README.md beside this file.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml
from joey_config import (
    joey_batch_size,
    joey_config,
    joey_targets_per_update,
    seqkit_targets_per_update,
)

from seqkit.metrics.bleu import BLEU
from seqkit.status import status
from seqkit.tasks import load_recipe
from seqkit.tasks.seq2seq.task import Seq2SeqTask

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RECIPE = ROOT / "recipes" / "bible-es-en.yaml"
JOEY_PYTHON = HERE / ".venv" / "bin" / "python"
# h̃<t> = 2H, untied, attending from s<t>: Joey's recurrent decoder
JOEY_SIZES = ["model.readout_dim=512", "model.tie_embeddings=false", "model.attend=after"]
QUICK_SENTENCES = 128  # test verses decoded in --quick

# Runs in a fresh process: decode the lines of argv[2] with the seqkit model argv[1], print JSON.
SEQKIT_DECODE = """
import json, sys, time, torch
from seqkit import api
torch.set_num_threads(int(sys.argv[3]))
task = api.load(sys.argv[1], task="seq2seq", device="cpu")
lines = open(sys.argv[2], encoding="utf-8").read().splitlines()
start = time.perf_counter()
hypotheses = task.translate(lines, beam=5, batch_size=64)
print(json.dumps({"seconds": time.perf_counter() - start, "hypotheses": hypotheses}))
"""


def prepare_shared(recipe, work: Path) -> tuple[Seq2SeqTask, dict[str, str]]:
    """seqkit's tokenizer and vocabulary (from data/bible/.cache), written where Joey reads them:
    the one joint sentencepiece model and its token list (specials left to Joey)."""
    task = Seq2SeqTask.build(recipe)
    if not recipe.data.joint_vocab:
        sys.exit(f"{RECIPE}: data.joint_vocab must be true (one sentencepiece model for both)")
    shared = work / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    (shared / "spm.model").write_bytes(task.tokenizers["src"].model_proto)
    tokens = task.vocabs["tgt"].to_state()[4:]  # after <pad> <unk> <s> </s>
    (shared / "vocab.txt").write_text("".join(f"{t}\n" for t in tokens), encoding="utf-8")
    return task, {"spm_model": str(shared / "spm.model"), "vocab_file": str(shared / "vocab.txt")}


def decode_set(recipe, work: Path, limit: int | None) -> tuple[Path, list[str], list[str]]:
    """The test verses both toolkits decode (the first ``limit`` in --quick): the file prefix
    Joey reads (``.es``/``.en`` added), the sources and the WEB references."""
    data = Path(recipe.data.dir)
    sources = (data / f"test.{recipe.data.src}").read_text(encoding="utf-8").splitlines()[:limit]
    references = (data / f"test.{recipe.data.tgt}").read_text(encoding="utf-8").splitlines()
    references = references[:len(sources)]
    prefix = work / "shared" / "decode"
    for suffix, lines in ((recipe.data.src, sources), (recipe.data.tgt, references)):
        Path(f"{prefix}.{suffix}").write_text("".join(f"{x}\n" for x in lines), encoding="utf-8")
    return prefix, sources, references


def environment(threads: int) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


def wait_rss(process: subprocess.Popen, block: bool = True) -> tuple[int, float] | None:
    """Wait for ``process``: its exit code and peak resident memory in MiB (its own and that of
    the children it waited for, as the kernel reports on wait4); None if it is still running
    and not ``block``. (Popen.poll would reap it and lose the memory figure.)"""
    pid, code, usage = os.wait4(process.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return None
    process.returncode = os.waitstatus_to_exitcode(code)
    return process.returncode, usage.ru_maxrss / 1024


def train_joey(config_path: Path, log: Path, minutes: float, threads: int) -> dict:
    """Joey trains until ``minutes`` after its first epoch began (data loading excluded, as
    seqkit's train.max_time), then gets Ctrl-C (SIGINT), on which it saves latest.ckpt."""
    log.unlink(missing_ok=True)
    with open(config_path.parent / "joey-train.out", "w") as out:
        # Joey stops on SIGINT only if it starts with SIGINT's default action: a shell that runs
        # this script in the background (``cmd &``, nohup) ignores SIGINT, which children inherit
        process = subprocess.Popen([str(JOEY_PYTHON), "-m", "joeynmt", "train", str(config_path),
                                    "--skip-test"], stdout=out, stderr=subprocess.STDOUT,
                                   env=environment(threads), preexec_fn=_default_sigint)
        started, ended = None, None
        while ended is None:
            if started is None and log.is_file() and "EPOCH 1" in log.read_text():
                started = time.monotonic()
            if started is not None and time.monotonic() - started >= 60 * minutes:
                process.send_signal(signal.SIGINT)
                ended = wait_rss(process)
            else:
                time.sleep(0.5)
                ended = wait_rss(process, block=False)
        code, rss = ended
    if code != 0 or started is None:
        sys.exit(f"Joey's training failed (exit {code}); see {config_path.parent}/joey-train.out")
    windows = [(int(step), float(rate)) for step, rate in re.findall(
        r"Step:\s+(\d+),.*Tokens per Sec:\s+([\d.]+)", log.read_text())]
    return {"windows": windows, "rss_mib": rss}


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def train_seqkit(overrides: list[str], out: Path, threads: int) -> dict:
    with open(out.parent / "seqkit-train.out", "w") as stdout:
        process = subprocess.Popen([sys.executable, "-m", "seqkit", "train", str(RECIPE),
                                    "--out", str(out), "--overwrite",
                                    *(x for o in overrides for x in ("--set", o))],
                                   stdout=stdout, stderr=subprocess.STDOUT,
                                   env=environment(threads))
        code, rss = wait_rss(process)
    if code != 0:
        sys.exit(f"seqkit's training failed (exit {code}); see {out.parent}/seqkit-train.out")
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    windows = [(r["step"], r["tokens_per_s"]) for r in records if "tokens_per_s" in r]
    return {"windows": windows, "rss_mib": rss}


def tokens_per_second(windows: list[tuple[int, float]], valid_every: int) -> float:
    """Median tokens/s over logged windows, leaving out the first (start-up) and any window that
    follows a validation step (seqkit's windows include validation time; Joey's exclude it)."""
    kept = [rate for i, (step, rate) in enumerate(windows[1:], start=1)
            if windows[i - 1][0] % valid_every != 0]
    return statistics.median(kept) if kept else float("nan")


def decode_joey(config: dict, work: Path, prefix: Path, threads: int) -> tuple[list[str], float]:
    """Joey's ``test`` on the decode set with latest.ckpt; its own "Generation took" time."""
    test = {**config, "data": {k: v for k, v in config["data"].items() if k not in ("train",
                                                                                    "dev")}}
    test["data"]["test"] = str(prefix)
    test["testing"] = {**config["testing"], "load_model": f"{config['model_dir']}/latest.ckpt"}
    path = work / "joey-test.yaml"
    path.write_text(yaml.safe_dump(test, allow_unicode=True))
    done = subprocess.run([str(JOEY_PYTHON), "-m", "joeynmt", "test", str(path), "--output-path",
                           str(work / "joey-hyp")], capture_output=True, text=True,
                          env=environment(threads), check=False)
    (work / "joey-test.out").write_text(done.stdout + done.stderr)
    took = re.findall(r"Generation took ([\d.]+)\[sec\]", done.stdout + done.stderr)
    if done.returncode != 0 or not took:
        sys.exit(f"Joey's test failed (exit {done.returncode}); see {work}/joey-test.out")
    hypotheses = (work / "joey-hyp.test").read_text(encoding="utf-8").splitlines()
    return hypotheses, float(took[-1])


def decode_seqkit(checkpoint: Path, sources_file: Path, threads: int) -> tuple[list[str], float]:
    done = subprocess.run([sys.executable, "-c", SEQKIT_DECODE, str(checkpoint),
                           str(sources_file), str(threads)], capture_output=True, text=True,
                          env=environment(threads), check=False)
    if done.returncode != 0:
        sys.exit(f"seqkit's decoding failed: {done.stderr.strip().splitlines()[-1:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["hypotheses"], result["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=None,
                        help="training budget of each (default 60, or 2 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="2 minutes each, 128 test verses decoded, BLEU n/a")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of both")
    parser.add_argument("--work", default=str(ROOT / "runs" / "nmt_vs_joey"))
    parser.add_argument("--out", default=None, help="JSON file (default benchmarks/results/"
                                                    "nmt_vs_joey[_quick].json)")
    args = parser.parse_args()
    if not JOEY_PYTHON.exists():
        sys.exit(f"{JOEY_PYTHON}: missing; run benchmarks/nmt_vs_joey/setup.sh first")
    minutes = args.minutes or (2.0 if args.quick else 60.0)
    log_every, valid_every = (2, 10_000) if args.quick else (50, 300)
    work = Path(args.work)
    load = os.getloadavg()
    status(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {args.threads} threads")
    overrides = [*JOEY_SIZES,
                 f"train.max_time={minutes}", f"train.threads={args.threads}",
                 f"train.log_every={log_every}", f"train.valid_every={valid_every}"]
    recipe = load_recipe(RECIPE, overrides)
    torch.set_num_threads(args.threads)
    task, shared = prepare_shared(recipe, work)
    examples = task.train_examples
    src = [len(e.src) for e in examples]
    tgt = [len(e.tgt) - 2 for e in examples]
    targets = seqkit_targets_per_update(src, tgt, recipe.data.max_tokens, recipe.seed)
    budget = joey_batch_size(src, tgt, targets, recipe.seed)
    joey_targets = joey_targets_per_update(src, tgt, budget, recipe.seed)
    status(f"target tokens per update: seqkit {targets:.0f} (max_tokens "
           f"{recipe.data.max_tokens}), Joey {joey_targets:.0f} (batch_size {budget})")
    data = {split: str(Path(recipe.data.dir).resolve() / name)
            for split, name in (("train", "train"), ("dev", "valid"), ("test", "test"))}
    config = joey_config(recipe, model_dir=str(work / "joey"), data_prefix=data, **shared,
                         batch_size=budget, log_every=log_every, valid_every=valid_every)
    config_path = work / "joey.yaml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True))
    prefix, sources, references = decode_set(recipe, work, QUICK_SENTENCES if args.quick else None)

    results = {}
    status(f"Joey: training {minutes:g} minutes")
    joey = train_joey(config_path, work / "joey" / "train.log", minutes, args.threads)
    status("seqkit: training")
    seqkit = train_seqkit(overrides, work / "seqkit", args.threads)
    status("Joey: decoding")
    joey_hyps, joey_seconds = decode_joey(config, work, prefix, args.threads)
    status("seqkit: decoding")
    seqkit_hyps, seqkit_seconds = decode_seqkit(work / "seqkit" / "last.pt",
                                                Path(f"{prefix}.{recipe.data.src}"), args.threads)
    for name, trained, hyps, seconds in (("Joey NMT 2.3.0", joey, joey_hyps, joey_seconds),
                                         ("seqkit", seqkit, seqkit_hyps, seqkit_seconds)):
        bleu = BLEU().corpus_score(hyps, [references])
        (work / f"{name.split()[0].lower()}-hyp.txt").write_text(
            "".join(f"{h}\n" for h in hyps), encoding="utf-8")
        # an untrained model writes to the length limit: the decoding work differs with it
        length = statistics.mean(len(task.tokenizers["tgt"].tokenize(h)) for h in hyps)
        results[name] = {
            "tokens_per_s": tokens_per_second(trained["windows"], valid_every),
            "updates": trained["windows"][-1][0] if trained["windows"] else 0,
            "rss_mib": trained["rss_mib"], "decode_sentences_per_s": len(sources) / seconds,
            "decode_seconds": seconds, "sentences": len(sources), "output_tokens": length,
            "bleu": None if args.quick else bleu.score,
            "bleu_signature": None if args.quick else bleu.format(),
            "windows": trained["windows"]}
    after = os.getloadavg()
    print_table(results, args, minutes, load, after)
    out = Path(args.out or ROOT / "benchmarks" / "results" /
               f"nmt_vs_joey{'_quick' * args.quick}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "settings": {**vars(args), "minutes": minutes, "log_every": log_every,
                     "valid_every": valid_every, "seqkit_overrides": overrides,
                     "seqkit_max_tokens": recipe.data.max_tokens, "joey_batch_size": budget,
                     "targets_per_update": {"seqkit": targets, "joey": joey_targets}},
        "load_before": load, "load_after": after, "results": results}, indent=1) + "\n")
    status(f"written {out}")


def print_table(results: dict, args: argparse.Namespace, minutes: float, load, after) -> None:
    mode = "--quick (shortened: throughput only)" if args.quick else f"{minutes:g} minutes each"
    print(f"\n{mode}, {args.threads} threads; load average {load[0]:.2f} before, "
          f"{after[0]:.2f} after")
    print("| toolkit | target tokens/s | updates | peak RSS | beam-5 sentences/s "
          "| tokens per output | test BLEU (WEB) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        bleu = "n/a" if r["bleu"] is None else f"{r['bleu']:.1f}"
        print(f"| {name} | {r['tokens_per_s']:,.0f} | {r['updates']:,} | {r['rss_mib']:,.0f} MiB "
              f"| {r['decode_sentences_per_s']:.1f} | {r['output_tokens']:.1f} | {bleu} |")
    joey, ours = results["Joey NMT 2.3.0"], results["seqkit"]
    lengths = sorted((joey["output_tokens"], ours["output_tokens"]))
    caveat = ("" if lengths[0] >= 0.8 * lengths[1] else
              f" (not comparable: outputs of {joey['output_tokens']:.1f} and "
              f"{ours['output_tokens']:.1f} tokens)")
    print(f"seqkit / Joey: training {ours['tokens_per_s'] / joey['tokens_per_s']:.2f}×, "
          f"decoding {ours['decode_sentences_per_s'] / joey['decode_sentences_per_s']:.2f}×"
          f"{caveat}")


if __name__ == "__main__":
    main()
