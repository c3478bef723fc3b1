"""Attention maps: α<t,t'>, "the amount of attention y<t> should pay to a<t'>" (notes: "Attention
Model intuition"), as a heatmap."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import Tensor

from seqkit.files import atomic_path


def plot_attention(
    alpha: Tensor | np.ndarray,
    src_tokens: Sequence[str],
    out_tokens: Sequence[str],
    path: str | Path,
) -> None:
    """Write α<t,t'> as a heatmap PNG: source tokens on x, output tokens on y.

    alpha (T, S): row t is output token t's weights over the S source tokens (a
    :class:`~seqkit.seq2seq.Hypothesis`'s ``attention``, whose last row is </s>'s). The file
    appears whole or not at all (written to a temporary file, then renamed).
    """
    weights = (alpha.detach().cpu().numpy() if isinstance(alpha, Tensor) else np.asarray(alpha))
    expected = (len(out_tokens), len(src_tokens))
    if weights.shape != expected:
        raise ValueError(
            f"plot_attention: expected alpha of shape (T, S) = {expected}, got {weights.shape}"
        )
    S, T = expected[1], expected[0]
    figure = Figure(figsize=(1.5 + 0.3 * S, 1.2 + 0.3 * T))  # Agg canvas, no pyplot state
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    axes.set_xticks(range(S), labels=list(src_tokens), rotation=90)
    axes.set_yticks(range(T), labels=list(out_tokens))
    axes.set_xlabel("source t'")
    axes.set_ylabel("output t")
    figure.colorbar(image, ax=axes, label="α<t,t'>")
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
