"""The ``seqkit`` command: click verbs that parse arguments and call one library function each."""

import click

from seqkit import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seqkit")
def main() -> None:
    """seqkit: train sequence models from a recipe, translate, and score them."""


if __name__ == "__main__":
    main()
