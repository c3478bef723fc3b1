"""The README's Python examples run as written (those that need a trained run excepted)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("code", [b for b in BLOCKS if "seqkit.load(" not in b])
def test_readme_example_runs(code: str) -> None:
    exec(compile(code, str(README), "exec"), {})


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3
