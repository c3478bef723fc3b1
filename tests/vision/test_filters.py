import pytest
import torch
import torch.nn.functional as F

from seqkit.vision.conv import conv2d
from seqkit.vision.filters import COMPASSES, DIRECTIONS, FILTERS, compass, kernel


def _t(rows):
    return torch.tensor(rows, dtype=torch.float32)


# The masks as the notes print them (Robinson: six of eight; Kirsch: three of eight).
NOTES_MASKS = {
    "robinson_north_west": [[-2, -1, 0], [-1, 0, 1], [0, 1, 2]],
    "robinson_north": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "robinson_north_east": [[0, -1, -2], [1, 0, -1], [2, 1, 0]],
    "robinson_east": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "robinson_south_east": [[2, 1, 0], [1, 0, -1], [0, -1, -2]],
    "robinson_south": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "kirsch_north_west": [[-3, 5, 5], [-3, 0, 5], [-3, -3, -3]],
    "kirsch_north": [[-3, -3, 5], [-3, 0, 5], [-3, -3, 5]],
    "kirsch_north_east": [[-3, -3, -3], [-3, 0, 5], [-3, 5, 5]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt_x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "laplacian": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
}


@pytest.mark.parametrize("name", sorted(NOTES_MASKS))
def test_masks_are_the_notes(name):
    torch.testing.assert_close(kernel(name), _t(NOTES_MASKS[name]))


@pytest.mark.parametrize("name", [f for f in FILTERS if f != "sharpen"])
def test_every_derivative_filter_ignores_a_flat_image(name):
    # the weights of an edge detector sum to 0, so a constant image gives 0 everywhere
    assert kernel(name).sum() == 0
    assert not conv2d(torch.full((1, 1, 5, 5), 7.0), kernel(name)[None, None]).any()


@pytest.mark.parametrize("family", ["prewitt", "sobel", "scharr"])
def test_y_kernels_are_the_transposed_x_kernels(family):
    torch.testing.assert_close(kernel(f"{family}_y"), kernel(f"{family}_x").T)


def test_x_kernel_finds_vertical_edges_and_y_kernel_ignores_them():
    x = torch.zeros(1, 1, 6, 6)
    x[..., 3:] = 1.0  # dark left, bright right: a vertical edge between columns 2 and 3
    gx = F.conv2d(x, kernel("sobel_x")[None, None])
    gy = F.conv2d(x, kernel("sobel_y")[None, None])
    assert torch.equal(gx[0, 0], _t([[0, 4, 4, 0]] * 4)) and not gy.any()


def test_compass_rotates_45_degrees_per_direction_and_opposites_negate():
    for name in COMPASSES:
        masks = compass(name, dtype=torch.float64)
        assert masks.shape == (8, 1, 3, 3) and masks.dtype == torch.float64
        for d in range(8):
            torch.testing.assert_close(masks[d, 0], kernel(f"{name}_{DIRECTIONS[d]}",
                                                           torch.float64))
        if name == "robinson":  # antisymmetric masks: the opposite direction is the negative
            torch.testing.assert_close(masks[4:], -masks[:4])
        # two 90° turns of a mask (8-neighbour ring shifted by 2) = torch.rot90 clockwise
        torch.testing.assert_close(masks[2, 0], torch.rot90(masks[0, 0], -1))


def test_unknown_names():
    with pytest.raises(ValueError, match="kernel: unknown filter 'sobel'; choose from"):
        kernel("sobel")
    with pytest.raises(ValueError, match="kernel: unknown filter 'kirsch_up'"):
        kernel("kirsch_up")
    with pytest.raises(ValueError, match=r"compass: unknown compass 'prewitt'; choose from \["):
        compass("prewitt")
