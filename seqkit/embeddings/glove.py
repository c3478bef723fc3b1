"""GloVe (Pennington et al., 2014): word vectors from global co-occurrence counts.

Notes, "GloVe": X_ij = how often word j occurs in the context of word i. As in the paper's code,
the context is a symmetric window of ``window`` words and an occurrence at distance d counts 1/d,
so X is symmetric. Over the non-zero X_ij the model minimises

    J = Σ_{i,j: X_ij > 0} f(X_ij) (w_iᵀ w̃_j + b_i + b̃_j − log X_ij)²
    f(x) = min(1, (x / x_max)^α),   x_max = 100, α = 3/4

with AdaGrad, and the word vectors are w + w̃.

Note: the notes write the final vector as (e_w + θ_w)/2 and the bias term as b_i − b_j; the paper's
sum w + w̃ (the same direction, so the same cosines) and its two biases b_i + b̃_j are used here.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from seqkit.config import require
from seqkit.core.optim import make_optimizer


@dataclass
class GloVeConfig:
    """GloVe's model, weighting and training (defaults: the paper's)."""

    dim: int = 100  # E, the size of w_i and w̃_j
    window: int = 10  # context words on each side counted in X_ij
    x_max: float = 100.0  # counts at or above x_max get weight f = 1
    alpha: float = 0.75  # exponent α of the weighting f
    lr: float = 0.05  # AdaGrad's learning rate
    epochs: int = 25  # passes over the non-zero X_ij
    batch_size: int = 4096  # non-zero X_ij per AdaGrad step
    seed: int = 1  # initialisation and the order of the X_ij

    def __post_init__(self) -> None:
        for key in ("dim", "window", "epochs", "batch_size"):
            require(getattr(self, key) >= 1, f"model.{key}", "≥ 1", getattr(self, key))
        for key in ("x_max", "alpha", "lr"):
            require(getattr(self, key) > 0, f"model.{key}", "> 0", getattr(self, key))


def cooccurrence(sentences: Iterable[Sequence[int]], vocab_size: int, window: int) -> torch.Tensor:
    """X (V, V), a coalesced sparse float64 tensor: X_ij = Σ 1/d over the occurrences of j at
    distance d ≤ ``window`` from i in the same sentence (both directions, so X is symmetric).

    Example, window 2, sentence [0, 1, 2]: X_01 = X_10 = 1, X_12 = X_21 = 1, X_02 = X_20 = 1/2.
    """
    shape = (vocab_size, vocab_size)
    X = torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), shape,
                                dtype=torch.float64, check_invariants=True)
    entries: list[tuple[torch.Tensor, torch.Tensor]] = []  # (2, n) indices and (n,) values
    for number, ids in enumerate(sentences, 1):
        ids = torch.as_tensor(ids, dtype=torch.long)  # (T,)
        for d in range(1, min(window, ids.numel() - 1) + 1):
            i, j = ids[:-d], ids[d:]  # (T − d,) the pairs at distance d
            entries.append((torch.stack([torch.cat([i, j]), torch.cat([j, i])]),
                            torch.full((2 * i.numel(),), 1.0 / d, dtype=torch.float64)))
        if number % 10_000 == 0:  # sum duplicates now and then: bounded memory
            X, entries = _add(X, entries), []
    return _add(X, entries)


def _add(X: torch.Tensor, entries: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """X plus the sparse entries, coalesced (equal indices summed)."""
    if not entries:
        return X.coalesce()
    indices = torch.cat([X.indices(), *(e[0] for e in entries)], 1)
    values = torch.cat([X.values(), *(e[1] for e in entries)])
    return torch.sparse_coo_tensor(indices, values, X.shape, check_invariants=True).coalesce()


def weighting(x: torch.Tensor, x_max: float = 100.0, alpha: float = 0.75) -> torch.Tensor:
    """f(x) = min(1, (x / x_max)^α), elementwise."""
    return (x / x_max).pow(alpha).clamp(max=1.0)


class GloVe(nn.Module):
    """Word vectors w_i (``w``), context vectors w̃_j (``w_tilde``) and biases b_i, b̃_j of V words,
    initialised as the paper's code: U(−0.5, 0.5)/E, biases too."""

    def __init__(self, vocab_size: int, config: GloVeConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GloVeConfig()
        g = torch.Generator().manual_seed(config.seed)

        def init(*shape: int) -> nn.Parameter:
            return nn.Parameter((torch.rand(*shape, generator=g) - 0.5) / config.dim)

        self.w, self.w_tilde = init(vocab_size, config.dim), init(vocab_size, config.dim)  # (V, E)
        self.b, self.b_tilde = init(vocab_size), init(vocab_size)  # (V,)

    def loss(self, i: torch.Tensor, j: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """J over the N entries X_ij = x given as ``i, j, x`` (N,) each: a scalar (the sum)."""
        c = self.config
        dot = (self.w[i] * self.w_tilde[j]).sum(1)  # (N,) w_iᵀ w̃_j
        residual = dot + self.b[i] + self.b_tilde[j] - x.log()
        return (weighting(x, c.x_max, c.alpha) * residual.square()).sum()

    def vectors(self) -> torch.Tensor:
        """The word vectors w + w̃, shape (V, E)."""
        return (self.w + self.w_tilde).detach()


def fit_glove(X: torch.Tensor, config: GloVeConfig | None = None) -> tuple[GloVe, list[float]]:
    """Train GloVe on the sparse co-occurrences ``X`` (V, V) with AdaGrad; also return J after
    each epoch (summed over its batches)."""
    config = config or GloVeConfig()
    X = X.coalesce()
    model = GloVe(X.shape[0], config).to(X.device)
    (i, j), x = X.indices(), X.values().to(model.w.dtype)  # (N,) each
    keep = x > 0
    i, j, x = i[keep], j[keep], x[keep]
    # The paper's code starts AdaGrad's sum of squared gradients at 1.
    optimizer = make_optimizer("adagrad", model.parameters(), lr=config.lr, initial_accumulator=1.0)
    order = torch.Generator().manual_seed(config.seed)
    history = []
    for _ in range(config.epochs):
        total = 0.0
        permutation = torch.randperm(x.numel(), generator=order).to(x.device)
        for batch in permutation.split(config.batch_size):
            optimizer.zero_grad()
            loss = model.loss(i[batch], j[batch], x[batch])
            loss.backward()
            optimizer.step()
            total += loss.item()
        history.append(total)
    return model, history
