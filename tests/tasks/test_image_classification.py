"""The image_classification task: LeNet-5 on scikit-learn's digits, from the digits' split and
image files to training, resuming, evaluation and ``seqkit classify-image`` through the CLI."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from PIL import Image

from seqkit import api
from seqkit.cli import main
from seqkit.config import from_dict
from seqkit.errors import ConfigError, SeqkitError
from seqkit.tasks import load_recipe
from seqkit.tasks.image_classification import digits
from seqkit.tasks.image_classification.images import read_digit, write_grid
from seqkit.tasks.image_classification.task import (
    ImageClassificationRecipe,
    ImageClassificationTask,
)

pytest.importorskip("sklearn")

TINY = """\
task: image_classification
seed: 1
data: {valid: 0.1, test: 0.2, fit: resize, batch_size: 16, shift: 1}
model: {in_channels: 1, image_size: 16, num_classes: 10}
train: {optimizer: adam, lr: 0.005, epochs: 1, max_steps: 8, valid_every: 4, log_every: 2,
        threads: 1}
"""


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny run, and the same run stopped half-way and resumed."""
    folder = tmp_path_factory.mktemp("lenet")
    (folder / "tiny.yaml").write_text(TINY)
    for out, steps in (("whole", 8), ("split", 4)):
        result = seqkit("train", str(folder / "tiny.yaml"), "--out", str(folder / out),
                        "--set", f"train.max_steps={steps}")
        assert result.exit_code == 0, result.output
    resumed = seqkit("train", str(folder / "tiny.yaml"), "--out", str(folder / "split"),
                     "--resume")
    assert resumed.exit_code == 0, resumed.output
    return folder


def tiny_recipe(**changes) -> ImageClassificationRecipe:
    data = {"task": "image_classification", "model": {"in_channels": 1, "image_size": 16},
            "data": {"batch_size": 16}}
    return from_dict(ImageClassificationRecipe, {**data, **changes})


def test_split_is_stratified_disjoint_and_fixed_by_the_seed() -> None:
    config = digits.DigitsConfig(valid=0.1, test=0.2)
    splits = digits.load(config, seed=0)
    assert sum(len(s.labels) for s in splits.values()) == 1797
    rows = {k: {tuple(x.flatten().tolist()) for x in s.images} for k, s in splits.items()}
    assert len(rows["test"] & rows["train"]) < 5  # the digits hold a few duplicate images
    for split, share in (("test", 0.2), ("valid", 0.1)):
        counts = splits[split].labels.bincount(minlength=10)
        assert (counts - share * 180).abs().max() <= 2, (split, counts)  # ≈180 of each digit
    again, other = digits.load(config, seed=0), digits.load(config, seed=1)
    assert torch.equal(again["test"].images, splits["test"].images)
    assert not torch.equal(other["test"].labels, splits["test"].labels)
    assert splits["train"].images.shape[1:] == (1, 8, 8)
    assert splits["train"].images.min() >= 0 and splits["train"].images.max() <= 1


def test_fit_to_pads_around_the_digit_or_resizes() -> None:
    images = torch.rand(3, 1, 8, 8)
    padded = digits.fit_to(images, 32, "pad")
    assert padded.shape == (3, 1, 32, 32) and torch.equal(padded[..., 12:20, 12:20], images)
    assert torch.isclose(padded.sum(), images.sum())  # nothing but zeros around
    ramp = torch.arange(8.0).expand(1, 1, 8, 8)  # x_ij = j
    resized = digits.fit_to(ramp, 32, "resize")
    assert resized.shape == (1, 1, 32, 32)
    # bilinear ×4 samples the ramp at the input coordinate (c + ½)/4 − ½ of output column c
    c = torch.arange(2, 30.0)
    assert torch.allclose(resized[0, 0, 5, 2:30], (c + 0.5) / 4 - 0.5)
    assert torch.allclose(digits.fit_to(torch.ones(1, 1, 8, 8), 32, "resize"), torch.ones(1))
    with pytest.raises(ValueError, match="fit_to: expected a size ≥ 8, got 4"):
        digits.fit_to(images, 4, "pad")


def test_shift_moves_each_digit_by_at_most_the_shift() -> None:
    dot = torch.zeros(50, 1, 8, 8)
    dot[:, :, 4, 4] = 1.0
    moved = digits.shifted(dot, 2, torch.Generator().manual_seed(0))
    where = moved[:, 0].flatten(1).argmax(1)
    rows, cols = where // 8, where % 8
    assert moved.sum() == 50 and set((rows - 4).tolist()) == {-2, -1, 0, 1, 2}
    assert (cols - 4).abs().max() == 2
    assert digits.shifted(dot, 0, torch.Generator()) is dot


def test_batches_are_a_function_of_the_epoch_and_the_loss_a_mean(tmp_path) -> None:
    task = ImageClassificationTask.build(tiny_recipe())
    first, again = task.batches(0), task.batches(0)
    x, y = first[0]
    assert x.shape == (16, 1, 16, 16) and y.shape == (16,)
    assert sum(len(b[1]) for b in first) == len(task.splits["train"].labels)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again, strict=True))
    assert not torch.equal(task.batches(1)[0][1], y)
    loss, count = task.loss(task.model, first[0])
    z = task.model(x)
    assert count == 16 and torch.allclose(loss, F.cross_entropy(z, y))
    restored = ImageClassificationTask.restore(tiny_recipe(), task.state())
    restored.model.load_state_dict(task.model.state_dict())
    assert torch.equal(restored.logits(task.splits["test"].images),
                       task.logits(task.splits["test"].images))


