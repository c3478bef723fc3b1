"""Classic hand-made filters (kernels) from the notes: edge detectors and compass masks.

Before CNNs learnt their filters, these were designed by hand; a CNN's first layer often learns
similar ones. Apply them with ``conv.conv2d`` or ``F.conv2d`` (cross-correlation, not flipped),
so the ``_x`` kernels (brighter to the right → positive) respond to vertical edges and the
``_y`` kernels (brighter below → positive, rows grow downwards) to horizontal ones.

Worked example (notes): the 6×6 image [[3,0,1,2,7,4], [1,5,8,9,3,1], …] ∗ ``vertical_edge``
gives the 4×4 map whose first row is [−5, −4, 0, 8].
"""

import torch
from torch import Tensor

Rows = tuple[tuple[int, ...], ...]

_KERNELS: dict[str, Rows] = {
    # the notes' vertical / horizontal edge detectors: bright-to-dark left→right / top→bottom
    "vertical_edge": ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
    "horizontal_edge": ((1, 1, 1), (0, 0, 0), (-1, -1, -1)),
    "prewitt_x": ((-1, 0, 1), (-1, 0, 1), (-1, 0, 1)),
    "prewitt_y": ((-1, -1, -1), (0, 0, 0), (1, 1, 1)),
    "sobel_x": ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)),  # ∂/∂x, notes' "Sobel X"
    "sobel_y": ((-1, -2, -1), (0, 0, 0), (1, 2, 1)),  # ∂/∂y, notes' "Sobel Y"
    "scharr_x": ((-3, 0, 3), (-10, 0, 10), (-3, 0, 3)),  # Sobel with better rotation symmetry
    "scharr_y": ((-3, -10, -3), (0, 0, 0), (3, 10, 3)),
    "laplacian": ((-1, -1, -1), (-1, 8, -1), (-1, -1, -1)),  # notes: second derivative
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
}

# Compass masks: one 3×3 mask per direction, each the previous one with its 8 border values
# turned 45° clockwise. The border is read clockwise from the top-left corner:
# (0,0) (0,1) (0,2) (1,2) (2,2) (2,1) (2,0) (1,0).
DIRECTIONS = (
    "north_west", "north", "north_east", "east", "south_east", "south", "south_west", "west"
)
_BORDER = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0))
_NORTH_WEST_BORDER = {
    "robinson": (-2, -1, 0, 1, 2, 1, 0, -1),  # notes: north-west [[-2,-1,0],[-1,0,1],[0,1,2]]
    # notes: north-west [[-3,5,5],[-3,0,5],[-3,-3,-3]]; the notes' north mask reads "+3" in its
    # corner, a slip of the pen for −3 (each Kirsch mask has three 5s and five −3s).
    "kirsch": (-3, 5, 5, 5, -3, -3, -3, -3),
}
COMPASSES = tuple(_NORTH_WEST_BORDER)
FILTERS = (*_KERNELS, *(f"{c}_{d}" for c in COMPASSES for d in DIRECTIONS))


def _compass_rows(compass: str, direction: str) -> Rows:
    border = _NORTH_WEST_BORDER[compass]
    shift = DIRECTIONS.index(direction)  # 45° steps clockwise from north-west
    grid = [[0] * 3 for _ in range(3)]
    for k, (r, c) in enumerate(_BORDER):
        grid[r][c] = border[(k - shift) % 8]
    return tuple(tuple(row) for row in grid)


def kernel(
    name: str, dtype: torch.dtype | None = None, device: torch.device | str | None = None
) -> Tensor:
    """The filter called ``name`` (one of ``FILTERS``) as a new (3, 3) tensor.

    Compass masks are named ``{robinson,kirsch}_{direction}``, e.g. ``kirsch_north_east``.
    """
    if name in _KERNELS:
        rows = _KERNELS[name]
    else:
        compass, _, direction = name.partition("_")
        if compass not in _NORTH_WEST_BORDER or direction not in DIRECTIONS:
            raise ValueError(f"kernel: unknown filter {name!r}; choose from {list(FILTERS)}")
        rows = _compass_rows(compass, direction)
    return torch.tensor(rows, dtype=dtype or torch.get_default_dtype(), device=device)


def compass(
    name: str, dtype: torch.dtype | None = None, device: torch.device | str | None = None
) -> Tensor:
    """All 8 masks of the compass ``name`` ("robinson" or "kirsch") in ``DIRECTIONS`` order,
    shaped as conv filters (8, 1, 3, 3): ``F.conv2d(x, compass(name))`` on a grey image (B, 1,
    H, W) gives the 8 directional responses (B, 8, H − 2, W − 2); their max over dim 1 is the
    edge strength and its argmax the edge direction."""
    if name not in COMPASSES:
        raise ValueError(f"compass: unknown compass {name!r}; choose from {list(COMPASSES)}")
    masks = [kernel(f"{name}_{d}", dtype, device) for d in DIRECTIONS]
    return torch.stack(masks).unsqueeze(1)  # (8, 1, 3, 3)
