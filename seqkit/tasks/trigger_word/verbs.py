"""The trigger-word task's command line: ``seqkit detect``, and the options it adds to
``seqkit evaluate``. Only click is imported here; the model is loaded when a command runs."""

import click

THRESHOLD = click.Option(["--threshold"], type=click.FloatRange(min=0, max=1, min_open=True),
                         help="Detection threshold on ŷ (default: the recipe's detect.threshold).")
EVALUATE_OPTIONS = (THRESHOLD, click.Option(
    ["--negative-hours"], type=click.FloatRange(min=0, min_open=True),
    help="Hours of held-out audio without the trigger for false accepts per hour "
         "(default: the recipe's detect.negative_hours)."))


@click.command(params=[THRESHOLD])
@click.argument("model", type=click.Path())
@click.argument("audio", type=click.Path(dir_okay=False))
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the model runs.")
def detect(model: str, audio: str, threshold: float | None, device: str) -> None:
    """Print 'START_SECONDS END_SECONDS SCORE' for each detection of the trigger phrase in the
    WAV file AUDIO (any sample rate and length), found by MODEL (a trigger_word run directory
    or checkpoint)."""
    from seqkit import api

    task = api.load(model, task="trigger_word", verb="detect", device=device)
    for detection in task.detect_file(audio, threshold):
        click.echo(str(detection))


VERBS = [detect]
