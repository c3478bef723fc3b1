"""word2vec's banded path: the SGD step of :meth:`Word2Vec.sgd_step` as banded block products.

Torch only, so it runs on any device and without a compiler; on the CPU the sequential path
(:mod:`seqkit.embeddings.sequential`, word2vec's own order in C) is faster and learns better
(module docstring there; README).

A :class:`~seqkit.embeddings.corpus.Windows` batch from :class:`WindowStream` holds consecutive
text: row i is position i of the (subsampled) chunk and its window slot at offset d holds position
i + d. Cut the text into blocks of L positions; the windows of block b reach the R = L + 2W
positions [bL − W, bL + L + W). So all the scores of a block are one small matrix product,

    S_b = H_b Θ_bᵀ       H_b (L, E) rows h_i,  Θ_b (R, E) rows θ of the reachable words

of which the band M_b (L, R), 1 where position bL + r has position bL + q − W in its reduced
window, keeps the real (c, t) pairs. Gradients are the same products transposed, and every row of
``embedding`` and ``theta`` is gathered once per position instead of once per pair. For CBOW the
band gives the window means too: H_b = (M_b / |window|) E_b, E_b (R, E) the reachable e's.
Noise words come per block, ``noise`` (nb, g, k). Skip-gram's are shared by the L centers of a
block, g groups of k, a center's pair in window slot j taking group ⌊j·g/2W⌋ (g = 2W: each pair
its own k, as word2vec; g = 1: k for all of a center's pairs, 2W times fewer noise rows). CBOW's
one pair per window takes g = L, each center its own k, gathered per center as word2vec does
(g = 1 shares them over the block: on the full English corpus, 5 epochs, analogy accuracy 18.5%
against 21.5%, at 1.27× the speed). With them the step equals ``sgd_step`` given each window its
block's noise words (tested).

Note: both architectures then cost about the same per word; word2vec's skip-gram costs ~2W times
its CBOW.

Note: word2vec applies every pair's update before it computes the next one; a step computes all of
them at the same point and sums them. A frequent word's θ is a target of ~2b pairs per occurrence
and drawn as noise for all the pairs of a block, so in skip-gram its row sums hundreds of updates
per thousand centers (CBOW's rows ~2W times fewer): over a whole 10,000-word batch the sum
overshoots and the norms grow without bound (measured: NaN on the full corpus; the mean-of-updates
cap ``max_updates`` 1–4 keeps them bounded but shrinks the step of exactly the rows that must move,
and nothing is learned). So a batch is stepped on in consecutive parts of ``step_centers`` centers
(whole blocks), each part from the parameters the previous one left: the batch stays one read of
the stream and a few products per part, and the sums stay near word2vec's sequential updates.
"""

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from seqkit.embeddings.corpus import Windows
from seqkit.embeddings.word2vec import Word2Vec, group_pairs


