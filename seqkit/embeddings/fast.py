"""word2vec's fast path: the SGD step of :meth:`Word2Vec.sgd_step` as banded block products.

A :class:`~seqkit.embeddings.corpus.Windows` batch from :class:`WindowStream` holds consecutive
text: row i is position i of the (subsampled) chunk and its window slot at offset d holds position
i + d. Cut the text into blocks of L positions; the windows of block b reach the L + 2W positions
[bL − W, bL + L + W). So all the scores of a block are one small matrix product,

    S_b = H_b Θ_bᵀ       H_b (L, E) rows h_i,  Θ_b (L + 2W, E) rows θ of the reachable words

of which the band M_b (L, L + 2W), 1 where position bL + r has position bL + q − W in its reduced
window, keeps the real (c, t) pairs. Gradients are the same products transposed, and every row of
``embedding`` and ``theta`` is gathered and scattered once per position instead of once per pair.
The k noise words are shared by the L centers of a block (``noise`` (nb, k)): with them the step
equals ``sgd_step`` given each window its block's noise words (tested).

Note: both architectures then cost about the same per word; word2vec's skip-gram costs ~2W times
its CBOW.
"""

import math

import torch
import torch.nn.functional as F

from seqkit.embeddings.corpus import Windows
from seqkit.embeddings.word2vec import Word2Vec


