"""Lets the tests here import their toy task modules (``toy_classifier``, ...) by name, as the
task registry does."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
