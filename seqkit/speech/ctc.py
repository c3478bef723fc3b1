"""Connectionist temporal classification (Graves et al., 2006): the loss as the α recursion.

An alignment π gives one symbol per frame from the V labels, index ``blank`` being "no label".
The map ℬ collapses it into a labelling (notes: "collapse repeated characters not separated by
blank"): ℬ(t t t − h − e e e − −) = "the", while "t t − t" gives "tt". The network's per-frame
distribution y<t> scores an alignment as Π_t y<t>_{π_t}, and a labelling l as the sum over its
alignments, p(l|x) = Σ_{π ∈ ℬ⁻¹(l)} Π_t y<t>_{π_t}. The loss is −log p(l|x).

The sum is a forward recursion over l' = l with blanks interleaved (b l_1 b l_2 … b l_S b,
|l'| = 2S + 1). α_t(s), the mass of all prefixes π_1..t ending in l'_s and collapsing to the
first ⌊s/2⌋ labels, is (Graves et al., 2006, Eq. 6–8, here 0-based in s and t):

    α_0(0) = y<0>_b,   α_0(1) = y<0>_{l_1},   α_0(s) = 0 for s ≥ 2
    α_t(s) = (α_{t−1}(s) + α_{t−1}(s−1)) · y<t>_{l'_s}              if l'_s = b or l'_s = l'_{s−2}
    α_t(s) = (α_{t−1}(s) + α_{t−1}(s−1) + α_{t−1}(s−2)) · y<t>_{l'_s}   otherwise
    p(l|x) = α_{T−1}(2S) + α_{T−1}(2S − 1)

The skip from s − 2 jumps over a blank; it is barred between equal labels, which a blank must
separate ("a a" needs "a − a"). Here the recursion runs in log space, sums being log-sum-exps.

Shape symbols (docs/notation.md): B batch, T frames, V labels (blank included), S label length.
"""

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

Reduction = Literal["none", "sum", "mean"]


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Tensor, target_lengths: Tensor,
             blank: int = 0, reduction: Reduction = "mean", fused: bool = True) -> Tensor:
    """−log p(l|x) of each labelling, the α recursion above (``fused=False``) or torch's kernel.

    Args:
        log_probs: (B, T, V) log y<t>, normalised over V (log_softmax of the network's output).
        targets: (B, S) label ids in [0, V) without blanks, padded past ``target_lengths``.
        input_lengths: (B,) frames of each utterance, 1..T.
        target_lengths: (B,) labels of each utterance, 0..S.
        blank: the blank's index.
        reduction: ``none`` (B,) losses; ``sum``; ``mean`` of each loss divided by its target
            length (at least 1), as ``torch.nn.functional.ctc_loss``.
        fused: run ``torch.nn.functional.ctc_loss`` (batch-first input transposed for it); False
            runs the readable recursion, the specification the kernel is tested against.

    Returns: the reduced loss; a labelling that no alignment within its frames produces (2S', S'
    with its repeats, more than T) has loss inf.
    """
    _check(log_probs, targets, input_lengths, target_lengths, blank)
    if fused:
        return F.ctc_loss(log_probs.transpose(0, 1), targets, input_lengths, target_lengths,
                          blank=blank, reduction=reduction)
    losses = -_log_likelihood(log_probs, targets.long(), input_lengths.long(),
                              target_lengths.long(), blank)  # (B,)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return (losses / target_lengths.clamp(min=1).to(losses.dtype)).mean()


