"""The language-model task's command line: ``seqkit sample``, and the option it adds to
``seqkit evaluate``. Only click is imported here; the model is loaded when a command runs."""

import click

EVALUATE_OPTIONS = (click.Option(
    ["--ngram-baseline"], type=click.IntRange(min=1), metavar="N",
    help="Also score an interpolated Kneser–Ney N-gram model fitted on the training split, "
         "over the same vocabulary."),)


@click.command()
@click.argument("model", type=click.Path())
@click.option("--temperature", type=click.FloatRange(min=0),
              help="τ of softmax(z/τ): below 1 sharper, above 1 flatter, 0 greedy.")
@click.option("--top-k", type=click.IntRange(min=1), help="Draw among the K most likely tokens.")
@click.option("--prompt", "prompts", multiple=True,
              help="Text to continue (repeatable: one sample per prompt).")
@click.option("-n", type=click.IntRange(min=1), help="Samples to draw without a prompt.")
@click.option("--max-new-tokens", type=click.IntRange(min=1),
              help="Stop a sample after this many tokens if it has not ended.")
@click.option("--seed", type=int, help="Draw the same samples again (on the same device).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the model runs.")
def sample(model: str, prompts: tuple[str, ...], device: str, **settings: object) -> None:
    """Draw texts from the language model MODEL (run directory or checkpoint), one a line, each
    ending where the model drew </s>; unset options keep the recipe's ``sample`` section."""
    from seqkit import api
    from seqkit.data import Vocabulary

    task = api.load(model, task="language_model", verb="sample", device=device)
    unknown = [p for p in prompts if Vocabulary.UNK in task.encode(p)]
    if unknown:
        click.echo(f"warning: prompt {unknown[0]!r} has tokens outside the model's vocabulary "
                   f"(read as <unk>)", err=True)
    for text in task.sample(list(prompts) or None, **settings):
        click.echo(text)


VERBS = [sample]
