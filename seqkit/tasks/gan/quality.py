"""How good are generated digits, with no download: a classifier's view of them, and the
Fréchet distance between their pixels and real digits'.

From a classifier's probabilities p(y | x_i) of M samples (M, 10):
    recognisable = share of samples with max_k p(k | x_i) ≥ 0.9 (the classifier's "accuracy"
                   on digits that have no label: it is sure they show some digit)
    spread       = H(ŷ) in bits, the entropy of the predicted classes' histogram (log₂ 10 ≈ 3.32
                   when every digit is generated equally often; 0 when G collapsed onto one)
    digit score  = exp(1/M Σ_i KL(p(y | x_i) ‖ p(y))), p(y) = 1/M Σ_i p(y | x_i): the inception
                   score (Salimans et al. 2016) with the digit classifier; 1 … 10
"""

from typing import NamedTuple

import torch
from torch import Tensor

CONFIDENT = 0.9  # max p(k | x) above which a sample counts as recognisable


class Quality(NamedTuple):
    recognisable: float  # share with max_k p(k | x) ≥ 0.9
    confidence: float  # mean of max_k p(k | x)
    counts: list[int]  # how many samples are predicted as each digit 0–9
    spread: float  # entropy of the predicted classes, bits
    score: float  # inception-style digit score, 1 … number of classes


def sample_quality(p: Tensor) -> Quality:
    """The figures above from a classifier's probabilities. Shapes: p (M, K) rows summing to 1."""
    if p.dim() != 2 or len(p) == 0:
        raise ValueError(f"sample_quality: expected probabilities (M, K), got {tuple(p.shape)}")
    p = p.double()
    best, predicted = p.max(dim=1)
    counts = torch.bincount(predicted, minlength=p.shape[1])
    share = counts[counts > 0] / len(p)
    p_y = p.mean(dim=0)  # (K,) the marginal p(y)
    kl = (p * (p.clamp_min(1e-30).log() - p_y.clamp_min(1e-30).log())).sum(dim=1)  # (M,)
    return Quality(recognisable=(best >= CONFIDENT).double().mean().item(),
                   confidence=best.mean().item(), counts=counts.tolist(),
                   spread=-(share * share.log2()).sum().item() + 0.0, score=kl.mean().exp().item())


def _sqrt_psd(S: Tensor) -> Tensor:
    """S^½ of a symmetric positive semi-definite matrix, by its eigendecomposition."""
    eigenvalues, Q = torch.linalg.eigh(S)
    return Q @ torch.diag(eigenvalues.clamp_min(0).sqrt()) @ Q.T


def frechet_distance(a: Tensor, b: Tensor) -> float:
    """Fréchet distance of Gaussians fitted to two samples (FID's formula on any features):

        d² = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a^½ Σ_b Σ_a^½)^½)

    computed in float64. Shapes: a (M, D), b (N, D) with M, N ≥ 2 → a float ≥ 0.
    """
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"frechet_distance: expected samples (M, D) and (N, D) with M, N ≥ 2, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")
    a, b = a.double(), b.double()
    S_a, S_b = torch.cov(a.T), torch.cov(b.T)  # (D, D)
    root_a = _sqrt_psd(S_a)
    cross = _sqrt_psd(root_a @ S_b @ root_a)
    d2 = ((a.mean(0) - b.mean(0)) ** 2).sum() + torch.trace(S_a + S_b - 2 * cross)
    return max(d2.item(), 0.0)
