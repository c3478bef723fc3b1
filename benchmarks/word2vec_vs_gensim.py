"""seqkit's word2vec (skip-gram, CBOW) and GloVe beside gensim 4 on the same corpus, in one run.

Same hyperparameters for both (negative 5, window 5, dimension 100, min_count 5, sample 1e-3,
5 epochs, 2 threads, α 0.025 → 1e-4), trained on the English corpus of
:mod:`seqkit.data.english` (prepared into data/english when missing). Reported per model: training
words per second (corpus tokens × epochs / training seconds, vocabulary scan excluded for both),
analogy accuracy (questions-words.txt, restrict_vocab 30,000, 3CosAdd as gensim), WS353 and
SimLex-999 Spearman ρ (OOV pairs skipped and counted). A table on stdout and a JSON file.

gensim runs twice per architecture. Reading ``corpus_file`` (its fast mode) each of its n workers
takes 1/n of the file but decays α by its own words over the whole corpus's, so α only falls
through the first 1/n of each epoch's share (with 2 workers, 0.025 → 0.0025 instead of → 1e-4
over 5 epochs; word2vec_corpusfile.pyx, ``get_next_alpha``): a hotter schedule than the one
asked for. Reading a ``LineSentence`` iterable, α follows the linear decay over all workers' words:
the same hyperparameters as seqkit's, the row the quality targets compare with. Speed is compared
with the faster of the two.

seqkit trains on its sequential path (word2vec's order, compiled: the CPU default); ``--banded``
adds rows for its banded torch path (the one for GPUs, or installs without a C compiler).

    python benchmarks/word2vec_vs_gensim.py                 # the full comparison (long)
    python benchmarks/word2vec_vs_gensim.py --banded        # and seqkit's banded path
    python benchmarks/word2vec_vs_gensim.py --quick         # 1M words, 1 epoch: a smoke run
"""

import argparse
import json
import os
import time
from pathlib import Path

import torch
from gensim.models import Word2Vec as GensimWord2Vec
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

from seqkit.data import english
from seqkit.embeddings import (
    GloVeConfig,
    NoiseSampler,
    WindowStream,
    Word2Vec,
    Word2VecConfig,
    Word2VecTrainConfig,
    WordVectors,
    WordVocab,
    cooccurrence,
    evaluate_analogies,
    evaluate_word_pairs,
    fit_glove,
    fit_word2vec,
    from_gensim,
)
from seqkit.status import status


def scores(vectors: WordVectors) -> dict[str, float]:
    analogies = evaluate_analogies(vectors, datapath("questions-words.txt"), 30_000)
    ws = evaluate_word_pairs(vectors, datapath("wordsim353.tsv"), 30_000)
    simlex = evaluate_word_pairs(vectors, datapath("simlex999.txt"), 30_000)
    return {"analogy": analogies.metrics()["accuracy"], "analogy_oov": analogies.oov,
            "ws353": ws.spearman, "ws353_oov": ws.oov, "simlex": simlex.spearman,
            "simlex_oov": simlex.oov}


def run_gensim(corpus: Path, tokens: int, sg: int, args: argparse.Namespace,
               mode: str = "corpus_file") -> dict:
    """gensim reading ``corpus_file`` (its fast C reader) or a ``LineSentence`` iterable."""
    model = GensimWord2Vec(sg=sg, negative=5, window=5, vector_size=100, min_count=5,
                           sample=1e-3, workers=args.threads, seed=1)
    if mode == "corpus_file":
        model.build_vocab(corpus_file=str(corpus))
        start = time.perf_counter()
        model.train(corpus_file=str(corpus), total_words=model.corpus_total_words,
                    epochs=args.epochs)
    else:
        model.build_vocab(LineSentence(str(corpus)))
        start = time.perf_counter()
        model.train(LineSentence(str(corpus)), total_examples=model.corpus_count,
                    epochs=args.epochs)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "words_per_second": tokens * args.epochs / seconds,
            "vocab": len(model.wv), **scores(from_gensim(model.wv))}


def run_seqkit(corpus: Path, tokens: int, vocab: WordVocab, arch: str,
               args: argparse.Namespace, path: str = "sequential") -> dict:
    config = Word2VecTrainConfig(epochs=args.epochs, workers=args.threads, path=path)
    model = Word2Vec(len(vocab), Word2VecConfig(arch=arch))
    stream = WindowStream(corpus, vocab, config.window, config.sample, config.batch_words,
                          config.epochs, seed=config.seed)
    noise = NoiseSampler(vocab.noise_probs(), torch.Generator().manual_seed(config.seed))
    stats = fit_word2vec(model, stream, config, noise, args.epochs * int(vocab.counts.sum()))
    return {"seconds": stats.seconds, "words_per_second": tokens * args.epochs / stats.seconds,
            "vocab": len(vocab), **scores(WordVectors(vocab.words, model.embedding.detach()))}