def _band(windows: Windows, L: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The padded text (Np,), its W-extended copy (Np + 2W,) and the band M (Np, L + 2W).

    Example, L = 2, W = 1: row i = 3 (block 1, r = 1) with its offset +1 in its window has
    M[3, r + W + d] = M[3, 3] = 1: column q = 3 of block 1 is extended position 2 + 3 = 5, i.e.
    text position 5 − W = 4 = i + d.
    """
    text, mask = windows.center, windows.mask  # (N,), (N, 2W)
    N, W = text.numel(), mask.shape[1] // 2
    Np = -(-N // L) * L
    pad = text.new_zeros(Np - N)
    text = torch.cat([text, pad])  # (Np,)
    mask = torch.cat([mask, mask.new_zeros(Np - N, 2 * W)])  # (Np, 2W)
    offsets = torch.cat([torch.arange(-W, 0), torch.arange(1, W + 1)]).to(text.device)
    column = (torch.arange(Np, device=text.device) % L)[:, None] + W + offsets  # (Np, 2W)
    band = torch.zeros(Np, L + 2 * W, device=text.device)
    band.scatter_(1, column, mask.to(band.dtype))
    extended = torch.cat([text.new_zeros(W), text, text.new_zeros(W)])  # (Np + 2W,)
    return text, extended, band


def _windows_of(x: torch.Tensor, L: int, W: int) -> torch.Tensor:
    """The overlapping blocks of L + 2W rows of x (Np + 2W, ...), stride L: (nb, L + 2W, ...)."""
    return x.unfold(0, L + 2 * W, L).movedim(-1, 1)


@torch.no_grad()
def banded_sgd_step(model: Word2Vec, windows: Windows, noise: torch.Tensor, lr: float,
                    L: int = 16, max_updates: float = math.inf) -> torch.Tensor:
    """:meth:`Word2Vec.sgd_step` on consecutive-text ``windows`` with the noise words ``noise``
    (nb, k) shared by each block of ``L`` centers (nb = ⌈N / L⌉).

    Returns the mean of the negative-sampling loss L(c, t) over the batch's examples before the
    step (a scalar tensor; its (c, t) pairs for skip-gram, its windows for CBOW).
    """
    text, extended, band = _band(windows, L)
    W = (band.shape[1] - L) // 2
    nb, V, E = text.numel() // L, model.embedding.shape[0], model.embedding.shape[1]
    M = band.view(nb, L, L + 2 * W).to(model.embedding.dtype)
    ids_x = _windows_of(extended, L, W)  # (nb, L + 2W) word of each reachable position
    pairs = M.sum(2)  # (nb, L) (c, t) pairs per center
    skipgram = model.config.arch == "skipgram"
    used = (pairs > 0).to(M.dtype)  # (nb, L) centers with a window: the examples that update
    examples = pairs if skipgram else used  # (nb, L) positive targets per center
    theta_n = model.theta[noise]  # (nb, k, E)

    if skipgram:
        H = model.embedding[text].view(nb, L, E)
        theta_x = _windows_of(model.theta[extended], L, W)  # (nb, L + 2W, E)
        S = torch.bmm(H, theta_x.transpose(1, 2))  # (nb, L, L + 2W) θ_tᵀ e_c
        G = M * (1 - torch.sigmoid(S)) * lr  # (nb, L, L + 2W)
        loss = -(M * F.logsigmoid(S)).sum()
    else:
        e_x = _windows_of(model.embedding[extended], L, W)  # (nb, L + 2W, E)
        H = torch.bmm(M / pairs.clamp(min=1)[..., None], e_x)  # (nb, L, E) window means
        theta_t = model.theta[text].view(nb, L, E)
        s_t = (H * theta_t).sum(2)  # (nb, L) θ_cᵀ h
        g = examples * (1 - torch.sigmoid(s_t)) * lr  # (nb, L)
        loss = -(examples * F.logsigmoid(s_t)).sum()
    S_n = torch.bmm(H, theta_n.transpose(1, 2))  # (nb, L, k)
    G_n = -torch.sigmoid(S_n) * examples[..., None] * lr
    loss = loss - (examples[..., None] * F.logsigmoid(-S_n)).sum()
    # G_n (nb, L, k): each of a center's pairs meets the block's k noise words
    dH = torch.bmm(G_n, theta_n)  # (nb, L, E)

    # n(θ_w), n(e_w): how many updates each row gets (the mean-of-updates rule of sgd_step)
    n_theta = torch.zeros(V, dtype=M.dtype, device=M.device)
    n_theta.index_add_(0, noise.flatten(), used.sum(1).repeat_interleave(noise.shape[1]))
    if skipgram:
        dH += torch.bmm(G, theta_x)
        n_theta.index_add_(0, ids_x.flatten(), M.sum(1).flatten())
        n_e = torch.zeros(V, dtype=M.dtype, device=M.device).index_add_(0, text, used.flatten())
    else:
        n_theta.index_add_(0, text, used.flatten())
        n_e = torch.zeros(V, dtype=M.dtype, device=M.device).index_add_(
            0, ids_x.flatten(), M.sum(1).flatten())
    n_theta = (n_theta / max_updates).clamp_(min=1)  # the scale min(1, max_updates / n)
    n_e = (n_e / max_updates).clamp_(min=1)

    d_theta_n = torch.bmm(G_n.transpose(1, 2), H) / n_theta[noise][..., None]  # (nb, k, E)
    _scatter(model.theta, noise, d_theta_n)
    if skipgram:
        d_theta_x = torch.bmm(G.transpose(1, 2), H) / n_theta[ids_x][..., None]
        _scatter(model.theta, ids_x, d_theta_x)
        _scatter(model.embedding, text, dH / n_e[text].view(nb, L, 1))
    else:
        _scatter(model.theta, text, g[..., None] * H / n_theta[text].view(nb, L, 1))
        dH += g[..., None] * theta_t
        d_e_x = torch.bmm(M.transpose(1, 2), dH) / n_e[ids_x][..., None]  # (nb, L + 2W, E)
        _scatter(model.embedding, ids_x, d_e_x)
    return loss / examples.sum().clamp(min=1)


def _scatter(weight: torch.Tensor, ids: torch.Tensor, update: torch.Tensor) -> None:
    """weight[ids] += update, repeated ids summed; ``update`` has ids' shape + (E,).

    ``index_put_(accumulate=True)`` ran ~4× faster than ``index_add_`` on CPU here.
    """
    weight.index_put_((ids.reshape(-1),), update.reshape(-1, weight.shape[1]), accumulate=True)
