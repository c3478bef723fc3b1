"""word2vec's CPU fast path: its SGD one example after another, compiled, as word2vec.c and gensim.

An example is a (c, t) pair (skip-gram) or a window (CBOW), and its step is exactly
:meth:`Word2Vec.sgd_step` on that example alone: so a batch's step here is the sequence of
``sgd_step`` calls, pair after pair in window order, center after center (tested), each from the
parameters the last one left, as word2vec applies its updates. Skip-gram's pair in window slot j
takes its center's noise group ⌊j·g/2W⌋ (k words each); CBOW's window takes its center's k.

The loop is C (``seqkit/embeddings/_sgd.c``, built when seqkit is installed; without a C compiler
the install goes on and :func:`available` is False). With ``threads`` = n > 1 the centers are cut
into n consecutive ranges stepped at once without locks (Hogwild, as word2vec's threads): two
threads updating the same row at once can lose an update, so only n = 1 is reproducible bit for
bit.

Noise words come from Walker's alias table of P_n (:class:`AliasTable`), O(1) per draw; center i's
draws follow from a 64-bit seed and i alone, so they do not depend on the threads either.
"""

import warnings
from typing import TYPE_CHECKING

import numpy as np
import torch

from seqkit.embeddings.corpus import Windows

if TYPE_CHECKING:  # word2vec.py draws its noise words with AliasTable
    from seqkit.embeddings.word2vec import Word2Vec

VERSION = 1  # of _sgd.c, which says its own: a build from an older source is not used


def _compiled():
    """The compiled extension ``_sgd``, or None: not built (no C compiler at install) or built
    from another version of ``_sgd.c`` (a stale build: warned, not used)."""
    try:
        from seqkit.embeddings import _sgd
    except ImportError:
        return None
    if getattr(_sgd, "VERSION", None) != VERSION:
        warnings.warn(f"{_sgd.__file__} was built from another version of _sgd.c; word2vec takes "
                      f"its banded torch path until it is rebuilt (pip install -e . in seqkit's "
                      f"folder)", stacklevel=2)
        return None
    return _sgd


_sgd = _compiled()


def available(model: "Word2Vec") -> bool:
    """Whether the compiled path can step ``model``: built, on the CPU, float32."""
    return (_sgd is not None and model.embedding.device.type == "cpu"
            and model.embedding.dtype == torch.float32)


class AliasTable:
    """Walker's alias method (Vose's construction) for drawing from ``probs`` (V,) in O(1).

    Bucket i (each chosen with probability 1/V) returns i with probability ``prob[i]``, else
    ``alias[i]``: P(w) = (prob[w] + Σ_{i: alias[i] = w} (1 − prob[i])) / V (:meth:`probs`).
    """

    def __init__(self, probs: torch.Tensor) -> None:
        p = probs.double()
        q = (p * (len(p) / p.sum())).numpy()  # (V,) mean 1
        V = len(q)
        self.prob, self.alias = np.ones(V), np.arange(V, dtype=np.int64)
        small = [i for i in range(V) if q[i] < 1.0]
        large = [i for i in range(V) if q[i] >= 1.0]
        while small and large:
            s, big = small.pop(), large.pop()
            self.prob[s], self.alias[s] = q[s], big
            q[big] -= 1.0 - q[s]
            (small if q[big] < 1.0 else large).append(big)

    def probs(self) -> torch.Tensor:
        """(V,) float64, the distribution the table draws from."""
        V = len(self.prob)
        p = torch.from_numpy(self.prob.copy())
        p.index_add_(0, torch.from_numpy(self.alias), torch.from_numpy(1.0 - self.prob))
        return p / V

    def draw(self, seed: int, N: int, m: int) -> torch.Tensor:
        """(N, m) int64 ids, row i from splitmix64 seeded by (``seed``, i)."""
        if _sgd is None:
            raise RuntimeError("AliasTable.draw needs seqkit's compiled extension (_sgd); "
                               "reinstall seqkit where a C compiler is available")
        out = np.empty((N, m), dtype=np.int64)
        _sgd.noise(self.prob, self.alias, seed & (2**64 - 1), out)
        return torch.from_numpy(out)


def sequential_sgd_step(model: "Word2Vec", windows: Windows, noise: torch.Tensor, lr: float,
                        threads: int = 1, loss: bool = True) -> torch.Tensor:
    """:meth:`Word2Vec.sgd_step` on each example of ``windows`` in turn (module docstring), with
    each center's noise words ``noise`` (N, g, k) (CBOW: g = 1), in place on ``model``.

    Returns the mean negative-sampling loss of the examples, each before its own step (NaN if
    ``loss`` is False: the C loop then skips the logarithms).
    """
    if not available(model):
        raise RuntimeError("sequential_sgd_step: needs seqkit's compiled extension (_sgd) and a "
                           "float32 model on the CPU")
    N = windows.center.numel()
    if noise.dim() != 3 or noise.shape[0] != N:
        raise ValueError(f"sequential_sgd_step: noise must be (N = {N}, g, k), got "
                         f"{tuple(noise.shape)}")
    arrays = (model.embedding.detach().numpy(), model.theta.detach().numpy(),
              *(x.contiguous().numpy() for x in (windows.center, windows.context, windows.mask,
                                                 noise)))
    total, examples = _sgd.steps(model.config.arch, *arrays, lr, threads, loss)
    return torch.tensor(total / max(examples, 1) if loss else float("nan"))
