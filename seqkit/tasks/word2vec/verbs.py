"""The embedding tasks' command line (word2vec and GloVe models alike): ``seqkit embed ...``,
and the option they add to ``seqkit evaluate``. Only click is imported here; the model is loaded
when a command runs."""

from typing import Any

import click

EMBEDDING_TASKS = ("word2vec", "glove")
DEVICE = click.Choice(["auto", "cpu", "cuda", "mps"])

EVALUATE_OPTIONS = (click.Option(
    ["--restrict-vocab"], type=click.IntRange(min=1), metavar="N",
    help="Answer analogies and score word pairs among the N most frequent words "
         "(default: the recipe's data.restrict_vocab)."),)


def _task(model: str, verb: str, device: str = "auto") -> Any:
    """The word2vec or GloVe task of the model at ``model``; another task's model is a one-line
    error naming what it answers."""
    from seqkit import api
    from seqkit.errors import SeqkitError
    from seqkit.tasks import verb_names

    task = api.load(model, device=device)
    if task.name not in EMBEDDING_TASKS:
        raise SeqkitError(f"{model}: a {task.name} model; `embed {verb}` needs a word2vec or "
                          f"glove model ({task.name} models answer: "
                          f"{', '.join(verb_names(task.name))})")
    return task


def _vectors(model: str, verb: str) -> Any:
    return _task(model, verb).vectors()


def _print(neighbours: list[Any]) -> None:
    for word, score in neighbours:
        click.echo(f"{word}\t{score:.4f}")


@click.group()
def embed() -> None:
    """Query, evaluate, debias and export the word vectors of a word2vec or GloVe MODEL (run
    directory or checkpoint)."""


@embed.command()
@click.argument("model", type=click.Path())
@click.argument("word")
@click.option("-n", "topn", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many neighbours.")
def similar(model: str, word: str, topn: int) -> None:
    """The words w of largest cos(e_w, e_WORD), one 'word<TAB>cosine' a line."""
    _print(_vectors(model, "similar").most_similar(word, topn))


@embed.command()
@click.argument("model", type=click.Path())
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("-n", "topn", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many answers.")
@click.option("--cosmul", is_flag=True, help="Score by 3CosMul instead of 3CosAdd.")
def analogy(model: str, a: str, b: str, c: str, topn: int, cosmul: bool) -> None:
    """A is to B as C is to ?: argmax_w cos(e_w, e_B − e_A + e_C), inputs excluded."""
    vectors = _vectors(model, "analogy")
    answer = vectors.analogy_cosmul if cosmul else vectors.analogy
    _print(answer(a, b, c, topn))


@embed.command("evaluate")
@click.argument("model", type=click.Path())
@click.option("--restrict-vocab", type=click.IntRange(min=1), metavar="N",
              help="Among the N most frequent words (default: the recipe's).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as a JSON object.")
@click.option("--device", type=DEVICE, default="auto", show_default=True,
              help="Where the model runs.")
def evaluate_verb(model: str, restrict_vocab: int | None, as_json: bool, device: str) -> None:
    """Analogy accuracy per section, WS353 and SimLex Spearman, with OOV counts."""
    report = _task(model, "evaluate", device).evaluate("test", restrict_vocab)
    click.echo(report.to_json() if as_json else f"{model} on {report.format()}")


@embed.command()
@click.argument("model", type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Write the debiased vectors here (word2vec text format).")
@click.option("--direction", type=click.Choice(["pca", "difference"]), default="pca",
              show_default=True, help="g from the definitional pairs' first principal "
                                      "component, or e_woman − e_man.")
def debias(model: str, out: str, direction: str) -> None:
    """Hard debiasing (Bolukbasi et al., 2016): neutralise, equalise; print the direct bias and
    the analogy accuracy before and after."""
    from seqkit.embeddings import (
        bias_direction,
        difference_direction,
        direct_bias,
        evaluate_analogies,
        hard_debias,
        save_word2vec,
        word_list,
    )

    vectors = _vectors(model, "debias")
    g = (bias_direction(vectors, word_list("definitional_pairs")) if direction == "pca"
         else difference_direction(vectors, "woman", "man"))
    specific = {w for (w,) in word_list("gender_specific")}
    pairs = word_list("equalize_pairs")
    specific |= {w for pair in pairs for w in pair} | {w for pair in
                                                       word_list("definitional_pairs")
                                                       for w in pair}
    neutral = [w for w in vectors.words[:30_000] if w not in specific]
    debiased = hard_debias(vectors, g, specific, pairs)
    from gensim.test.utils import datapath

    questions = datapath("questions-words.txt")
    for name, v in (("before", vectors), ("after", debiased)):
        accuracy = evaluate_analogies(v, questions, 30_000).metrics()["accuracy"]
        click.echo(f"{name}: direct bias {direct_bias(v, neutral, g):.4f} (mean |cos(w, g)| "
                   f"over {len(neutral):,} neutral words), analogy accuracy "
                   f"{100 * accuracy:.2f}% (restrict_vocab=30000)")
    save_word2vec(debiased, out)
    click.echo(f"wrote {out}")


@embed.command()
@click.argument("model", type=click.Path())
@click.option("--format", "kind", type=click.Choice(["word2vec", "word2vec-binary"]),
              default="word2vec", show_default=True, help="The C word2vec text or binary layout.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Write here.")
def export(model: str, kind: str, out: str) -> None:
    """Write the vectors for gensim and other tools (KeyedVectors.load_word2vec_format)."""
    from seqkit.embeddings import save_word2vec

    vectors = _vectors(model, "export")
    save_word2vec(vectors, out, binary=kind == "word2vec-binary")
    click.echo(f"wrote {len(vectors):,} vectors of {vectors.vectors.shape[1]} dimensions to {out}")


VERBS = [embed]
