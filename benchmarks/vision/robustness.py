"""FGSM against the LeNet-5 digits model, and the notes' two defences, by clean and adversarial
test accuracy (notes: "Fast gradient sign", "adversarial training", "logit pairing").

    x* = clip(x + ε · sign(∇_x J(x, y)), 0, 1)                 (attack, in the 8×8 pixels)
    adversarial training:  L_new = L(W, b, x, y) + λ L(W, b, x_adv, y)
    logit pairing:         L_new = L(W, b, x, y) + λ ‖f(x; W, b) − f(x_adv; W, b)‖²₂

Each defence fine-tunes a copy of the trained model for the same epochs as a plain fine-tune (the
baseline), with x_adv = FGSM at ε_train made afresh each batch against the current weights.
Usage: python benchmarks/vision/robustness.py runs/lenet-digits [--epochs 5] [--lam 1]
       [--lam-pairing 0.02]
"""

import argparse
import copy
import time
from dataclasses import replace

import torch
import torch.nn.functional as F
from common import OnDigits, report

from seqkit import api
from seqkit.tasks.image_classification import digits
from seqkit.vision import fgsm


def accuracy(model: OnDigits, x: torch.Tensor, y: torch.Tensor, epsilon: float) -> float:
    model.eval()
    x_star = fgsm(model, F.cross_entropy, x, y, epsilon, bounds=(0.0, 1.0)) if epsilon else x
    with torch.no_grad():
        return (model(x_star).argmax(-1) == y).float().mean().item()


def fine_tune(model: OnDigits, defence: str, args: argparse.Namespace) -> OnDigits:
    """A copy of ``model`` trained on L + λ·(defence term) for ``args.epochs`` epochs."""
    model = copy.deepcopy(model)
    task = model.task
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    torch.manual_seed(args.seed)
    data = replace(task.recipe.data, shift=0)  # the recipe's shift is of LeNet's 32×32 input
    for epoch in range(args.epochs):
        for x, y in digits.epoch_batches(task.splits["train"], data, args.seed, epoch):
            model.eval()  # the attack sees the model as it is used (batch norm frozen)
            x_adv = fgsm(model, F.cross_entropy, x, y, args.epsilon_train, bounds=(0.0, 1.0))
            model.train()
            z = model(x)
            loss = F.cross_entropy(z, y)
            if defence == "adversarial training":
                loss = loss + args.lam * F.cross_entropy(model(x_adv), y)
            elif defence == "logit pairing":
                loss = loss + args.lam_pairing * ((z - model(x_adv)) ** 2).sum(-1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="an image_classification run (runs/lenet-digits)")
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0, 0.05, 0.1, 0.2, 0.3])
    parser.add_argument("--epsilon-train", type=float, default=0.2)
    parser.add_argument("--lam", type=float, default=1.0, help="λ of adversarial training")
    parser.add_argument("--lam-pairing", type=float, default=0.02,
                        help="λ of logit pairing (‖Δz‖² of 10 logits is ~100× a cross-entropy)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.time()
    torch.set_num_threads(1)
    base = OnDigits(api.load(args.model, task="image_classification", device="cpu"))
    test = base.task.splits["test"]
    rows = []
    for defence in ("none (trained model)", "plain fine-tune", "adversarial training",
                    "logit pairing"):
        model = base if defence.startswith("none") else fine_tune(base, defence, args)
        rows.append([defence] + [accuracy(model, test.images, test.labels, e)
                                 for e in args.epsilons])
    header = ["defence"] + [f"ε={e:g}" for e in args.epsilons]
    report("vision_robustness", header, rows, vars(args), started)


if __name__ == "__main__":
    main()
