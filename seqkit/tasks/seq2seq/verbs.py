"""The seq2seq task's command line: ``seqkit translate``, and the options it adds to
``seqkit evaluate``. Only click is imported here; the model is loaded when a command runs."""

import sys
from pathlib import Path

import click

DEVICE = click.Choice(["auto", "cpu", "cuda", "mps"])


def decode_options() -> list[click.Option]:
    """The search settings shared by translate and evaluate; unset ones keep the recipe's."""
    return [
        click.Option(["--beam"], type=click.IntRange(min=1), help="Beam width K."),
        click.Option(["--fixed-width/--narrowing"], default=None,
                     help="Keep K live hypotheses after some finish (Joey NMT's beam), or the "
                          "notes' beam of K − F."),
        click.Option(["--alpha"], type=float, help="Length-normalisation exponent α."),
        click.Option(["--length-penalty"], type=click.Choice(["notes", "gnmt"]),
                     help="1/T^α (notes) or ((5+T)/6)^α (GNMT)."),
        click.Option(["--batch-size"], type=click.IntRange(min=1), help="Sentences per batch."),
    ]


EVALUATE_OPTIONS = (*decode_options(), click.Option(
    ["--error-analysis"], is_flag=True, default=None,
    help="Blame each wrong output on the search or the model (P(y*|x) vs P(ŷ|x))."))


@click.command(params=decode_options())
@click.argument("model", type=click.Path())
@click.argument("input", default="-")
@click.option("--n-best", type=click.IntRange(min=1),
              help="Print N hypotheses per line as 'LINE ||| TEXT ||| SCORE' (LINE from 0).")
@click.option("--plot-attention", type=click.Path(file_okay=False),
              help="Write an attention heatmap PNG per line into this directory.")
@click.option("--device", type=DEVICE, default="auto", show_default=True,
              help="Where the model runs.")
def translate(model: str, input: str, n_best: int | None, plot_attention: str | None,
              device: str, **decode: object) -> None:
    """Translate INPUT (a file, or - for stdin) line by line with MODEL (run directory or
    checkpoint); an empty line gives an empty line. From a terminal, each line is translated
    as soon as it is typed."""
    from seqkit import api
    from seqkit.data import read_lines

    task = api.load(model, task="seq2seq", verb="translate", device=device)
    n_best = task.decode_config(n_best=n_best, **decode).n_best
    maps = _maps_folder(plot_attention) if plot_attention else None
    if input == "-" and sys.stdin.isatty():
        chunks = ([line.rstrip("\r\n")] for line in iter(sys.stdin.readline, ""))
    else:
        chunks = iter([read_lines(input)])
    done, too_long, unknown = 0, 0, 0
    for lines in chunks:
        results = task.search(lines, n_best=n_best, **decode)
        for number, nbest in enumerate(results, start=done):
            if n_best == 1:
                click.echo(task.detokenize(nbest[0].tokens) if nbest else "")
            else:
                for text, score in [(task.detokenize(h.tokens), h.score) for h in nbest] or [
                        ("", 0)]:
                    click.echo(f"{number} ||| {text} ||| {score:.6f}")
        if maps:
            task.plot_attention(lines, results, maps, first=done + 1)
        long_lines, unknown_lines = task.unusual_inputs(lines)
        done, too_long, unknown = done + len(lines), too_long + long_lines, unknown + unknown_lines
    _warn(task.recipe.data.max_length, done, too_long, unknown)
    if maps:
        click.echo(f"wrote attention maps of {done} lines to {maps}", err=True)


def _maps_folder(path: str) -> Path:
    """The --plot-attention folder, created and found writable before any line is translated."""
    from seqkit.files import OutputError, check_writable

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError.of(error, folder) from None
    check_writable(folder)
    return folder


def _warn(max_length: int, lines: int, too_long: int, unknown: int) -> None:
    """One warning for inputs the model was not trained for: its answers look confident."""
    problems = []
    if too_long:
        problems.append(f"{too_long} longer than the {max_length} tokens of training")
    if unknown:
        problems.append(f"{unknown} made only of unknown tokens")
    if problems:
        click.echo(f"warning: {' and '.join(problems)} (of {lines} lines): their translations "
                   "are unreliable", err=True)


VERBS = [translate]
