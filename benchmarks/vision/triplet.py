"""Face-verification style metric learning on the digits (notes: "Siamese network", "Triplet
loss"): an encoder f trained with L(A, P, N) = max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0),
then "same digit?" decided by d = ‖f(x¹) − f(x²)‖² ≤ τ on held-out pairs.

Triplets are chosen as the notes advise, hard: each batch holds K images of every digit; every
(A, P) pair of a digit takes the semi-hard negative N (FaceNet): the closest one with
d(A, P) < d(A, N), or the farthest when none is that far. τ is the threshold with the best
accuracy on valid pairs; the table gives accuracy on test pairs (half same, half different
digits, never seen in training) at that τ, for f, for f before training and for raw pixels.
Usage: python benchmarks/vision/triplet.py [--steps 600] [--alpha 0.2] [--pairs 2000]
"""

import argparse
import time

import torch
import torch.nn.functional as F
from common import report
from torch import Tensor, nn

from seqkit.tasks.image_classification import digits
from seqkit.vision import distance, same_person, triplet_loss


class Encoder(nn.Module):
    """f: (B, 1, 8, 8) → (B, E) on the unit sphere (so the margin α has a fixed scale)."""

    def __init__(self, E: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                                    nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                                    nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
                                    nn.Linear(64, E))

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.layers(x), dim=-1)


def triplets(f: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Indices (A, P, N): every ordered same-digit pair, with its semi-hard negative."""
    d = torch.cdist(f, f) ** 2  # (B, B) squared distances
    same = y[:, None] == y[None, :]
    A, P = torch.nonzero(same & ~torch.eye(len(y), dtype=torch.bool), as_tuple=True)
    d_AN = d[A].masked_fill(same[A], float("inf"))  # (pairs, B): negatives only
    d_AP = d[A, P][:, None]
    semi_hard = d_AN.masked_fill(d_AN <= d_AP, float("inf")).min(dim=1)
    farthest = d_AN.masked_fill(same[A], -1.0).max(dim=1).indices
    N = torch.where(torch.isfinite(semi_hard.values), semi_hard.indices, farthest)
    return A, P, N


def train(f: Encoder, train_split: digits.Digits, args: argparse.Namespace) -> None:
    optimizer = torch.optim.Adam(f.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(args.seed)
    by_digit = [torch.nonzero(train_split.labels == k).squeeze(1) for k in range(10)]
    for _ in range(args.steps):
        index = torch.cat([i[torch.randperm(len(i), generator=generator)[:args.per_digit]]
                           for i in by_digit])
        x, y = train_split.images[index], train_split.labels[index]
        embeddings = f(x)
        A, P, N = triplets(embeddings.detach(), y)
        loss = triplet_loss(embeddings[A], embeddings[P], embeddings[N], args.alpha)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def pairs(split: digits.Digits, n: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """n/2 same-digit and n/2 different-digit pairs (i, j, same) of the split, seeded."""
    generator = torch.Generator().manual_seed(seed)
    i = torch.randint(len(split.labels), (4 * n,), generator=generator)
    j = torch.randint(len(split.labels), (4 * n,), generator=generator)
    same = (split.labels[i] == split.labels[j]) & (i != j)
    different = split.labels[i] != split.labels[j]
    keep = torch.cat([torch.nonzero(same).squeeze(1)[:n // 2],
                      torch.nonzero(different).squeeze(1)[:n // 2]])
    return i[keep], j[keep], same[keep]


def verification(embed, splits: dict[str, digits.Digits], args) -> tuple[float, float]:
    """(τ chosen on valid pairs, accuracy of d ≤ τ on test pairs)."""
    with torch.no_grad():
        valid_i, valid_j, valid_same = pairs(splits["valid"], args.pairs, args.seed + 1)
        f_valid = embed(splits["valid"].images)
        d = distance(f_valid[valid_i], f_valid[valid_j])
        candidates = d.sort().values
        accuracies = [((d <= tau) == valid_same).float().mean().item() for tau in candidates]
        tau = candidates[max(range(len(accuracies)), key=accuracies.__getitem__)].item()
        test_i, test_j, test_same = pairs(splits["test"], args.pairs, args.seed + 2)
        f_test = embed(splits["test"].images)
        decided = same_person(f_test[test_i], f_test[test_j], tau)
        return tau, (decided == test_same).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--alpha", type=float, default=0.2, help="the margin α")
    parser.add_argument("--embedding", type=int, default=16, help="E, the embedding size")
    parser.add_argument("--per-digit", type=int, default=8, help="K images of each digit a batch")
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.time()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    splits = digits.load(digits.DigitsConfig(), args.seed)
    f = Encoder(args.embedding)
    rows = [["raw pixels (64 values)", *verification(lambda x: x.flatten(1), splits, args)],
            ["f before training", *verification(f, splits, args)]]
    train(f, splits["train"], args)
    f.eval()
    rows.append([f"f after {args.steps} steps of triplet loss", *verification(f, splits, args)])
    report("vision_triplet", ["embedding", "τ (from valid pairs)", "test verification accuracy"],
           rows, vars(args), started)


if __name__ == "__main__":
    main()
