"""seqkit: a PyTorch toolkit for sequence models and NLP."""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("seqkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"


def load(path: str) -> Any:
    """The trained task in a run directory or checkpoint file (see :func:`seqkit.api.load`)."""
    from seqkit.api import load as load_task

    return load_task(path)