def _log_likelihood(log_y: Tensor, targets: Tensor, input_lengths: Tensor,
                    target_lengths: Tensor, blank: int) -> Tensor:
    """log p(l|x) of each utterance, (B,), by the α recursion over l' in log space."""
    B, T, _ = log_y.shape
    S = targets.shape[1]
    # l' = b l_1 b l_2 … l_S b: blanks at even s, labels at odd s = 2i + 1
    l_prime = torch.full((B, 2 * S + 1), blank, dtype=torch.long, device=log_y.device)
    l_prime[:, 1::2] = targets
    # the skip s − 2 → s is allowed onto a label that differs from the label before it:
    # l' = (b, a, b, a) gives skip = (F, F, F, F) at s = 3, since l'_3 = l'_1 = a
    skip = torch.zeros_like(l_prime, dtype=torch.bool)  # (B, 2S + 1)
    skip[:, 3::2] = l_prime[:, 3::2] != l_prime[:, 1:-2:2]
    neg_inf = torch.tensor(float("-inf"), dtype=log_y.dtype, device=log_y.device)
    log_y_l = log_y.gather(2, l_prime.unsqueeze(1).expand(B, T, 2 * S + 1))  # (B, T, 2S + 1)

    log_alpha = torch.full((B, 2 * S + 1), float("-inf"), dtype=log_y.dtype, device=log_y.device)
    log_alpha[:, :2] = log_y_l[:, 0, :2]  # α_0(0) = y_b, α_0(1) = y_{l_1} (S = 0: α_0(0) only)
    for t in range(1, T):
        stay = log_alpha  # α_{t−1}(s)
        step = F.pad(log_alpha[:, :-1], (1, 0), value=float("-inf"))  # α_{t−1}(s − 1)
        jump = F.pad(log_alpha[:, :-2], (2, 0), value=float("-inf"))  # α_{t−1}(s − 2)
        jump = torch.where(skip, jump, neg_inf)
        new = _logsumexp3(stay, step, jump) + log_y_l[:, t]  # (B, 2S + 1)
        log_alpha = torch.where((t < input_lengths).unsqueeze(1), new, log_alpha)  # frozen past T_b

    end = 2 * target_lengths  # 2S_b, the final blank; 2S_b − 1 is the last label
    last_blank = log_alpha.gather(1, end.unsqueeze(1)).squeeze(1)  # (B,)
    last_label = log_alpha.gather(1, (end - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
    last_label = torch.where(target_lengths > 0, last_label, neg_inf)
    return _logsumexp3(last_blank, last_label, neg_inf.expand_as(last_blank))


def _logsumexp3(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """log(e^a + e^b + e^c), elementwise; −inf where all three are −inf, with zero (not NaN)
    gradients there, which ``torch.logsumexp`` would give."""
    x = torch.stack((a, b, c))  # (3, *)
    m = x.amax(0).detach()
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    total = torch.exp(x - m).sum(0)
    out = m + torch.log(total.clamp(min=torch.finfo(x.dtype).tiny))
    return torch.where(total > 0, out, torch.full_like(out, float("-inf")))


def _check(log_probs: Tensor, targets: Tensor, input_lengths: Tensor, target_lengths: Tensor,
           blank: int) -> None:
    if log_probs.dim() != 3:
        raise ValueError(f"ctc_loss: expected log_probs of shape (B, T, V), got "
                         f"{tuple(log_probs.shape)}")
    B, T, V = log_probs.shape
    if targets.dim() != 2 or targets.shape[0] != B:
        raise ValueError(f"ctc_loss: expected targets of shape ({B}, S), got "
                         f"{tuple(targets.shape)}")
    for name, lengths in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
        if lengths.shape != (B,):
            raise ValueError(f"ctc_loss: expected {name} of shape ({B},), got "
                             f"{tuple(lengths.shape)}")
    if B and not (int(input_lengths.min()) >= 1 and int(input_lengths.max()) <= T):
        raise ValueError(f"ctc_loss: expected input_lengths in [1, {T}], got "
                         f"{input_lengths.tolist()}")
    S = targets.shape[1]
    if B and not (int(target_lengths.min()) >= 0 and int(target_lengths.max()) <= S):
        raise ValueError(f"ctc_loss: expected target_lengths in [0, {S}], got "
                         f"{target_lengths.tolist()}")
    if not 0 <= blank < V:
        raise ValueError(f"ctc_loss: expected blank in [0, {V}), got {blank}")
