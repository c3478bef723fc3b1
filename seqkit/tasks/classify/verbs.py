"""The classification task's command line: ``seqkit classify``. Only click is imported here; the
model is loaded when the command runs."""

import click

EVALUATE_OPTIONS: tuple[click.Option, ...] = ()


@click.command()
@click.argument("model", type=click.Path())
@click.argument("input", default="-")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the model runs.")
def classify(model: str, input: str, device: str) -> None:
    """Classify each line of INPUT (a file, or - for stdin) with MODEL (run directory or
    checkpoint): one line 'LABEL<TAB>PROBABILITY' per input line, the probability ŷ of the
    label. A line with no token (blank) gets an empty line."""
    from seqkit import api
    from seqkit.data import read_lines

    task = api.load(model, task="classify", verb="classify", device=device)
    for guess in task.classify(read_lines(input)):
        click.echo("" if guess is None else f"{guess.label}\t{guess.probability:.4f}")


@click.command("cross-validate")
@click.argument("models", nargs=-1, required=True, type=click.Path())
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the models run.")
def cross_validate(models: tuple[str, ...], device: str) -> None:
    """Pool the test folds of k-fold runs (one MODEL per fold of a recipe with data.folds = k):
    each fold's accuracy, then Σ correct / Σ sentences over the folds."""
    from seqkit import api
    from seqkit.tasks.classify.task import pooled_accuracy

    tasks = [api.load(m, task="classify", verb="cross-validate", device=device) for m in models]
    for line in pooled_accuracy(list(zip(models, tasks, strict=True))):
        click.echo(line)


VERBS = [classify, cross_validate]
