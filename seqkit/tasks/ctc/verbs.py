"""The CTC task's command line: ``seqkit transcribe``, and the option it adds to
``seqkit evaluate``. Only click is imported here; the model is loaded when a command runs."""

import click

BEAM = click.Option(["--beam"], type=click.IntRange(min=1),
                    help="Beam width K (CTC: prefix beam search; 1, the default, is greedy).")
WORDS = click.Option(["--words"], type=click.Path(dir_okay=False),
                     help="Word list, one word a line: prefix beam search keeps to these words "
                          "(needs --beam K ≥ 2).")
EVALUATE_OPTIONS = (BEAM, WORDS)


@click.command(params=[BEAM, WORDS])
@click.argument("model", type=click.Path())
@click.argument("audio", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the model runs.")
def transcribe(model: str, audio: tuple[str, ...], beam: int | None, words: str | None,
               device: str) -> None:
    """Print 'FILE<TAB>TEXT' for each WAV file AUDIO (any sample rate, mono or stereo),
    transcribed by MODEL (a ctc run directory or checkpoint)."""
    from seqkit import api
    from seqkit.tasks.ctc.task import read_words

    task = api.load(model, task="ctc", verb="transcribe", device=device)
    lexicon = None if words is None else read_words(words)
    texts = task.transcribe_files(list(audio), beam or 1, lexicon)
    for file, text in zip(audio, texts, strict=True):
        click.echo(f"{file}\t{text}")


VERBS = [transcribe]
