"""The CTC task's command line: ``seqkit transcribe``, and the option it adds to
``seqkit evaluate``. Only click is imported here; the model is loaded when a command runs."""

import click

BEAM = click.Option(["--beam"], type=click.IntRange(min=1),
                    help="Beam width K (CTC: prefix beam search; 1, the default, is greedy).")
EVALUATE_OPTIONS = (BEAM,)


@click.command(params=[BEAM])
@click.argument("model", type=click.Path())
@click.argument("audio", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the model runs.")
def transcribe(model: str, audio: tuple[str, ...], beam: int | None, device: str) -> None:
    """Print 'FILE<TAB>TEXT' for each WAV file AUDIO (any sample rate, mono or stereo),
    transcribed by MODEL (a ctc run directory or checkpoint)."""
    from seqkit import api

    task = api.load(model, task="ctc", verb="transcribe", device=device)
    for file, text in zip(audio, task.transcribe_files(list(audio), beam or 1), strict=True):
        click.echo(f"{file}\t{text}")


VERBS = [transcribe]
