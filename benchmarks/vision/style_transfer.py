"""Neural style transfer as the notes write it, with the LeNet-5 trained here on the digits (no
downloaded weights): gradient descent on the generated image G itself,

    J(G) = α J_content(C, G) + β J_style(S, G),   G ← G − ∂J/∂G  (Adam on G's pixels),

J_content on the activations a^[l] of the second convolution (after its ReLU), J_style the
Gram-matrix cost summed over both convolutions with λ^[l] = ½. C is a test digit fitted to
32×32, S a texture drawn here (--style: stripes or checks); G starts from C mixed with
uniform noise, G₀ = (1 − n) C + n U(0, 1) (--noise n; the course exercise uses 0.6). Writes
C | S | G as one PNG and prints both costs before and after.
Usage: python benchmarks/vision/style_transfer.py runs/lenet-digits [--steps 300]
"""

import argparse
import math
import time
from pathlib import Path

import torch
from common import report
from torch import Tensor, nn

from seqkit import api
from seqkit.tasks.image_classification.images import write_grid
from seqkit.vision import content_cost, style_cost, total_cost
from seqkit.vision.layers import ReLU


def activations(net: nn.Module, x: Tensor) -> list[Tensor]:
    """The outputs of the convolutions' ReLUs, first to last: [(B, 6, 28, 28), (B, 16, 10, 10)]."""
    found = []
    for layer in net.layers:
        if isinstance(layer, nn.Flatten):
            break
        x = layer(x)
        if isinstance(layer, ReLU):
            found.append(x)
    return found


def texture(kind: str, size: int) -> Tensor:
    """A 1×1×size×size style image in [0, 1]: diagonal stripes or a checkerboard."""
    i, j = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    if kind == "stripes":
        pattern = 0.5 + 0.5 * torch.sin(2 * math.pi * (i + j) / 6.0)
    else:
        pattern = ((i // 4 + j // 4) % 2).float()
    return pattern[None, None].float()


def costs(net: nn.Module, C: Tensor, S: Tensor, G: Tensor) -> tuple[Tensor, Tensor]:
    a_C, a_S, a_G = activations(net, C), activations(net, S), activations(net, G)
    j_content = content_cost(a_C[-1], a_G[-1]).sum()
    return j_content, style_cost(a_S, a_G, [0.5] * len(a_G)).sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="an image_classification run (runs/lenet-digits)")
    parser.add_argument("--style", choices=["stripes", "checks"], default="stripes")
    parser.add_argument("--digit", type=int, default=0, help="index of the test digit")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--beta", type=float, default=1e4)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--noise", type=float, default=0.0, help="n of G₀ = (1 − n) C + n U")
    parser.add_argument("--out", default="benchmarks/results/vision_style_transfer.png")
    args = parser.parse_args()
    started = time.time()
    torch.manual_seed(0)
    task = api.load(args.model, task="image_classification", device="cpu")
    net = task.model.eval().requires_grad_(False)
    C = task.fit(task.splits["test"].images[args.digit:args.digit + 1])  # (1, 1, 32, 32)
    S = texture(args.style, C.shape[-1])
    G = ((1 - args.noise) * C + args.noise * torch.rand_like(C)).requires_grad_(True)
    optimizer = torch.optim.Adam([G], lr=args.lr)
    before = [v.item() for v in costs(net, C, S, G)]
    for _ in range(args.steps):
        j_content, j_style = costs(net, C, S, G)
        optimizer.zero_grad()
        total_cost(j_content, j_style, args.alpha, args.beta).backward()
        optimizer.step()
        with torch.no_grad():
            G.clamp_(0, 1)
    after = [v.item() for v in costs(net, C, S, G)]
    write_grid(torch.cat([C, S, G.detach()]), Path(args.out), columns=3, scale=4)
    label = int(task.classify(torch.nn.functional.adaptive_avg_pool2d(G.detach(), 8))[0].label)
    rows = [["J_content(C, G)", before[0], after[0]], ["J_style(S, G)", before[1], after[1]],
            ["LeNet's digit for G (C's label "
             f"{int(task.splits['test'].labels[args.digit])})", "", label]]
    report("vision_style_transfer", ["cost", "G₀ (start)", f"after {args.steps} steps"],
           rows, vars(args), started)


if __name__ == "__main__":
    main()
