"""The notes' two generator costs early in training: saturating J^(G) = 1/m Σ log(1 − D(G(z)))
against non-saturating J^(G) = −1/m Σ log D(G(z)). The notes: the saturating cost learns slowly
at first, when D rejects the fakes (D(G(z)) ≈ 0), where log(1 − D) is flat.

Both costs train the model of recipes/gan-digits.yaml with the task's own update (D, then G;
Adam with the recipe's lr and β1, no clipping, as the recipe trains) from the same seeds. With
``--head-start N``, D first learns for N steps against the untrained G, so that the game starts
where the notes place it: D confident, D(G(z)) ≈ 0. The table gives, every --every updates, the
mean over seeds of the pixel Fréchet distance of G(z) to the valid digits (lower is better),
of D(G(z)), and of ‖∇_θG J^(G)‖ (the generator's gradient norm, averaged since the last row).
Usage: python benchmarks/vision/gan_costs.py [--steps 300] [--every 50] [--head-start 0]
"""

import argparse
import statistics
import time

import torch
from common import report

from seqkit.tasks import load_recipe
from seqkit.tasks.gan.model import discriminator_cost
from seqkit.tasks.gan.task import GANTask
from seqkit.train.state import seed_everything

COSTS = ("saturating", "non_saturating")


def curve(cost: str, seed: int, args: argparse.Namespace) -> list[dict[str, float]]:
    """One run's rows: step, pixel FD, D(G(z)), mean generator gradient norm."""
    recipe = load_recipe("recipes/gan-digits.yaml", [f"model.generator_cost={cost}",
                                                      f"seed={seed}"])
    seed_everything(seed)
    task = GANTask.build(recipe)
    parts = task.parts()
    optimizers = {name: torch.optim.Adam(part.parameters(), lr=recipe.train.lr,
                                         betas=(recipe.train.optimizer_options["beta1"], 0.999))
                  for name, part in parts.items()}
    norms: list[float] = []

    def optimize(name: str, loss: torch.Tensor) -> None:
        optimizers[name].zero_grad()
        loss.backward()
        if name == "generator":
            norms.append(torch.cat([p.grad.flatten() for p in parts[name].parameters()]).norm()
                         .item())
        optimizers[name].step()

    batches = [b for epoch in range(1000) for b in task.batches(epoch)]  # enough for any run
    G, D = parts["generator"], parts["discriminator"]
    for x, _ in batches[:args.head_start]:  # D alone, against the untrained G
        with torch.no_grad():
            fake = G(torch.randn(len(x), recipe.model.noise))
        optimize("discriminator", discriminator_cost(D(x), D(fake)))
    rows = []
    for step, batch in enumerate(batches[args.head_start:args.head_start + args.steps], 1):
        task.update(parts, batch, optimize)
        if step % args.every == 0:
            scores, _ = task.sample_scores("valid", len(task.splits["valid"].labels), seed=0)
            rows.append({"step": step, "pixel_fd": scores["pixel_fd"],
                         "d_fake": scores["d_fake"], "grad": statistics.mean(norms)})
            norms.clear()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--head-start", type=int, default=0, help="D's steps before the game")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    started = time.time()
    torch.set_num_threads(1)
    curves = {(c, s): curve(c, s, args) for c in COSTS for s in args.seeds}
    rows = []
    for i, first in enumerate(curves[COSTS[0], args.seeds[0]]):
        row: list = [first["step"]]
        for key in ("pixel_fd", "d_fake", "grad"):
            row += [statistics.mean(curves[c, s][i][key] for s in args.seeds) for c in COSTS]
        rows.append(row)
    header = ["step", "FD sat.", "FD non-sat.", "D(G(z)) sat.", "D(G(z)) non-sat.",
              "‖∇G‖ sat.", "‖∇G‖ non-sat."]
    report(f"vision_gan_costs_head_start_{args.head_start}", header, rows, vars(args), started)


if __name__ == "__main__":
    main()
