"""Weight initialisers, in place, from the notes' "Weight Initialization Techniques".

| names                            | W ~                  | scale                              |
| -------------------------------- | -------------------- | ---------------------------------- |
| ``zeros``                        | 0                    |                                    |
| ``small_random``                 | N(0, 1) × 0.01       |                                    |
| ``xavier_normal`` (Glorot)       | N(0, std²)           | std = √(2 / (fan_in + fan_out))    |
| ``xavier_uniform`` (Glorot)      | U[−limit, limit]     | limit = √(6 / (fan_in + fan_out))  |
| ``he_normal``, ``he_uniform``    | N(0, std²), U[…]     | std = √(2/fan_in), limit = √(6/fan_in) |
| ``lecun_normal``, ``lecun_uniform`` | N(0, std²), U[…]  | std = √(1/fan_in), limit = √(3/fan_in) |

A uniform U[−limit, limit] has variance limit²/3, so each uniform limit is √3 × its normal std.
Every initialiser draws from ``generator`` when given (reproducible without touching the global
seed) and returns the tensor it filled. The draws are the same calls as ``torch.nn.init``'s, so
with the same generator state ``xavier_uniform_(w)`` equals ``torch.nn.init.xavier_uniform_(w)``.
"""

import math
from collections.abc import Callable

import torch
from torch import Generator, Tensor


def fans(weight: Tensor, gates: int = 1) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight laid out as torch lays them out.

    - dense (out, in): fan_in = in, fan_out = out;
    - conv (out, in, *k): fan_in = in·∏k, fan_out = out·∏k;
    - recurrent, G gate blocks stacked along dim 0, (G·H, I): the fans of ONE block,
      fan_in = I, fan_out = H (not G·H). Pass ``gates=G`` (4 for LSTM, 3 for GRU).
    """
    if weight.dim() < 2:
        raise ValueError(
            f"fans: expected a weight of rank >= 2 (out, in, *k), got rank {weight.dim()}"
        )
    if gates < 1 or weight.shape[0] % gates:
        raise ValueError(
            f"fans: expected dimension 0 ({weight.shape[0]}) to be a multiple of gates={gates}"
        )
    receptive_field = math.prod(weight.shape[2:])  # ∏k, 1 for a dense weight
    return weight.shape[1] * receptive_field, weight.shape[0] // gates * receptive_field


@torch.no_grad()
def zeros_(weight: Tensor) -> Tensor:
    """W = 0 (fine for biases; for weights it leaves every unit of a layer identical)."""
    return weight.zero_()


@torch.no_grad()
def constant_(weight: Tensor, value: float) -> Tensor:
    """W = value everywhere."""
    return weight.fill_(value)


@torch.no_grad()
def small_random_(
    weight: Tensor, scale: float = 0.01, generator: Generator | None = None
) -> Tensor:
    """W = np.random.randn(shape) × 0.01 (the notes' small random initialisation)."""
    return weight.normal_(0.0, scale, generator=generator)


def _normal_(weight: Tensor, std: float, generator: Generator | None) -> Tensor:
    with torch.no_grad():
        return weight.normal_(0.0, std, generator=generator)


def _uniform_(weight: Tensor, limit: float, generator: Generator | None) -> Tensor:
    with torch.no_grad():
        return weight.uniform_(-limit, limit, generator=generator)


def xavier_normal_(weight: Tensor, gates: int = 1, generator: Generator | None = None) -> Tensor:
    """Xavier/Glorot normal: W ~ N(0, std²), std = √(2 / (fan_in + fan_out)) (tanh, sigmoid)."""
    fan_in, fan_out = fans(weight, gates)
    return _normal_(weight, math.sqrt(2.0 / (fan_in + fan_out)), generator)


def xavier_uniform_(weight: Tensor, gates: int = 1, generator: Generator | None = None) -> Tensor:
    """Xavier/Glorot uniform: W ~ U[−limit, limit], limit = √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(weight, gates)
    return _uniform_(weight, math.sqrt(6.0 / (fan_in + fan_out)), generator)


def he_normal_(weight: Tensor, gates: int = 1, generator: Generator | None = None) -> Tensor:
    """He normal: W ~ N(0, std²), std = √(2 / fan_in) (ReLU)."""
    fan_in, _ = fans(weight, gates)
    return _normal_(weight, math.sqrt(2.0 / fan_in), generator)


def he_uniform_(weight: Tensor, gates: int = 1, generator: Generator | None = None) -> Tensor:
    """He uniform: W ~ U[−limit, limit], limit = √(6 / fan_in)."""
    fan_in, _ = fans(weight, gates)
    return _uniform_(weight, math.sqrt(6.0 / fan_in), generator)


def lecun_normal_(weight: Tensor, gates: int = 1, generator: Generator | None = None) -> Tensor:
    """LeCun normal: W ~ N(0, std²), std = √(1 / fan_in) (SELU)."""
    fan_in, _ = fans(weight, gates)
    return _normal_(weight, math.sqrt(1.0 / fan_in), generator)


def lecun_uniform_(weight: Tensor, gates: int = 1, generator: Generator | None = None) -> Tensor:
    """LeCun uniform: W ~ U[−limit, limit], limit = √(3 / fan_in)."""
    fan_in, _ = fans(weight, gates)
    return _uniform_(weight, math.sqrt(3.0 / fan_in), generator)


_FAN_BASED: dict[str, Callable[[Tensor, int, Generator | None], Tensor]] = {
    "xavier_normal": xavier_normal_,
    "xavier_uniform": xavier_uniform_,
    "he_normal": he_normal_,
    "he_uniform": he_uniform_,
    "lecun_normal": lecun_normal_,
    "lecun_uniform": lecun_uniform_,
}
INITIALISERS = ("zeros", "small_random", *_FAN_BASED)


def initialise_(
    weight: Tensor, name: str, gates: int = 1, generator: Generator | None = None
) -> Tensor:
    """Fill ``weight`` with the initialiser called ``name`` (one of ``INITIALISERS``).

    ``gates`` only matters to the fan-based initialisers (see :func:`fans`).
    """
    if name == "zeros":
        return zeros_(weight)
    if name == "small_random":
        return small_random_(weight, generator=generator)
    if name not in _FAN_BASED:
        raise ValueError(
            f"initialise_: unknown initialiser {name!r}; choose from {list(INITIALISERS)}"
        )
    return _FAN_BASED[name](weight, gates, generator)
