"""word2vec (Mikolov et al., 2013): skip-gram and CBOW with negative sampling or the full softmax.

Notes, "Embedding matrix": the embedding of word j is e_j = E o_j, a row of the input matrix
``embedding`` (V, E); each word t also has output parameters θ_t, a row of ``theta`` (V, E).
For a context c and a target t the notes' softmax model is

    p(t | c) = exp(θ_tᵀ e_c) / Σ_{j=1..V} exp(θ_jᵀ e_c)                       (full softmax)

and negative sampling replaces it by k + 1 binary problems, P(y = 1 | c, t) = σ(θ_tᵀ e_c), with
k noise words n_1..n_k drawn from P_n(w) ∝ f(w)^{3/4} (:meth:`WordVocab.noise_probs`):

    L(c, t) = −log σ(θ_tᵀ e_c) − Σ_{i=1..k} log σ(−θ_{n_i}ᵀ e_c)                (negative sampling)

What c and t are depends on the architecture, for a :class:`~seqkit.embeddings.corpus.Windows`
batch (center words and their windows):

- skip-gram: c is the center word, h = e_c, and every word t of its window is a target;
- CBOW: h is the mean of the window's embeddings, and the center word is the one target.

Noise words come per window, shape (B, g, k): the window's m pairs fall into g groups (slot j in
group ⌊j·g/m⌋, :func:`group_pairs`), and the pairs of a group share its k noise words (each pair
still has its own k-term loss above). g = m gives each pair its own, as word2vec; g = 1 (noise
(B, k)) shares them over the window. Either way an update is a few batched matrix products
(:meth:`Word2Vec.sgd_step`), with no Python loop over words.
"""

import functools
import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from seqkit.config import require
from seqkit.embeddings.corpus import Windows
from seqkit.embeddings.sequential import AliasTable


@dataclass
class Word2VecConfig:
    """The word2vec model and its loss (defaults: gensim 4's)."""

    arch: Literal["skipgram", "cbow"] = "skipgram"  # who predicts whom (module docstring)
    dim: int = 100  # E, the size of e_w and θ_w
    negative: int = 5  # k, noise words per (c, t) pair
    ns_exponent: float = 0.75  # exponent of f(w) in the noise distribution P_n
    seed: int = 1  # initialisation of the embeddings

    def __post_init__(self) -> None:
        require(self.arch in ("skipgram", "cbow"), "model.arch", "skipgram | cbow", self.arch)
        require(self.dim >= 1, "model.dim", "≥ 1", self.dim)
        require(self.negative >= 1, "model.negative", "≥ 1", self.negative)
        require(self.ns_exponent >= 0, "model.ns_exponent", "≥ 0", self.ns_exponent)


class Inputs(NamedTuple):
    """What the output layer sees for a batch of B windows (m targets per window)."""

    h: torch.Tensor  # (B, E) e_c (skip-gram) or the window mean (CBOW)
    targets: torch.Tensor  # (B, m) target ids: the window (skip-gram, m = 2W), the center (m = 1)
    mask: torch.Tensor  # (B, m) bool, the real (c, t) pairs (none for an empty window)


