"""The GAN task's command line: ``seqkit generate``, and the options it adds to ``seqkit
evaluate``. Only click is imported here; the model is loaded when a command runs."""

from pathlib import Path

import click

EVALUATE_OPTIONS = (
    click.Option(["--classifier"], type=click.Path(),
                 help="An image_classification model that judges the generated digits."),
    click.Option(["--samples"], type=click.IntRange(min=2), help="Digits to generate [1000]."),
    click.Option(["--seed"], type=int, help="Seed of the noise z [0]."),
)


@click.command("generate")
@click.argument("model", type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Where to write: a .png grid, or .npy (N, 8, 8) grey levels in [0, 1].")
@click.option("-n", "count", type=click.IntRange(min=1), default=64, show_default=True,
              help="How many digits.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the noise z.")
@click.option("--columns", type=click.IntRange(min=1), default=8, show_default=True,
              help="Digits per row of the grid.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), default="auto",
              show_default=True, help="Where the model runs.")
def generate(model: str, out: str, count: int, seed: int, columns: int, device: str) -> None:
    """Draw N digits G(z) from the GAN MODEL (run directory or checkpoint) and write them to
    --out; the same --seed gives the same digits."""
    from seqkit import api
    from seqkit.errors import SeqkitError

    path = Path(out)
    if path.suffix.lower() not in (".png", ".npy"):
        raise SeqkitError(f"--out {out}: expected a .png or .npy file name")
    task = api.load(model, task="gan", verb="generate", device=device)
    images = task.generate(count, seed)
    if path.suffix.lower() == ".npy":
        import numpy as np

        from seqkit.files import OutputError

        try:
            np.save(path, images[:, 0].cpu().numpy())
        except OSError as error:
            raise OutputError.of(error, path) from None
    else:
        from seqkit.tasks.image_classification.images import write_grid

        write_grid(images, path, columns=columns)
    click.echo(f"wrote {count} digits to {path}", err=True)


VERBS = [generate]
