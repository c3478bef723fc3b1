"""Image files in and out: a user's PNG or NPY digit made to look like the training digits, and
a grid of images written as one PNG.

A digit to classify is read as grey levels, scaled to [0, 1], inverted when it is dark ink on
light paper (the training digits are light ink on black), and averaged down to 8×8, the
resolution of scikit-learn's digits; the task then fits it to the model's input as in training.
"""

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.errors import SeqkitError
from seqkit.files import OutputError
from seqkit.tasks.image_classification.digits import DIGIT_SIZE

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".npy")


def _grey_levels(path: Path) -> np.ndarray:
    """The file's pixels as a (H, W) float array; colour channels are averaged."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SeqkitError(f"{path}: expected an image file ({', '.join(SUFFIXES)}), "
                          f"got '{suffix or 'no suffix'}'")
    try:
        if suffix == ".npy":
            array = np.load(path, allow_pickle=False).astype(np.float64)
        else:
            from PIL import Image

            with Image.open(path) as image:
                array = np.asarray(image.convert("L"), dtype=np.float64)
    except (OSError, ValueError) as error:
        raise SeqkitError(f"{path}: cannot read the image ({error})") from None
    if array.ndim == 3 and array.shape[-1] in (1, 3, 4):
        array = array[..., :3].mean(axis=-1)
    if array.ndim != 2 or min(array.shape) < 1 or not np.isfinite(array).all():
        raise SeqkitError(f"{path}: expected a finite 2-D image (H, W) or (H, W, channels), "
                          f"got shape {array.shape}")
    return array


def read_digit(path: str | Path) -> Tensor:
    """The image at ``path`` (PNG, JPEG, BMP, GIF or NPY) as an 8×8 digit like the training
    ones: (1, 8, 8) in [0, 1], ink = 1."""
    path = Path(path)
    array = _grey_levels(path)
    low, high = array.min(), array.max()
    array = (array - low) / (high - low) if high > low else np.zeros_like(array)
    border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    if border.mean() > 0.5:  # dark ink on light paper
        array = 1.0 - array
    image = torch.tensor(array, dtype=torch.float32)[None, None]  # (1, 1, H, W)
    if min(array.shape) < DIGIT_SIZE:
        image = F.interpolate(image, size=(DIGIT_SIZE, DIGIT_SIZE), mode="bilinear")
    return F.adaptive_avg_pool2d(image, DIGIT_SIZE)[0]  # (1, 8, 8)


def write_grid(images: Tensor, path: str | Path, columns: int = 8, scale: int = 4) -> Path:
    """Write images (N, 1, H, W) in [0, 1] as one PNG of ⌈N / columns⌉ rows, each pixel a
    scale×scale block, with a 1-pixel grey line between images."""
    from PIL import Image

    N, _, H, W = images.shape
    rows = -(-N // columns)
    sheet = torch.full((rows * (H + 1) + 1, columns * (W + 1) + 1), 0.5)
    for i, image in enumerate(images.detach().float().cpu().clamp(0, 1)):
        r, c = divmod(i, columns)
        sheet[1 + r * (H + 1):(r + 1) * (H + 1), 1 + c * (W + 1):(c + 1) * (W + 1)] = image[0]
    pixels = (sheet.repeat_interleave(scale, 0).repeat_interleave(scale, 1) * 255).round()
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels.to(torch.uint8).numpy(), mode="L").save(path, format="PNG")
    except OSError as error:
        raise OutputError.of(error, path) from None
    return path
