"""The data layer's user-facing error."""

from seqkit.errors import SeqkitError


class DataError(SeqkitError, ValueError):
    """A value or file the data layer cannot use: a missing or misaligned text file, an unknown
    tokenizer kind or preparer name, a setting out of range, a malformed vocabulary state.

    It is a :class:`ValueError`, and a :class:`~seqkit.errors.SeqkitError` so that the CLI prints
    its one-line message and exits non-zero. Wrong argument types raise :class:`TypeError`.
    """
