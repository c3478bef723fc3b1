"""Gradient clipping against torch.nn.utils, and the bounds it promises."""

import pytest
import torch
from torch import nn

from seqkit.lm import clip_grad_norm, clip_grad_value


def parameters_with_gradients(scale: float) -> list[nn.Parameter]:
    g = torch.Generator().manual_seed(0)
    params = [nn.Parameter(torch.zeros(shape, dtype=torch.float64)) for shape in [(3, 4), (5,)]]
    for p in params:
        p.grad = scale * torch.randn(p.shape, generator=g, dtype=torch.float64)
    return params


def joint_norm(params: list[nn.Parameter]) -> float:
    return float(torch.cat([p.grad.flatten() for p in params]).norm())


@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_clip_grad_norm_equals_torch_and_bounds_the_norm(scale):
    ours, theirs = parameters_with_gradients(scale), parameters_with_gradients(scale)
    before = joint_norm(ours)
    norm = clip_grad_norm(ours, max_norm=1.0)
    expected = nn.utils.clip_grad_norm_(theirs, max_norm=1.0)
    torch.testing.assert_close(norm, expected)
    assert float(norm) == pytest.approx(before)
    assert joint_norm(ours) <= 1.0 + 1e-12
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=0)  # torch adds ε = 1e-6
    if before <= 1.0:
        torch.testing.assert_close(joint_norm(ours), before)  # below θ nothing changes


def test_clip_grad_norm_keeps_the_direction():
    params = parameters_with_gradients(10.0)
    direction = torch.cat([p.grad.flatten() for p in params]).clone()
    clip_grad_norm(params, 0.5)
    clipped = torch.cat([p.grad.flatten() for p in params])
    torch.testing.assert_close(clipped, direction * 0.5 / direction.norm())


def test_clip_grad_value_bounds_every_entry_and_equals_torch():
    ours, theirs = parameters_with_gradients(3.0), parameters_with_gradients(3.0)
    clip_grad_value(ours, 0.5)
    nn.utils.clip_grad_value_(theirs, 0.5)
    for a, b in zip(ours, theirs, strict=True):
        assert a.grad.abs().max() <= 0.5
        torch.testing.assert_close(a.grad, b.grad)


def test_parameters_without_gradients_are_skipped():
    p = nn.Parameter(torch.ones(3))
    assert float(clip_grad_norm(p, 1.0)) == 0.0
    clip_grad_value([p], 1.0)
    assert p.grad is None


@pytest.mark.parametrize("clip,match", [
    (clip_grad_norm, "clip_grad_norm: expected max_norm > 0, got 0"),
    (clip_grad_value, "clip_grad_value: expected clip_value > 0, got -1"),
])
def test_threshold_must_be_positive(clip, match):
    with pytest.raises(ValueError, match=match):
        clip(parameters_with_gradients(1.0), 0 if clip is clip_grad_norm else -1)