class Blocks(NamedTuple):
    """A :class:`Windows` batch of N centers cut into nb = ⌈N / L⌉ blocks (padding: word 0,
    an empty window)."""

    text: torch.Tensor  # (Np,) the center words c, Np = nb · L
    extended: torch.Tensor  # (Np + 2W,) the text with W words of padding on each side
    M: torch.Tensor  # (nb, L, R) the band: 1 where reachable position q is in center r's window
    slots: torch.Tensor  # (nb, L, 2W) the window mask: 1 where slot j of center r holds a word
    used: torch.Tensor  # (nb, L) 1 for the centers with a non-empty window (those that update)

    def reach(self) -> torch.Tensor:
        """(nb, R) the word at each reachable position of each block."""
        return _windows_of(self.extended, self.M.shape[1], (self.M.shape[2] - self.M.shape[1]) // 2)

    def part(self, start: int, stop: int) -> "Blocks":
        """Blocks start … stop − 1 alone (each block's band reaches only its own R positions)."""
        _, L, R = self.M.shape
        return Blocks(self.text[start * L:stop * L], self.extended[start * L:stop * L + R - L],
                      self.M[start:stop], self.slots[start:stop], self.used[start:stop])


def blocks(windows: Windows, L: int, dtype: torch.dtype) -> Blocks:
    """The batch cut into blocks of L centers, with its band M in ``dtype``.

    Example, L = 2, W = 1: row i = 3 (block 1, r = 1) with its offset +1 in its window has
    M[1, r, r + W + d] = M[1, 1, 3] = 1: column q = 3 of block 1 is extended position 2 + 3 = 5,
    i.e. text position 5 − W = 4 = i + d.
    """
    text, mask = windows.center, windows.mask  # (N,), (N, 2W)
    N, W = text.numel(), mask.shape[1] // 2
    Np = -(-N // L) * L
    text = torch.cat([text, text.new_zeros(Np - N)])  # (Np,)
    mask = torch.cat([mask, mask.new_zeros(Np - N, 2 * W)])  # (Np, 2W)
    offsets = torch.cat([torch.arange(-W, 0), torch.arange(1, W + 1)]).to(text.device)
    column = (torch.arange(Np, device=text.device) % L)[:, None] + W + offsets  # (Np, 2W)
    band = torch.zeros(Np, L + 2 * W, dtype=dtype, device=text.device)
    band.scatter_(1, column, mask.to(dtype))
    extended = torch.cat([text.new_zeros(W), text, text.new_zeros(W)])  # (Np + 2W,)
    used = mask.any(1).to(dtype).view(-1, L)
    return Blocks(text, extended, band.view(-1, L, L + 2 * W), mask.to(dtype).view(-1, L, 2 * W),
                  used)


def _windows_of(x: torch.Tensor, L: int, W: int) -> torch.Tensor:
    """The overlapping blocks of L + 2W rows of x (Np + 2W, ...), stride L: (nb, L + 2W, ...)."""
    return x.unfold(0, L + 2 * W, L).movedim(-1, 1)


@torch.no_grad()
def banded_sgd_step(model: Word2Vec, windows: Windows, noise: torch.Tensor, lr: float,
                    L: int = 16, max_updates: float = math.inf,
                    step_centers: float = math.inf) -> torch.Tensor:
    """:meth:`Word2Vec.sgd_step` on consecutive-text ``windows`` with the noise words ``noise``
    (nb, g, k) or (nb, k) of each block of ``L`` centers (nb = ⌈N / L⌉; the g groups of k as in
    the module docstring; CBOW takes g = 1 or L), applied to consecutive parts of
    ``step_centers`` centers (rounded down to whole blocks, at least one) one after the other
    (module docstring); with the default ∞, one step on the whole batch.

    Returns the mean of the negative-sampling loss L(c, t) over the batch's examples, each part's
    before its step (a scalar tensor; its (c, t) pairs for skip-gram, its windows for CBOW).
    """
    b = blocks(windows, L, model.embedding.dtype)
    noise = noise if noise.dim() == 3 else noise[:, None]  # (nb, g, k)
    if model.config.arch == "cbow" and noise.shape[1] not in (1, L):
        raise ValueError(f"banded_sgd_step: CBOW takes noise (nb, 1, k) shared by a block's "
                         f"centers or (nb, L = {L}, k), each its own; got {tuple(noise.shape)}")
    step = _skipgram_step if model.config.arch == "skipgram" else _cbow_step
    nb = b.M.shape[0]
    per_step = nb if step_centers >= nb * L else max(1, int(step_centers) // L)
    loss, examples = 0.0, 0.0
    for start in range(0, nb, per_step):
        part_loss, part_examples = step(model, b.part(start, start + per_step),
                                        noise[start:start + per_step], lr, max_updates)
        loss, examples = loss + part_loss, examples + part_examples
    return loss / examples.clamp(min=1)


def _skipgram_step(model: Word2Vec, b: Blocks, noise: torch.Tensor, lr: float,
                   max_updates: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Skip-gram: h = e_c, the window's words are the targets. (summed loss, pairs)."""
    nb, L, R = b.M.shape
    V, E = model.theta.shape
    reach = b.reach()  # (nb, R)
    H = model.embedding.index_select(0, b.text).view(nb, L, E)  # (nb, L, E) e_c
    theta_x = _windows_of(model.theta.index_select(0, b.extended), L, (R - L) // 2)  # (nb, R, E)
    S = torch.bmm(H, theta_x.transpose(1, 2))  # (nb, L, R) θ_tᵀ e_c
    G = torch.sigmoid(-S).mul_(b.M).mul_(lr)  # (nb, L, R) lr (1 − σ(s)) on the pairs
    pairs = b.M.sum(2)  # (nb, L)
    _, groups, k = noise.shape
    slot_groups = group_pairs(b.slots.view(nb * L, -1), groups, H.dtype).view(nb, L, groups)
    weight = slot_groups.repeat_interleave(k, 2)  # (nb, L, n) pairs using each noise column
    noise = noise.reshape(nb, groups * k)  # (nb, n), n = gk columns
    theta_n, G_n, loss = _negatives(model.theta, noise, H, weight, lr)
    loss -= (b.M * F.logsigmoid(S)).sum()

    inv_theta = _inverse_scale(V, max_updates, (noise, _centers_using(weight)),
                               (reach, b.M.sum(1)))
    inv_e = _inverse_scale(V, max_updates, (b.text, b.used))[b.text].view(nb, L, 1)
    dH = torch.baddbmm(torch.bmm(G_n * inv_e, theta_n), G * inv_e, theta_x)  # (nb, L, E)
    d_theta_x = torch.bmm((G * inv_theta[reach][:, None, :]).transpose(1, 2), H)  # (nb, R, E)
    d_theta_n = torch.bmm((G_n * inv_theta[noise][:, None, :]).transpose(1, 2), H)  # (nb, n, E)
    model.theta.index_add_(0, reach.reshape(-1), d_theta_x.view(-1, E))
    model.theta.index_add_(0, noise.reshape(-1), d_theta_n.view(-1, E))
    model.embedding.index_add_(0, b.text, dH.view(-1, E))
    return loss, pairs.sum()


def _cbow_step(model: Word2Vec, b: Blocks, noise: torch.Tensor, lr: float,
               max_updates: float) -> tuple[torch.Tensor, torch.Tensor]:
    """CBOW: h is the window's mean, the center is the target. (summed loss, windows)."""
    nb, L, R = b.M.shape
    V, E = model.theta.shape
    reach = b.reach()  # (nb, R)
    e_x = _windows_of(model.embedding.index_select(0, b.extended), L, (R - L) // 2)  # (nb, R, E)
    mean = b.M / b.M.sum(2, keepdim=True).clamp(min=1)  # (nb, L, R) rows 1/|window| on the band
    H = torch.bmm(mean, e_x)  # (nb, L, E) window means h
    theta_t = model.theta.index_select(0, b.text).view(nb, L, E)  # (nb, L, E) θ_c
    s = (H * theta_t).sum(2)  # (nb, L) θ_cᵀ h
    g = torch.sigmoid(-s).mul_(b.used).mul_(lr)  # (nb, L) lr (1 − σ(s))
    noise = noise.expand(nb, L, -1).reshape(nb * L, -1)  # (N, k) each center's noise words
    k = noise.shape[1]
    theta_n = model.theta.index_select(0, noise.reshape(-1)).view(nb * L, k, E)  # (N, k, E)
    S_n = torch.bmm(theta_n, H.view(nb * L, E, 1)).view(nb, L, k)  # θ_nᵀ h
    G_n = torch.sigmoid(S_n).mul_(b.used[..., None]).mul_(-lr)  # (nb, L, k)
    loss = -(b.used * F.logsigmoid(s)).sum() - (b.used[..., None] * F.logsigmoid(-S_n)).sum()

    inv_theta = _inverse_scale(V, max_updates, (noise, b.used.view(-1, 1).expand(-1, k)),
                               (b.text, b.used))
    inv_e = _inverse_scale(V, max_updates, (reach, b.M.sum(1)))[reach]  # (nb, R)
    # every window word gets the whole ∂/∂h (word2vec's cbow_mean rule, Word2Vec.sgd_step)
    dH = torch.baddbmm(g.view(-1, 1, 1) * theta_t.view(-1, 1, E), G_n.view(-1, 1, k),
                       theta_n).view(nb, L, E)
    d_e_x = torch.bmm((b.M * inv_e[:, None, :]).transpose(1, 2), dH)  # (nb, R, E)
    d_theta_t = (g * inv_theta[b.text].view(nb, L))[..., None] * H  # (nb, L, E)
    d_theta_n = (G_n.view(-1, k) * inv_theta[noise])[..., None] * H.view(-1, 1, E)  # (N, k, E)
    model.theta.index_add_(0, b.text, d_theta_t.view(-1, E))
    model.theta.index_add_(0, noise.reshape(-1), d_theta_n.view(-1, E))
    model.embedding.index_add_(0, reach.reshape(-1), d_e_x.reshape(-1, E))
    return loss, b.used.sum()


def _negatives(theta: torch.Tensor, noise: torch.Tensor, H: torch.Tensor, weight: torch.Tensor,
               lr: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The noise words' part of the step for the n noise columns ``noise`` (nb, n) of each block,
    center r's term of column j counted ``weight`` (nb, L, n) times (its pairs using it).

    Returns θ_n (nb, n, E), G_n = −lr · weight · σ(θ_nᵀ h) (nb, L, n) and the summed loss
    −Σ weight · log σ(−θ_nᵀ h).
    """
    theta_n = theta.index_select(0, noise.reshape(-1)).view(*noise.shape, -1)  # (nb, n, E)
    S_n = torch.bmm(H, theta_n.transpose(1, 2))  # (nb, L, n) θ_nᵀ h
    G_n = torch.sigmoid(S_n).mul_(weight).mul_(-lr)
    return theta_n, G_n, -(weight * F.logsigmoid(-S_n)).sum()


def _centers_using(weight: torch.Tensor) -> torch.Tensor:
    """(nb, n): how many centers of its block use each noise column (``weight`` (nb, L, n) > 0)."""
    return (weight > 0).sum(1).to(weight.dtype)


def _inverse_scale(V: int, max_updates: float, *uses: tuple[torch.Tensor, torch.Tensor]
                   ) -> torch.Tensor:
    """1 / s(w) = 1 / max(1, n(w) / max_updates) for the V words (V,): the scale of
    :meth:`Word2Vec.sgd_step`, n(w) summing the ``weights`` of the positions ``ids`` holding w
    over the pairs (ids, weights) of ``uses``."""
    n = torch.zeros(V, dtype=uses[0][1].dtype, device=uses[0][1].device)
    for ids, weights in uses:
        n.index_add_(0, ids.reshape(-1), weights.reshape(-1))
    return n.div_(max_updates).clamp_(min=1).reciprocal_()
