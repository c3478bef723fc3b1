"""The preparer ``data.prepare: pang_lee``: the 200 labelled sentences of Pang & Lee's polarity
data that ship with gensim (``gensim/test/test_data/pang_lee_polarity.cor``, Latin-1), written as
UTF-8 into ``data.dir/all.txt`` for k-fold cross-validation (``data.folds``).

This module imports nothing heavy at load time, so :mod:`seqkit.data.preparers` can point at it.
"""

from pathlib import Path
from typing import Any


def pang_lee(data: Any, seed: int) -> None:
    """Copy gensim's ``pang_lee_polarity.cor`` to ``data.dir/all.txt`` unless it is there;
    ``seed`` is unused (the folds are drawn by the task)."""
    from seqkit.classify import read_fasttext
    from seqkit.data import DataError, write_lines
    from seqkit.status import status

    target = Path(data.dir) / "all.txt"
    if target.is_file():
        return
    try:
        from gensim.test.utils import datapath
    except ImportError:
        raise DataError("data.prepare: pang_lee needs gensim (pip install gensim)") from None
    examples = read_fasttext(datapath("pang_lee_polarity.cor"))
    target.parent.mkdir(parents=True, exist_ok=True)
    write_lines(target, [f"__label__{e.label} {e.text}" for e in examples])
    status(f"pang_lee: wrote {len(examples)} labelled sentences into {target}")
