"""What the vision benchmarks share: a markdown table on stdout, the same numbers as JSON in
benchmarks/results/, the load beside them, and LeNet-5 as a function of 8×8 digits."""

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from seqkit.tasks.image_classification.task import ImageClassificationTask


class OnDigits(nn.Module):
    """The classifier as a function of 8×8 digits in [0, 1]: fit to its input size, then LeNet-5,
    so attacks and gradients live in the digits' own pixels. (B, 1, 8, 8) → (B, 10)."""

    def __init__(self, task: ImageClassificationTask) -> None:
        super().__init__()
        self.task, self.net = task, task.model

    def forward(self, x: Tensor) -> Tensor:
        return self.net(self.task.fit(x))


def table(header: list[str], rows: list[list[Any]]) -> str:
    cells = [[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def report(name: str, header: list[str], rows: list[list[Any]], settings: dict[str, Any],
           started: float) -> None:
    """Print the table and write benchmarks/results/<name>.json with the settings and load."""
    print(table(header, rows))
    result = {"command": "python " + " ".join(sys.argv), "settings": settings,
              "header": header, "rows": rows, "seconds": round(time.time() - started, 1),
              "load_average_after": os.getloadavg()}
    out = Path("benchmarks/results") / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out} ({result['seconds']} s, load {os.getloadavg()[0]:.1f})", file=sys.stderr)
