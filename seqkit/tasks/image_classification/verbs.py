"""The image-classification task's command line: ``seqkit classify-image``. Only click is
imported here; the model is loaded when the command runs."""

import click

EVALUATE_OPTIONS: tuple[click.Option, ...] = ()


@click.command("classify-image")
@click.argument("model", type=click.Path())
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the model runs.")
def classify_image(model: str, files: tuple[str, ...], device: str) -> None:
    """Print 'FILE<TAB>DIGIT<TAB>PROBABILITY' for each image FILE (PNG, JPEG, BMP, GIF, or NPY
    of shape (H, W)), classified by MODEL (an image_classification run directory or
    checkpoint). Any size and either ink colour: images are made grey, light ink on black
    and 8×8, like the training digits."""
    from seqkit import api

    task = api.load(model, task="image_classification", verb="classify-image", device=device)
    for file, (label, probability) in zip(files, task.classify_files(list(files)), strict=True):
        click.echo(f"{file}\t{label}\t{probability:.4f}")


VERBS = [classify_image]