def test_recipe_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"model.in_channels: expected 1 \(grey digits\)"):
        from_dict(ImageClassificationRecipe, {"model": {"in_channels": 3}})
    with pytest.raises(ConfigError, match=r"data.valid \+ data.test: expected < 1"):
        tiny_recipe(data={"valid": 0.5, "test": 0.5})
    with pytest.raises(ConfigError, match=r"data\.fit: expected"):
        tiny_recipe(data={"fit": "crop"})
    with pytest.raises(ConfigError, match=r"model\.image_size: expected ≥ 8"):
        tiny_recipe(model={"in_channels": 1, "image_size": 4})


def test_shipped_recipe_loads() -> None:
    recipe = load_recipe("recipes/lenet-digits.yaml")
    assert recipe.model.image_size == 32 and recipe.data.fit == "resize"


def test_resume_equals_an_uninterrupted_run(run) -> None:
    whole = torch.load(run / "whole" / "last.pt", weights_only=True)
    split = torch.load(run / "split" / "last.pt", weights_only=True)
    assert whole["progress"]["position"]["step"] == split["progress"]["position"]["step"] == 8
    for name, value in whole["model"].items():
        assert torch.equal(value, split["model"][name]), name


def test_evaluate_prints_accuracy_and_how_it_was_computed(run) -> None:
    printed = seqkit("evaluate", str(run / "whole"))
    assert printed.exit_code == 0, printed.output
    assert "accuracy = " in printed.output and "how: argmax of LeNet-5 softmax" in printed.output
    report = json.loads(seqkit("evaluate", str(run / "whole"), "--json").output)
    task = api.load(run / "whole", task="image_classification")
    test = task.splits["test"]
    accuracy = (task.logits(test.images).argmax(-1) == test.labels).float().mean().item()
    assert report["metrics"]["accuracy"] == pytest.approx(accuracy)
    assert seqkit("evaluate", str(run / "whole"), "--split", "train").exit_code == 0
    bad = seqkit("evaluate", str(run / "whole"), "--split", "dev")
    assert bad.exit_code == 1 and "--split: expected one of train, valid, test" in bad.output


def test_classify_image_reads_png_and_npy_like_the_training_digits(run, tmp_path) -> None:
    task = api.load(run / "whole", task="image_classification")
    image = task.splits["test"].images[0]  # (1, 8, 8)
    scaled = (image - image.min()) / (image.max() - image.min())
    ink = (255 - scaled[0].numpy() * 255).round().astype(np.uint8)  # dark ink on white paper
    Image.fromarray(np.kron(ink, np.ones((4, 4), np.uint8))).save(tmp_path / "digit.png")
    np.save(tmp_path / "digit.npy", image[0].numpy() * 16)  # the digits' 0–16 grey levels
    assert torch.allclose(read_digit(tmp_path / "digit.png"), scaled, atol=1 / 255)
    assert torch.allclose(read_digit(tmp_path / "digit.npy"), scaled, atol=1e-6)
    printed = seqkit("classify-image", str(run / "whole"), str(tmp_path / "digit.png"),
                     str(tmp_path / "digit.npy"))
    assert printed.exit_code == 0, printed.output
    (label, p), = {tuple(line.split("\t")[1:]) for line in printed.output.splitlines()}
    expected = task.classify(scaled[None])[0]
    assert int(label) == expected.label and float(p) == pytest.approx(expected.probability,
                                                                      abs=1e-3)


def test_bad_image_files_are_one_line_errors(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("7")
    with pytest.raises(SeqkitError, match=r"notes.txt: expected an image file \(.png"):
        read_digit(tmp_path / "notes.txt")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(SeqkitError, match=r"broken\.png: cannot read the image"):
        read_digit(tmp_path / "broken.png")
    np.save(tmp_path / "cube.npy", np.zeros((2, 3, 4, 5)))
    with pytest.raises(SeqkitError, match=r"cube.npy: expected a finite 2-D image .* got shape"):
        read_digit(tmp_path / "cube.npy")


def test_write_grid_lays_images_out_in_rows(tmp_path) -> None:
    images = torch.rand(5, 1, 8, 8)
    path = write_grid(images, tmp_path / "grid.png", columns=3, scale=2)
    sheet = np.asarray(Image.open(path), dtype=np.float64) / 255
    assert sheet.shape == ((2 * 9 + 1) * 2, (3 * 9 + 1) * 2)
    fifth = sheet[2 * 10:2 * 18:2, 2 * 10:2 * 18:2]  # row 1, column 1, every other pixel
    assert np.allclose(fifth, images[4, 0].numpy(), atol=1 / 255)


def test_a_model_of_another_task_is_refused(run, tmp_path) -> None:
    other = seqkit("generate", str(run / "whole"), "--out", str(tmp_path / "g.png"))
    assert other.exit_code == 1
    assert ("a image_classification model; `generate` needs a gan model (image_classification "
            "models answer: classify-image, evaluate)") in other.output
