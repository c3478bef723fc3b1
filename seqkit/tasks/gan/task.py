"""The GAN task: the notes' generator and discriminator game on scikit-learn's digits.

Recipe sections: ``data`` (``DigitsConfig``: split shares, batch size, augmentation), ``model``
(:class:`~.model.GANConfig`, with the generator cost: ``saturating`` or ``non_saturating``) and
``samples``, plus ``task``, ``seed`` and ``train``. The trainer gives the task two
optimizers, ``generator`` and ``discriminator``; :meth:`GANTask.update` steps D, then G.
Validation draws G(z) for a fixed z, writes them as a PNG grid into the run directory's
``samples/`` (``samples-<k>.png`` and ``latest.png``), and reports the pixels' Fréchet distance
to the valid digits (``pixel_fd``, lower is better: it picks best.pt).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from seqkit.config import require
from seqkit.errors import ConfigError
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.gan.model import (
    Discriminator,
    GANConfig,
    Generator,
    discriminator_cost,
    generator_cost,
)
from seqkit.tasks.gan.quality import Quality, frechet_distance, sample_quality
from seqkit.tasks.gan.verbs import EVALUATE_OPTIONS, VERBS
from seqkit.tasks.image_classification import digits
from seqkit.tasks.image_classification.images import write_grid


@dataclass
class GANRecipe(Recipe):
    task: str = "gan"
    data: digits.DigitsConfig = field(default_factory=digits.DigitsConfig)
    model: GANConfig = field(default_factory=GANConfig)
    samples: int = 64  # images in the grid written at each validation

    def __post_init__(self) -> None:
        require(self.samples >= 1, "samples", "≥ 1", self.samples)


class GANTask:
    """G and D trained against each other; G's samples are the model's output."""

    name = "gan"
    unit = "images"  # what the count of loss counts (progress lines)
    Recipe = GANRecipe
    metrics: ClassVar = {"pixel_fd": False, "d_real": True, "d_fake": False, "d_cost": False}
    resumable: ClassVar = ("samples",)
    run_dir: Path | None = None  # set by the trainer: the grids go to run_dir/samples
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: GANRecipe) -> None:
        self.recipe = recipe
        self.model = nn.ModuleDict({"generator": Generator(recipe.model),
                                    "discriminator": Discriminator(recipe.model)})
        self.splits = digits.load(recipe.data, recipe.seed)

    @classmethod
    def build(cls, recipe: GANRecipe) -> "GANTask":
        return cls(recipe)

    @classmethod
    def restore(cls, recipe: GANRecipe, state: dict[str, Any]) -> "GANTask":
        if state["kind"] != cls.name:
            raise ValueError(f"expected the state of a {cls.name} task, got {state['kind']!r}")
        return cls(recipe)

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    def state(self) -> dict[str, Any]:
        return {"kind": self.name}  # the split is a function of the recipe; nothing to keep

    def parts(self) -> dict[str, nn.Module]:
        return {"generator": self.model["generator"], "discriminator": self.model["discriminator"]}

    def batches(self, epoch: int) -> list[tuple[Tensor, Tensor]]:
        """Real digits (B, 1, 8, 8) in [−1, 1] and their labels (unused by the game)."""
        return [(2 * x - 1, y) for x, y in digits.epoch_batches(
            self.splits["train"], self.recipe.data, self.recipe.seed, epoch)]

    def update(self, parts: Any, batch: tuple[Tensor, Tensor], optimize: Any) -> tuple[float, int]:
        """One step of D on J^(D), then one of G on J^(G), for z ~ N(0, I) drawn from torch's
        generator (the trainer saves and restores its state, so a resumed run draws the same z).
        The loss reported is J^(D)."""
        x, _ = batch
        G, D = parts["generator"], parts["discriminator"]
        G.train()
        D.train()
        z = torch.randn(len(x), self.recipe.model.noise, device=x.device)  # (B, n_z)
        fake = G(z)  # (B, 1, 8, 8)
        j_d = discriminator_cost(D(x), D(fake.detach()))
        optimize("discriminator", j_d)
        optimize("generator", generator_cost(D(fake), self.recipe.model.generator_cost))
        return j_d.item(), len(x)

    def loss(self, model: nn.Module, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, int]:
        """J^(D) of real images ``batch`` against as many fakes G(z)."""
        x, _ = batch
        z = torch.randn(len(x), self.recipe.model.noise, device=x.device)
        return discriminator_cost(model["discriminator"](x),
                                  model["discriminator"](model["generator"](z))), len(x)

    def generate(self, n: int, seed: int = 0) -> Tensor:
        """n samples G(z) for z drawn from a generator seeded with ``seed``, as digits in [0, 1].

        Shapes: → (n, 1, 8, 8)."""
        G = self.model["generator"]
        device = next(G.parameters()).device
        z = torch.randn(n, self.recipe.model.noise, generator=torch.Generator().manual_seed(seed))
        G.eval()
        with torch.no_grad():
            return (G(z.to(device)) + 1) / 2

    def sample_scores(self, split: str, n: int, seed: int) -> tuple[dict[str, float], Tensor]:
        """Pixel FD, D(x), D(G(z)) and J^(D) of n fakes (seed) against the split; the fakes."""
        real = self.splits[split].images
        fakes = self.generate(n, seed)  # (n, 1, 8, 8)
        D = self.model["discriminator"]
        D.eval()
        with torch.no_grad():
            l_real, l_fake = D(2 * real.to(fakes.device) - 1), D(2 * fakes - 1)
        scores = {"pixel_fd": frechet_distance(fakes.flatten(1).cpu(), real.flatten(1)),
                  "d_real": l_real.sigmoid().mean().item(),
                  "d_fake": l_fake.sigmoid().mean().item(),
                  "d_cost": discriminator_cost(l_real, l_fake).item()}
        return scores, fakes

    def validate(self, model: nn.Module) -> dict[str, float]:
        """Scores of as many fakes as valid digits, for the fixed z of seed 0; writes the grid."""
        scores, fakes = self.sample_scores("valid", len(self.splits["valid"].labels), seed=0)
        if self.run_dir is not None:
            folder = self.run_dir / "samples"
            k = len(list(folder.glob("samples-*.png"))) + 1 if folder.is_dir() else 1
            write_grid(fakes[:self.recipe.samples], folder / f"samples-{k:04d}.png")
            write_grid(fakes[:self.recipe.samples], folder / "latest.png")
        return scores

    def evaluate(self, split: str = "test", classifier: str | None = None, samples: int = 1000,
                 seed: int = 0) -> Report:
        """Pixel Fréchet distance and D's view of ``samples`` fakes against the ``split`` digits;
        with an image_classification ``classifier``, how it sees the fakes and the real digits."""
        if split not in digits.SPLITS:
            raise ConfigError(f"--split: expected one of {', '.join(digits.SPLITS)}, got {split!r}")
        scores, fakes = self.sample_scores(split, samples, seed)
        n_real = len(self.splits[split].labels)
        lines = [f"pixel Fréchet distance = {scores['pixel_fd']:.3f} (64 pixel values of "
                 f"{samples} samples G(z), z seed {seed}, against {n_real} {split} digits)",
                 f"D(x) = {scores['d_real']:.3f} on real, D(G(z)) = {scores['d_fake']:.3f} on "
                 "generated digits (means)"]
        settings: dict[str, Any] = {"split": split, "samples": samples, "seed": seed,
                                    "generator_cost": self.recipe.model.generator_cost}
        if classifier is not None:
            from seqkit import api

            judge = api.load(classifier, task="image_classification", verb="evaluate --classifier",
                             device=str(fakes.device))
            for who, images in (("generated", fakes), (split, self.splits[split].images)):
                quality = sample_quality(judge.logits(images).softmax(-1).cpu())
                scores.update({f"{who}_{k}": v for k, v in quality._asdict().items()
                               if k != "counts"})
                lines.append(_quality_line(who, len(images), quality))
            settings["classifier"] = classifier
        return Report(f"{split}: {samples} generated digits", scores, lines, settings)


def _quality_line(who: str, n: int, q: Quality) -> str:
    return (f"classifier on {n} {who} digits: recognisable (max p ≥ 0.9) "
            f"{100 * q.recognisable:.1f}%, mean max p {q.confidence:.3f}, spread "
            f"{q.spread:.2f} bits (of 3.32), digit score {q.score:.2f} (of 10), "
            f"predicted 0–9: {q.counts}")