def run_glove(corpus: Path, tokens: int, vocab: WordVocab, args: argparse.Namespace) -> dict:
    start = time.perf_counter()
    X = cooccurrence((vocab.encode(line.split()) for line in corpus.open(encoding="utf-8")),
                     len(vocab), window=10)
    counted = time.perf_counter()
    model, _ = fit_glove(X.float(), GloVeConfig(epochs=args.glove_epochs, batch_size=16384,
                                                x_max=10))  # as recipes/glove-en.yaml
    seconds = time.perf_counter() - counted
    return {"seconds": seconds, "count_seconds": counted - start,
            "words_per_second": float("nan"), "vocab": len(vocab), "nonzeros": X._nnz(),
            **scores(WordVectors(vocab.words, model.vectors()))}


def corpus_of(args: argparse.Namespace) -> tuple[Path, int]:
    """The corpus file (the first --max-words words of the full one) and its tokens."""
    full = Path(args.data) / "train.txt"
    english.prepare(args.data, progress=status)
    if not args.max_words:
        return full, sum(line.count(" ") + 1 for line in full.open(encoding="utf-8"))
    part, tokens = Path(args.data) / f"first-{args.max_words}.txt", 0
    with full.open(encoding="utf-8") as lines, part.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(line)
            tokens += line.count(" ") + 1
            if tokens >= args.max_words:
                break
    return part, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="data/english")
    parser.add_argument("--quick", action="store_true", help="1M words, 1 epoch, GloVe 3 epochs")
    parser.add_argument("--max-words", type=int, default=0, help="use the corpus's first N words")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--glove-epochs", type=int, default=15)
    parser.add_argument("--banded", action="store_true", help="also seqkit's banded torch path")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--glove-threads", type=int, default=0,
                        help="torch threads for GloVe (default: --threads)")
    parser.add_argument("--out", default="benchmarks/results/word2vec_vs_gensim.json")
    args = parser.parse_args()
    if args.quick:
        args.max_words, args.epochs, args.glove_epochs = args.max_words or 1_000_000, 1, 3
    torch.set_num_threads(args.threads)
    corpus, tokens = corpus_of(args)
    load_start = os.getloadavg()[0]
    status(f"corpus {corpus}: {tokens:,} words; load {load_start:.1f}")
    vocab = WordVocab.build((line.split() for line in corpus.open(encoding="utf-8")), 5)
    results = {}
    for arch, sg in (("skipgram", 1), ("cbow", 0)):
        status(f"gensim {arch}")
        results[f"gensim {arch}"] = run_gensim(corpus, tokens, sg, args)
        status(f"gensim {arch}, iterable")
        results[f"gensim {arch} (iterable)"] = run_gensim(corpus, tokens, sg, args, "iterable")
        status(f"seqkit {arch}")
        results[f"seqkit {arch}"] = run_seqkit(corpus, tokens, vocab, arch, args)
        if args.banded:
            status(f"seqkit {arch}, banded")
            results[f"seqkit {arch} (banded)"] = run_seqkit(corpus, tokens, vocab, arch, args,
                                                            "banded")
    status("seqkit glove")
    torch.set_num_threads(args.glove_threads or args.threads)
    results["seqkit glove"] = run_glove(corpus, tokens, vocab, args)
    print(f"| model | words/s | train s | analogy (30k) | WS353 ρ | SimLex ρ |  ({tokens:,} "
          f"words, {args.epochs} epochs, {args.threads} threads, load "
          f"{os.getloadavg()[0]:.1f})\n|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['words_per_second']:,.0f} | {r['seconds']:.1f} | "
              f"{100 * r['analogy']:.1f}% | {r['ws353']:.3f} | {r['simlex']:.3f} |")
    for arch in ("skipgram", "cbow"):
        seqkit = results[f"seqkit {arch}"]
        gensim = max(results[f"gensim {arch}"], results[f"gensim {arch} (iterable)"],
                     key=lambda r: r["words_per_second"])
        quality = results[f"gensim {arch} (iterable)"]
        speed = seqkit["words_per_second"] / gensim["words_per_second"]
        print(f"{arch}: seqkit/gensim words/s {speed:.2f}×, "
              f"analogy {100 * (seqkit['analogy'] - quality['analogy']):+.1f} points, "
              f"WS353 {seqkit['ws353'] - quality['ws353']:+.3f}, "
              f"SimLex {seqkit['simlex'] - quality['simlex']:+.3f} (vs gensim iterable)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"corpus_words": tokens, "settings": vars(args),
                                          "load_start": load_start, "load": os.getloadavg()[0],
                                          "results": results},
                                         indent=1))


if __name__ == "__main__":
    main()
