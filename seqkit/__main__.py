"""``python -m seqkit`` (and ``torchrun -m seqkit``) runs the command line."""

from seqkit.cli import run

run()
