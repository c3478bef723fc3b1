"""The toy classifier's own verb, declared in its own module as a task's verbs are."""

import click

EVALUATE_OPTIONS = (click.Option(["--threshold"], type=float, help="An option of this task only."),)


@click.command("toy-classify")
@click.argument("model", type=click.Path())
@click.argument("input", default="-")
def classify(model: str, input: str) -> None:
    """One label and its probability per line of digits."""
    from seqkit import api
    from seqkit.data import read_lines

    task = api.load(model, task="toy_classifier", verb="toy-classify")
    for label, p in task.classify(read_lines(input)):
        click.echo(f"{label}\t{p:.4f}")


VERBS = [classify]