class Word2Vec(nn.Module):
    """Input embeddings e_w (``embedding``) and output parameters θ_w (``theta``) of V words.

    Initialised as word2vec: e_w ~ U(−0.5, 0.5)/E, θ_w = 0.
    """

    def __init__(self, vocab_size: int, config: Word2VecConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or Word2VecConfig()
        generator = torch.Generator().manual_seed(config.seed)
        init = (torch.rand(vocab_size, config.dim, generator=generator) - 0.5) / config.dim
        self.embedding = nn.Parameter(init)  # (V, E) rows e_w
        self.theta = nn.Parameter(torch.zeros(vocab_size, config.dim))  # (V, E) rows θ_w

    def inputs(self, windows: Windows) -> Inputs:
        """h (B, E) and the targets (B, m) of each window, by the architecture."""
        if self.config.arch == "skipgram":
            return Inputs(self.embedding[windows.center], windows.context, windows.mask)
        weights = windows.mask.to(self.embedding.dtype)  # (B, 2W)
        weights = weights / weights.sum(1, keepdim=True).clamp(min=1)
        h = torch.einsum("bj,bje->be", weights, self.embedding[windows.context])  # (B, E)
        return Inputs(h, windows.center[:, None], windows.mask.any(1, keepdim=True))

    def negative_sampling_loss(self, windows: Windows, noise: torch.Tensor) -> torch.Tensor:
        """Mean over the batch's (c, t) pairs of L(c, t); ``noise`` (B, g, k) or (B, k) are each
        window's n_i by group of pairs (module docstring)."""
        return self.sampled_loss(self.inputs(windows), noise)

    def sampled_loss(self, inputs: Inputs, noise: torch.Tensor) -> torch.Tensor:
        """:meth:`negative_sampling_loss` given the output layer's :class:`Inputs`."""
        h, targets, mask = inputs
        noise = noise if noise.dim() == 3 else noise[:, None]  # (B, g, k)
        positive = F.logsigmoid(torch.einsum("be,bme->bm", h, self.theta[targets]))  # (B, m)
        negative = F.logsigmoid(-torch.einsum("be,bgke->bgk", h, self.theta[noise])).sum(2)
        pairs = group_pairs(mask, noise.shape[1], h.dtype)  # (B, g) pairs sharing each group
        return -((positive * mask).sum() + (negative * pairs).sum()) / mask.sum()

    def softmax_loss(self, windows: Windows) -> torch.Tensor:
        """Mean over the (c, t) pairs of −log p(t | c), the full softmax over all V words."""
        h, targets, mask = self.inputs(windows)
        log_p = torch.log_softmax(h @ self.theta.T, dim=1)  # (B, V)
        return -(log_p.gather(1, targets) * mask).sum() / mask.sum()

    @torch.no_grad()
    def sgd_step(self, windows: Windows, noise: torch.Tensor, lr: float,
                 max_updates: float = math.inf) -> None:
        """One step of size ``lr`` on the *sum* of L(c, t) over the batch (word2vec applies α to
        every pair), gradients written out instead of autograd:

            g_j = (y_j − σ(θ_jᵀ h)) · (pairs using j)        y = 1 for targets, 0 for noise
            θ_j += lr · g_j h / s(θ_j)
            e   += lr · Σ_j g_j θ_j / s(e)     e = e_c (skip-gram), each window word's e (CBOW)

        with s = max(1, n / ``max_updates``), n counting the windows that update the row in this
        batch. For CBOW each window word gets the whole gradient of h, not its share 1/|window|:
        word2vec's and gensim's rule for the mean (``cbow_mean=1``).

        Note: word2vec applies a row's updates one after the other; a batch computes them all at
        the same point, so for a row updated n ≫ 1 times (a very frequent word, or one drawn as
        noise again and again in a small vocabulary) their sum can step too far and diverge. A
        row's summed update is therefore scaled by min(1, ``max_updates`` / n): with the default
        ∞ this is ``torch.optim.SGD`` on ``negative_sampling_loss × pairs`` (skip-gram; tested),
        with 1 each row moves by the mean of its updates (tested).
        """
        h, targets, mask = self.inputs(windows)
        noise = noise if noise.dim() == 3 else noise[:, None]  # (B, g, k)
        B, groups, k = noise.shape
        m = targets.shape[1]
        ids = torch.cat([targets, noise.reshape(B, groups * k)], 1)  # (B, m + gk)
        theta = self.theta[ids]  # (B, m + gk, E)
        s = torch.bmm(theta, h[:, :, None]).squeeze(2)  # (B, m + gk)
        pairs = group_pairs(mask, groups, s.dtype).repeat_interleave(k, 1)  # (B, gk)
        weight = torch.cat([mask.to(s.dtype), pairs], 1)
        y = torch.zeros_like(s)
        y[:, :m] = 1.0
        g = (y - torch.sigmoid(s)).mul_(weight).mul_(lr)  # (B, m + gk)
        dh = torch.bmm(g[:, None, :], theta).squeeze(1)  # (B, E)
        g /= (_uses(ids, len(self.theta), weight > 0) / max_updates).clamp(min=1)
        d_theta = g[:, :, None] * h[:, None, :]  # (B, m + gk, E)
        self.theta.index_add_(0, ids.reshape(-1), d_theta.reshape(-1, h.shape[1]))
        if self.config.arch == "skipgram":
            n = _uses(windows.center, len(self.embedding), windows.mask.any(1)) / max_updates
            self.embedding.index_add_(0, windows.center, dh / n.clamp(min=1)[:, None])
        else:
            rows, cols = windows.mask.nonzero(as_tuple=True)
            words = windows.context[rows, cols]  # (P,) the context words of every window
            n = _uses(words, len(self.embedding)) / max_updates
            self.embedding.index_add_(0, words, dh[rows] / n.clamp(min=1)[:, None])


def group_pairs(mask: torch.Tensor, groups: int, dtype: torch.dtype) -> torch.Tensor:
    """(B, g): how many of each window's pairs (``mask`` (B, m)) fall into each of g = ``groups``
    groups, window slot j belonging to group ⌊j·g/m⌋ (each group shares k noise words).

    Example: mask [[1, 0, 1, 1]], g = 2 → [[1, 2]]; g = 1 → [[3]], the window's pairs.
    """
    group = torch.arange(mask.shape[1], device=mask.device) * groups // mask.shape[1]  # (m,)
    return torch.zeros(mask.shape[0], groups, dtype=dtype, device=mask.device).index_add_(
        1, group, mask.to(dtype))


def _uses(ids: torch.Tensor, V: int, used: torch.Tensor | None = None) -> torch.Tensor:
    """For each position of ``ids``, how many positions (those ``used``) hold its id; ids' shape.

    Example: ids = [4, 2, 4], used = [True, True, False] → [1, 1, 1]; without ``used`` [2, 1, 2].
    """
    return torch.bincount(ids[used] if used is not None else ids.flatten(), minlength=V)[ids]


class NoiseSampler:
    """Draws noise words from P_n by inverting its cumulative table (gensim's ``cum_table``), or
    for the compiled path from its alias table (:meth:`per_center`)."""

    def __init__(self, probs: torch.Tensor, generator: torch.Generator) -> None:
        self.probs = probs.double() / probs.double().sum()  # (V,) P_n
        self.cdf = self.probs.cumsum(0)  # (V,)
        self.cdf /= self.cdf[-1].clone()
        self.generator = generator

    def state_dict(self) -> dict:
        """``{"rng": ByteTensor}``, the generator's state."""
        return {"rng": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["rng"])

    def __call__(self, B: int, k: int) -> torch.Tensor:
        """(B, k) ids drawn independently from P_n."""
        u = torch.rand(B, k, generator=self.generator, dtype=torch.float64)
        return torch.searchsorted(self.cdf, u).clamp_(max=self.cdf.numel() - 1)

    def per_center(self, N: int, m: int) -> torch.Tensor:
        """(N, m) ids drawn from P_n by :class:`~seqkit.embeddings.sequential.AliasTable`, seeded
        by one draw of the generator (its state still fixes them)."""
        seed = int(torch.randint(0, 2**62, (), generator=self.generator))
        return self.alias.draw(seed, N, m)

    @functools.cached_property
    def alias(self) -> AliasTable:
        return AliasTable(self.probs)
