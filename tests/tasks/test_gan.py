"""The gan task: the notes' costs, G and D, the sample-quality figures, and training, resuming,
sample grids, evaluation and ``seqkit generate`` through the CLI on tiny sizes."""

import json

import numpy as np
import pytest
import scipy.linalg
import torch
from click.testing import CliRunner
from PIL import Image

from seqkit import api
from seqkit.cli import main
from seqkit.config import from_dict
from seqkit.errors import ConfigError
from seqkit.tasks import load_recipe
from seqkit.tasks.gan.model import (
    Discriminator,
    GANConfig,
    Generator,
    discriminator_cost,
    generator_cost,
)
from seqkit.tasks.gan.quality import frechet_distance, sample_quality
from seqkit.tasks.gan.task import GANRecipe, GANTask

pytest.importorskip("sklearn")

TINY = """\
task: gan
seed: 2
data: {batch_size: 64}
model: {noise: 4, width: 4, generator_cost: non_saturating}
samples: 16
train: {optimizer: adam, lr: 0.001, epochs: 1, max_steps: 6, valid_every: 3, log_every: 2,
        threads: 1, clip_norm: null}
"""
LENET = """\
task: image_classification
data: {batch_size: 64}
model: {in_channels: 1, image_size: 16}
train: {epochs: 1, max_steps: 2, threads: 1}
"""


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny GAN run, the same run stopped half-way and resumed, and a tiny LeNet."""
    folder = tmp_path_factory.mktemp("gan")
    (folder / "tiny.yaml").write_text(TINY)
    (folder / "lenet.yaml").write_text(LENET)
    for out, steps in (("whole", 6), ("split", 3)):
        result = seqkit("train", str(folder / "tiny.yaml"), "--out", str(folder / out),
                        "--set", f"train.max_steps={steps}")
        assert result.exit_code == 0, result.output
    resumed = seqkit("train", str(folder / "tiny.yaml"), "--out", str(folder / "split"),
                     "--resume")
    assert resumed.exit_code == 0, resumed.output
    lenet = seqkit("train", str(folder / "lenet.yaml"), "--out", str(folder / "lenet"))
    assert lenet.exit_code == 0, lenet.output
    return folder


def test_costs_are_the_notes_formulas_in_float64() -> None:
    l_real, l_fake = torch.randn(7, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    D_real, D_fake = l_real.sigmoid(), l_fake.sigmoid()
    expected_d = -D_real.log().mean() - (1 - D_fake).log().mean()
    assert torch.allclose(discriminator_cost(l_real, l_fake), expected_d)
    assert torch.allclose(generator_cost(l_fake, "saturating"), (1 - D_fake).log().mean())
    assert torch.allclose(generator_cost(l_fake, "non_saturating"), -D_fake.log().mean())
    with pytest.raises(ValueError, match="generator_cost: expected 'saturating' or"):
        generator_cost(l_fake, "minimax")


def test_the_saturating_cost_gives_g_no_gradient_when_d_rejects_its_fakes() -> None:
    """The notes' point: early on D(G(z)) ≈ 0, where log(1 − D) is flat and −log D is steep."""
    l_fake = torch.tensor([-8.0], dtype=torch.float64, requires_grad=True)  # D(G(z)) ≈ 3e-4
    (saturating,) = torch.autograd.grad(generator_cost(l_fake, "saturating"), l_fake)
    (non_saturating,) = torch.autograd.grad(generator_cost(l_fake, "non_saturating"), l_fake)
    assert saturating.abs() < 1e-3 < 0.99 < non_saturating.abs()
    assert torch.allclose(saturating, -l_fake.sigmoid())  # ∂/∂l log(1 − σ(l)) = −σ(l)


def test_generator_and_discriminator_shapes_and_errors() -> None:
    config = GANConfig(noise=6, width=3)
    G, D = Generator(config), Discriminator(config)
    x = G(torch.randn(5, 6))
    assert x.shape == (5, 1, 8, 8) and x.abs().max() <= 1
    assert D(x).shape == (5,)
    with pytest.raises(ValueError, match=r"Generator: expected noise \(B, 6\), got \(5, 4\)"):
        G(torch.randn(5, 4))
    with pytest.raises(ValueError, match=r"Discriminator: expected images \(B, 1, 8, 8\)"):
        D(torch.randn(5, 1, 9, 9))
    with pytest.raises(ConfigError, match=r"model\.generator_cost: expected"):
        GANConfig(generator_cost="wasserstein")


def test_frechet_distance_against_scipy_sqrtm() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(60, 4, generator=g), 1.5 * torch.randn(50, 4, generator=g) + 0.3
    A, B = a.double().numpy(), b.double().numpy()
    S_a, S_b = np.cov(A.T), np.cov(B.T)
    oracle = ((A.mean(0) - B.mean(0)) ** 2).sum() + np.trace(
        S_a + S_b - 2 * scipy.linalg.sqrtm(S_a @ S_b).real)
    assert frechet_distance(a, b) == pytest.approx(oracle, rel=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-9)
    with pytest.raises(ValueError, match=r"frechet_distance: expected samples .* got \(1, 4\)"):
        frechet_distance(a[:1], b)


