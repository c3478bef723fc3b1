"""User-facing errors: the CLI prints their message as one line and exits non-zero."""


class SeqkitError(Exception):
    """A problem with the user's input (a file, a recipe key, a checkpoint), not a bug in seqkit.

    The message is one line that names the file, line or key at fault.
    """


class ConfigError(SeqkitError, ValueError):
    """A recipe or ``--set`` override that does not fit the recipe's dataclasses."""


class CheckpointError(SeqkitError):
    """A checkpoint that is missing, truncated, or not a seqkit checkpoint."""
