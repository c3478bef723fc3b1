"""Status lines on stderr for work that takes more than a moment (preparing data, tokenising).

Under torchrun only rank 0 prints, so a line is not repeated by every worker.
"""

import os
import sys


def status(message: str) -> None:
    """Print ``message`` on stderr now (rank 0 only)."""
    if os.environ.get("RANK", "0") == "0":
        print(message, file=sys.stderr, flush=True)