def test_sample_quality_on_hand_worked_cases() -> None:
    every_digit = sample_quality(torch.eye(10))
    assert every_digit.counts == [1] * 10 and every_digit.recognisable == 1
    assert every_digit.spread == pytest.approx(np.log2(10))
    assert every_digit.score == pytest.approx(10)
    collapsed = sample_quality(torch.eye(10)[[3, 3, 3]])
    assert collapsed.spread == 0 and collapsed.score == pytest.approx(1)
    unsure = sample_quality(torch.full((4, 10), 0.1))
    assert unsure.recognisable == 0 and unsure.confidence == pytest.approx(0.1)
    assert unsure.score == pytest.approx(1)


def test_update_steps_d_then_g_and_resets_nothing_else() -> None:
    task = GANTask.build(from_dict(GANRecipe, {"model": {"noise": 4, "width": 4}}))
    x, y = task.batches(0)[0]
    assert x.shape == (32, 1, 8, 8) and x.min() >= -1 and x.max() <= 1 and y.shape == (32,)
    calls = []

    def optimize(name, loss):
        calls.append((name, loss.detach()))
        part = task.parts()[name]
        part.zero_grad()
        loss.backward()
        assert all(p.grad is not None for p in part.parameters())

    loss, count = task.update(task.parts(), (x, y), optimize)
    assert [name for name, _ in calls] == ["discriminator", "generator"]
    assert count == 32 and loss == pytest.approx(calls[0][1].item())


def test_recipe_files_load() -> None:
    recipe = load_recipe("recipes/gan-digits.yaml")
    assert recipe.model.generator_cost == "non_saturating" and recipe.train.clip_norm is None
    saturating = load_recipe("recipes/gan-digits.yaml", ["model.generator_cost=saturating"])
    assert saturating.model.generator_cost == "saturating"


def test_resume_equals_an_uninterrupted_run_with_both_optimizers(run) -> None:
    whole = torch.load(run / "whole" / "last.pt", weights_only=True)
    split = torch.load(run / "split" / "last.pt", weights_only=True)
    assert set(whole["optimizers"]) == {"generator", "discriminator"}
    assert split["progress"]["position"]["step"] == 6
    for name, value in whole["model"].items():
        assert torch.equal(value, split["model"][name]), name
    grids = sorted(p.name for p in (run / "whole" / "samples").iterdir())
    assert grids == ["latest.png", "samples-0001.png", "samples-0002.png"]
    assert Image.open(run / "whole" / "samples" / "latest.png").size == (73 * 4, 19 * 4)


def test_evaluate_with_a_classifier_judges_generated_and_real_digits(run) -> None:
    printed = seqkit("evaluate", str(run / "whole"), "--classifier", str(run / "lenet"),
                     "--samples", "50")
    assert printed.exit_code == 0, printed.output
    assert "pixel Fréchet distance = " in printed.output
    assert "classifier on 50 generated digits: recognisable" in printed.output
    report = json.loads(seqkit("evaluate", str(run / "whole"), "--json", "--samples", "50",
                               "--seed", "3").output)
    task = api.load(run / "whole", task="gan")
    fakes = task.generate(50, seed=3)
    assert report["metrics"]["pixel_fd"] == pytest.approx(frechet_distance(
        fakes.flatten(1), task.splits["test"].images.flatten(1)), rel=1e-6)
    wrong = seqkit("evaluate", str(run / "whole"), "--classifier", str(run / "whole"))
    assert wrong.exit_code == 1 and "`evaluate --classifier` needs a image_classification" \
        in wrong.output


def test_generate_writes_a_png_grid_or_npy_the_same_for_a_seed(run, tmp_path) -> None:
    for name in ("a.npy", "b.npy"):
        result = seqkit("generate", str(run / "whole"), "--out", str(tmp_path / name), "-n",
                        "10", "--seed", "5")
        assert result.exit_code == 0, result.output
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert a.shape == (10, 8, 8) and np.array_equal(a, b) and a.min() >= 0 and a.max() <= 1
    task = api.load(run / "whole", task="gan")
    assert np.allclose(a, task.generate(10, seed=5)[:, 0].numpy())
    grid = seqkit("generate", str(run / "whole"), "--out", str(tmp_path / "g.png"), "-n", "6",
                  "--columns", "3")
    assert grid.exit_code == 0 and Image.open(tmp_path / "g.png").size == (28 * 4, 19 * 4)
    bad = seqkit("generate", str(run / "whole"), "--out", str(tmp_path / "g.jpg"))
    assert bad.exit_code == 1 and "expected a .png or .npy file name" in bad.output


def test_a_model_of_another_task_is_refused(run, tmp_path) -> None:
    other = seqkit("classify-image", str(run / "whole"), str(tmp_path / "x.png"))
    assert other.exit_code == 1
    assert ("a gan model; `classify-image` needs a image_classification model (gan models "
            "answer: generate, evaluate)") in other.output
