"""The ``seqkit`` command: click verbs that parse arguments and call one library function each.

Errors in the user's input (:class:`seqkit.errors.SeqkitError`) print as one line on stderr and
exit with status 1; click's own usage errors exit with status 2.
"""

import sys
from pathlib import Path

import click

from seqkit import __version__
from seqkit.errors import SeqkitError


class _Group(click.Group):
    """A click group that turns seqkit's user-facing errors into one-line click errors."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except SeqkitError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seqkit")
def main() -> None:
    """seqkit: train sequence models from a recipe, translate, and score them."""


@main.command()
@click.argument("recipe", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a recipe value, e.g. --set train.lr=3e-4 (repeatable).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Run directory [default: runs/<recipe name>].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last.pt.")
@click.option("--overwrite", is_flag=True, help="Replace a run already in --out.")
def train(recipe: str, overrides: tuple[str, ...], out: str | None, resume: bool,
          overwrite: bool) -> None:
    """Train the model a RECIPE (YAML) describes."""
    from seqkit import api
    from seqkit.tasks import load_recipe
    from seqkit.train import distributed

    out_dir = Path(out) if out else Path("runs") / Path(recipe).stem
    result = api.train(load_recipe(recipe, overrides), out_dir, resume=resume,
                       overwrite=overwrite)
    if distributed.is_main():
        best = "n/a" if result.best is None else f"{result.best:.4f}"
        click.echo(f"trained {result.steps} steps; best {result.metric} {best}; "
                   f"model in {result.out_dir}")


def _decode_options(command):  # type: ignore[no-untyped-def]
    """The search settings shared by translate and evaluate; unset ones keep the recipe's."""
    for option in reversed([
        click.option("--beam", type=click.IntRange(min=1), help="Beam width K."),
        click.option("--alpha", type=float, help="Length-normalisation exponent α."),
        click.option("--length-penalty", type=click.Choice(["notes", "gnmt"]),
                     help="1/T^α (notes) or ((5+T)/6)^α (GNMT)."),
        click.option("--batch-size", type=click.IntRange(min=1), help="Sentences per batch."),
    ]):
        command = option(command)
    return command


@main.command()
@click.argument("model", type=click.Path())
@click.argument("input", default="-")
@_decode_options
@click.option("--n-best", type=click.IntRange(min=1),
              help="Print N hypotheses per line as 'LINE ||| TEXT ||| SCORE' (LINE from 0).")
@click.option("--plot-attention", type=click.Path(file_okay=False),
              help="Write an attention heatmap PNG per line into this directory.")
def translate(model: str, input: str, n_best: int | None,
              plot_attention: str | None, **decode: object) -> None:
    """Translate INPUT (a file, or - for stdin) line by line with MODEL (run directory or
    checkpoint); an empty line gives an empty line."""
    from seqkit import api
    from seqkit.data import read_lines

    lines = read_lines(input)
    task = api.load(model)
    results = task.search(lines, n_best=n_best, **decode)
    n_best = task.decode_config(n_best=n_best, **decode).n_best
    for number, nbest in enumerate(results):
        if n_best == 1:
            click.echo(task.detokenize(nbest[0].tokens) if nbest else "")
        else:
            for text, score in [(task.detokenize(h.tokens), h.score) for h in nbest] or [("", 0)]:
                click.echo(f"{number} ||| {text} ||| {score:.6f}")
    if plot_attention:
        written = task.plot_attention(lines, results, Path(plot_attention))
        click.echo(f"wrote {written} attention maps to {plot_attention}", err=True)


@main.command()
@click.argument("model", type=click.Path())
@click.option("--split", default="test", show_default=True, help="Held-out split of the recipe.")
@_decode_options
@click.option("--error-analysis", is_flag=True,
              help="Blame each wrong output on the search or the model (P(y*|x) vs P(ŷ|x)).")
def evaluate(model: str, split: str, error_analysis: bool, **decode: object) -> None:
    """Translate a held-out split of MODEL's recipe and print BLEU and exact match."""
    from seqkit import api

    task = api.load(model)
    result = task.evaluate(split, **decode)
    config = task.decode_config(**decode)
    click.echo(f"{model} on {split}: beam={config.beam} alpha={config.alpha} "
               f"length_penalty={config.length_penalty} ({len(result.references)} sentences)")
    click.echo(result.bleu.format())
    matches = round(result.exact_match * len(result.references))
    click.echo(f"exact match = {100 * result.exact_match:.2f}% "
               f"({matches}/{len(result.references)})")
    if error_analysis:
        click.echo(task.error_analysis(result, **decode).format())


@main.command()
@click.argument("hyp")
@click.option("-r", "--ref", "refs", required=True, multiple=True,
              help="Reference file, one line per HYP line (repeatable for more references).")
@click.option("--tokenize", type=click.Choice(["13a", "intl", "char", "none"]), default="13a",
              show_default=True, help="sacrebleu's tokeniser.")
@click.option("--lowercase", is_flag=True, help="Lowercase hypotheses and references.")
@click.option("--json", "as_json", is_flag=True, help="Print every statistic as a JSON object.")
def bleu(hyp: str, refs: tuple[str, ...], tokenize: str, lowercase: bool, as_json: bool) -> None:
    """Corpus BLEU of HYP (a file, or - for stdin) against -r REF files, as sacrebleu -f text."""
    import json

    from seqkit.metrics.bleu import BLEU

    score = BLEU(tokenize=tokenize, lowercase=lowercase).score_files(hyp, refs)
    click.echo(json.dumps(score.as_dict(), indent=1, ensure_ascii=False) if as_json
               else score.format())


if __name__ == "__main__":
    main(sys.argv[1:])
